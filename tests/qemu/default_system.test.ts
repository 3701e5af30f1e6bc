// The default system (what `make run` boots), in QEMU: its demo handlers and its shell.
//
// Boots the build's ISO once and reads the log: the heartbeat's persisted run count, the
// crash demonstrator's rolled-back runs, ping and pong talking through app events, and the
// shell answering on the serial port.
import { beforeAll, describe, expect, test } from "vitest";
import { boot, images, type Machine, useMachines } from "./harness.ts";

useMachines();

const TIMEOUT_MILLISECONDS = 150_000;
let machine: Machine;
let log = "";
let shellAnswer = "";

beforeAll(async () => {
  machine = boot({ iso: images.iso, memory: "128M" });
  await machine.waitFor(/\[heartbeat\] heartbeat: run 6\r?\n/, TIMEOUT_MILLISECONDS);
  await machine.waitFor(/crasher: run \d+ ok \(state kept across rolled-back runs\)[\s\S]*'crasher' aborted[\s\S]*crasher: run \d+ ok/,
    TIMEOUT_MILLISECONDS);
  await machine.waitFor(/\[ping\] ping: pong 2 came back/, TIMEOUT_MILLISECONDS);
  const from = machine.output.length;
  await machine.type("ls /bin\r");
  await machine.waitFor(/shell\r?\n[\s\S]*optios\$ /, TIMEOUT_MILLISECONDS, from); // its answer, then the next prompt
  shellAnswer = machine.output.slice(from).replace(/\r/g, "");
  log = machine.output.replace(/\r/g, "");
  machine.kill(); // useMachines() kills guests after each test; this one is done
}, 3 * TIMEOUT_MILLISECONDS);

describe("the default system", () => {
  test("the heartbeat logs its persisted run count, one more each second", () => {
    const runs = [...log.matchAll(/\[heartbeat\] heartbeat: run (\d+)/g)].map((match) => Number(match[1]));
    expect(runs.slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test("the crash demonstrator's failed runs are reported with its message and source line, and rolled back: the next good run counts on from the last good one", () => {
    const lines = log.split("\n");
    const failed = lines.findIndex((line) => /handlers: 'crasher' aborted: crasher fails on purpose at handlers\/crasher\/handler\.ts:\d+:\d+; run rolled back, state kept/.test(line));
    expect(failed).toBeGreaterThan(0);
    const okBefore = lines.slice(0, failed).reverse().map((line) => /crasher: run (\d+) ok/.exec(line)).find(Boolean);
    const okAfter = lines.slice(failed).map((line) => /crasher: run (\d+) ok/.exec(line)).find(Boolean);
    expect(okBefore && okAfter, log).toBeTruthy();
    expect(Number(okAfter![1])).toBe(Number(okBefore![1]) + 1);
  });

  test("ping and pong talk through app events", () => {
    expect(log).toMatch(/\[pong\] pong: got ping 1 \(1 answered\)\n(.*\n)*?\[ping\] ping: pong 1 came back/);
  });

  test("the shell is on console 1 and answers: /bin holds the shell and the counter", () => {
    expect(log).toContain("programs: started 'shell' on console 1");
    expect(shellAnswer).toMatch(/^counter\nshell$/m);
  });
});
