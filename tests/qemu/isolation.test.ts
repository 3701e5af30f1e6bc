// Isolation that does not depend on the compiler: faults AssemblyScript cannot produce, rolled back.
//
// Builds tests/qemu/systems/isolation.toml — five handlers written in WebAssembly text
// (tests/qemu/handlers/*.wat), each faulting in its own way on its own app event, an
// AssemblyScript handler counting on a timer, and the shell — and boots it once. The shell's
// `emit` sends each fixture its event; the kernel retries the failed event with back-off
// until the fixture is quarantined. Each test then checks one thing in what the kernel
// printed: the trap kind, the rollback, and that the rest of the system never noticed.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Machine, startMachine, stopAllMachines } from "../../toolchain/src/bench/machine.ts";
import { buildSystemInScratch, type ScratchBuild } from "../../toolchain/src/build/scratch.ts";
import { SHELL_PROMPT, shellCommand } from "./shell_session.ts";

const SYSTEM = "tests/qemu/systems/isolation.toml";
/** Each fixture (its handler and event are both named so) and the trap the kernel must name (interface/optios.ts). */
const FIXTURES = {
  unreachable: "unreachable executed",
  "store-end": "out-of-bounds memory access",
  "load-huge": "out-of-bounds memory access",
  "call-range": "bad indirect call",
  "call-type": "bad indirect call",
} as const;
const MAXIMUM_FAILURES = 5; // kernel/events/supervision.ts: SupervisionPolicy.maximumFailures
const BUILD_TIMEOUT_MILLISECONDS = 540_000;
const RUN_TIMEOUT_MILLISECONDS = 120_000;
const PROMPT = SHELL_PROMPT;

let scratch: ScratchBuild | undefined;
let machine: Machine;
let log = "";
/** The ticker's run count when the first fault was sent. */
let tickerRunsBeforeFaults = 0;

const tickerRuns = (text: string) => [...text.matchAll(/\[ticker\] counter: run (\d+)/g)].map((match) => Number(match[1]));
const escape = (text: string) => text.replace(/[()]/g, "\\$&");

const command = (line: string, until: RegExp | string) => shellCommand(machine, line, until, RUN_TIMEOUT_MILLISECONDS);

beforeAll(async () => {
  // loglevel=7: the retries of a failure streak, and what they logged, are at debug level.
  scratch = await buildSystemInScratch(SYSTEM, "console=all loglevel=7", BUILD_TIMEOUT_MILLISECONDS);
  machine = startMachine({ iso: scratch.iso, memory: "128M" });
  await machine.waitFor(PROMPT, RUN_TIMEOUT_MILLISECONDS);
  for (const name of Object.keys(FIXTURES)) {
    await machine.waitFor(`[${name}] committed global=42 memory=42`, RUN_TIMEOUT_MILLISECONDS);
  }
  await machine.waitFor(/\[ticker\] counter: run 2\b/, RUN_TIMEOUT_MILLISECONDS);
  tickerRunsBeforeFaults = Math.max(...tickerRuns(machine.output));
  for (const [name, trap] of Object.entries(FIXTURES)) {
    await command(`emit ${name}`, new RegExp(`'${name}' trapped \\(${escape(trap)}\\); run rolled back, state kept; quarantined`));
  }
  const quarantined = machine.output.length;
  // The rest goes on: the ticker runs three more times after the last quarantine…
  await machine.waitFor(/(\[ticker\] counter: run \d+[\s\S]*){3}/, RUN_TIMEOUT_MILLISECONDS, quarantined);
  // …and the shell still answers, from the kernel's own tables.
  await command("handlers", /^call-type\s.*$/m);
  await machine.waitFor(PROMPT, RUN_TIMEOUT_MILLISECONDS, quarantined);
  log = machine.output.replace(/\r/g, "");
  await stopAllMachines();
}, BUILD_TIMEOUT_MILLISECONDS + 3 * RUN_TIMEOUT_MILLISECONDS);

afterAll(async () => {
  await stopAllMachines();
  scratch?.remove();
});

const lines = () => log.split("\n");

describe("handlers written in WebAssembly text", () => {
  test("each .wat fixture is built into a module, loaded, and started with its version", () => {
    for (const name of Object.keys(FIXTURES)) expect(log).toContain(`handlers: started '${name}' version 1`);
  });
});

describe("a fault AssemblyScript cannot produce is contained and rolled back", () => {
  for (const [name, trap] of Object.entries(FIXTURES)) {
    test(`${name}: reported as "${trap}", retried, quarantined; every run sees the state before the failed ones`, () => {
      const failures = lines().filter((line) => line.startsWith(`handlers: '${name}' trapped`));
      expect(failures).toHaveLength(MAXIMUM_FAILURES);
      for (const failure of failures) expect(failure).toContain(`'${name}' trapped (${trap}); run rolled back, state kept`);
      expect(failures.at(-1)).toMatch(/quarantined$/);
      // Every faulting run added 1 to the global and to the memory word before faulting; if a
      // rollback had kept either, a retry would log 43 or more.
      // What a faulting run logged is shown marked as rolled back.
      const runs = [...log.matchAll(new RegExp(`\\[${name}\\] \\(rolled back\\) running global=(\\d+) memory=(\\d+)`, "g"))];
      expect(runs).toHaveLength(MAXIMUM_FAILURES);
      for (const run of runs) expect([run[1], run[2]]).toEqual(["42", "42"]);
    });
  }
});

describe("the kernel and every other module are intact", () => {
  test("no panic, no CPU exception", () => {
    expect(log).not.toMatch(/PANIC|CPU exception/);
  });

  test("the AssemblyScript ticker kept counting, one by one, through and after the faults", () => {
    const runs = tickerRuns(log);
    expect(runs).toEqual(runs.map((_, index) => index + 1));
    const lastQuarantine = Math.max(...Object.keys(FIXTURES).map((name) => log.lastIndexOf(`handlers: '${name}' trapped`)));
    const runsAfter = tickerRuns(log.slice(lastQuarantine));
    expect(runsAfter.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...runsAfter)).toBeGreaterThan(tickerRunsBeforeFaults);
  });

  test("the shell still answers: its handlers table shows each fixture quarantined and the ticker healthy", () => {
    const table = log.slice(log.lastIndexOf("NAME"));
    for (const [name, trap] of Object.entries(FIXTURES)) {
      // name, version, runs (the boot run and the failures), failures, state bytes, queue (waiting/depth), state, last failure
      expect(table).toMatch(new RegExp(
        `^${name}\\s+1\\s+${MAXIMUM_FAILURES + 1}\\s+${MAXIMUM_FAILURES}\\s+\\d+\\s+0\/16\\s+0\/0\\s+quarantined\\s+trapped \\(${escape(trap)}\\)$`, "m"));
    }
    expect(table).toMatch(/^ticker\s+1\s+\d+\s+0\s+\d+\s+\d+\/16\s+0\/0\s+running\s+-$/m);
  });
});
