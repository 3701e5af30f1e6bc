// The default system (what `make run` boots), in QEMU: its demo handlers and its shell.
//
// Boots the build's ISO once. The demos are quiet by default: the console shows each one's
// first line and the crasher's failures, and the rest is at debug level, which the shell's
// `log debug` shows. The tests read both: the heartbeat's persisted run count, the crash
// demonstrator's rolled-back runs, ping and pong talking through app events, and the shell
// answering on the serial port.
import { beforeAll, describe, expect, test } from "vitest";
import { boot, images, type Machine, useMachines } from "./harness.ts";

useMachines();

const TIMEOUT_MILLISECONDS = 150_000;
const CRASHER_FAILED = /^handlers: 'crasher' aborted: crasher fails on purpose at handlers\/crasher\/handler\.ts:\d+:\d+; run rolled back, state kept; backing off$/m;
let machine: Machine;
let consoleOutput = "";
let shellAnswer = "";
let runAnswer = "";
let infoLog = "";
let debugLog = "";

async function shell(line: string, until: RegExp = /optios\$ /): Promise<string> {
  const from = machine.output.length;
  await machine.type(`${line}\r`);
  await machine.waitFor(until, TIMEOUT_MILLISECONDS, from);
  return machine.output.slice(from).replace(/\r/g, "");
}

beforeAll(async () => {
  machine = boot({ iso: images.iso, memory: "128M" });
  await machine.waitFor(/optios\$ /, TIMEOUT_MILLISECONDS);
  await machine.waitFor(/\[ping\] ping: pong 1 came back/, TIMEOUT_MILLISECONDS);
  await machine.waitFor(CRASHER_FAILED, TIMEOUT_MILLISECONDS);
  consoleOutput = machine.output.replace(/\r/g, "");
  shellAnswer = await shell("ls /bin");
  runAnswer = await shell("run counter 10");
  // The crasher's next good run comes after its back-off; its line is at debug level.
  for (let attempt = 0; attempt < 30; attempt++) {
    debugLog = await shell("log debug");
    const failed = debugLog.search(CRASHER_FAILED);
    if (failed >= 0 && /crasher: run \d+ ok/.test(debugLog.slice(failed))) break;
  }
  infoLog = await shell("log");
  machine.kill(); // useMachines() kills guests after each test; this one is done
}, 3 * TIMEOUT_MILLISECONDS);

describe("the default system", () => {
  test("the demos are quiet on the console: a first line each, then only the crasher's failures", () => {
    expect(consoleOutput).toMatch(/^\[heartbeat\] heartbeat: run 1 \(one a second from now on, at debug level: log debug shows them\)$/m);
    expect(consoleOutput).toMatch(/^\[pong\] pong: got ping 1 \(1 answered\)$/m);
    expect(consoleOutput).not.toMatch(/heartbeat: run 2\b/);
    expect(consoleOutput).not.toMatch(/pong: got ping 2\b/);
    expect(consoleOutput).not.toMatch(/^idle: woke/m);
  });

  test("the heartbeat's run count persists, one more each run (log debug shows every beat)", () => {
    const runs = [...debugLog.matchAll(/\[heartbeat\] heartbeat: run (\d+)/g)].map((match) => Number(match[1]));
    expect(runs.length).toBeGreaterThanOrEqual(6);
    expect(runs).toEqual(runs.map((_, index) => runs[0] + index));
    expect(infoLog).not.toMatch(/heartbeat: run 2\b/); // `log` leaves the debug lines out, and says so
    expect(infoLog).toMatch(/^\(\d+ lines at debug level not shown: log debug shows them\)$/m);
  });

  test("the crash demonstrator's failed run is reported with its message and source line, its own warning marked as rolled back, and undone: the next good run counts on from the last good one", () => {
    expect(consoleOutput).toMatch(/^\[crasher\] \(rolled back\) crasher: run \d+ fails now; the kernel will roll it back\n/m);
    const lines = debugLog.split("\n");
    const failed = lines.findIndex((line) => CRASHER_FAILED.test(line));
    expect(failed).toBeGreaterThan(0);
    const okBefore = lines.slice(0, failed).reverse().map((line) => /crasher: run (\d+) ok/.exec(line)).find(Boolean);
    const okAfter = lines.slice(failed).map((line) => /crasher: run (\d+) ok/.exec(line)).find(Boolean);
    expect(okBefore && okAfter, debugLog).toBeTruthy();
    expect(Number(okAfter![1])).toBe(Number(okBefore![1]) + 1);
  });

  test("ping and pong talk through app events", () => {
    expect(debugLog).toMatch(/\[pong\] pong: got ping 2 \(2 answered\)\n(.*\n)*?\[ping\] ping: pong 2 came back/);
  });

  test("the shell is on console 1 and answers: /bin holds the shell and the counter", () => {
    expect(consoleOutput).toContain("programs: started 'shell' on console 1");
    expect(shellAnswer).toMatch(/^counter\nshell$/m);
  });

  test("with the default [foreground] max = 1, run runs a program on the shell's console and the shell waits for it", () => {
    expect(runAnswer).toMatch(/^counter: counted to 10 million$/m);
    expect(runAnswer).not.toContain("run: all 1 console");
  });
});
