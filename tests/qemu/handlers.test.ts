// Handlers in QEMU: modules loaded at boot, persisted state, rollback per trap kind, budgets, quarantine, overflow.
//
// Builds tests/qemu/systems/handlers.toml (one fixture handler per behaviour) into a scratch
// project root — the sources are symlinked and the main build's outputs copied, so only the
// fixtures' modules and the ISO are new — boots it once with loglevel=7 (the retries of a
// failure streak are logged at debug level), and reads the log until every failing fixture
// has been quarantined. Each test then checks one behaviour in that log.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startMachine, stopAllMachines } from "../../toolchain/src/bench/machine.ts";
import { buildSystemInScratch, type ScratchBuild } from "../../toolchain/src/build/scratch.ts";

const SYSTEM = "tests/qemu/systems/handlers.toml";
/** The fixtures that fail every run, and the words each failure must be reported with. */
const FAILING = {
  "trap-divide": "trapped (integer divide by zero)",
  "trap-stack": "trapped (call stack exhausted)",
  // AssemblyScript's own bounds check: the message and place its abort() names.
  "trap-abort": "aborted: Index out of range at ~lib/staticarray.ts:93:41",
  // throw new Error(…): its message and the fixture's own source line.
  "trap-throw": "aborted: trap-throw fails on purpose at tests/qemu/handlers/trap_throw.ts:9:3",
  "trap-memory": "memory limit 256.0 KiB reached",
  "trap-bounds": "changed more than 1024 pages (4.0 MiB) in one run, the snapshot's dirty-page cap",
  spinner: "overran its 20ms budget",
} as const;
const MAXIMUM_FAILURES = 5; // kernel/events/supervision.ts: SupervisionPolicy.maximumFailures
const BUILD_TIMEOUT_MILLISECONDS = 540_000;
const RUN_TIMEOUT_MILLISECONDS = 150_000;

let scratch: ScratchBuild | undefined;
let log = "";

beforeAll(async () => {
  scratch = await buildSystemInScratch(SYSTEM, "console=all loglevel=7", BUILD_TIMEOUT_MILLISECONDS);
  const machine = startMachine({ iso: scratch.iso, memory: "128M" });
  for (const [name, report] of Object.entries(FAILING)) {
    await machine.waitFor(new RegExp(`'${name}' ${report.replace(/[()]/g, "\\$&")}; run rolled back, state kept; quarantined`),
      RUN_TIMEOUT_MILLISECONDS);
  }
  await machine.waitFor(/monitor: nobody is/, RUN_TIMEOUT_MILLISECONDS);
  await machine.waitFor(/\[counter\] counter: run \d+[\s\S]*\[counter\] counter: run \d+[\s\S]*\[counter\] counter: run \d+\s*$/,
    RUN_TIMEOUT_MILLISECONDS);
  log = machine.output.replace(/\r/g, "");
  await stopAllMachines();
}, BUILD_TIMEOUT_MILLISECONDS + 2 * RUN_TIMEOUT_MILLISECONDS);

afterAll(async () => {
  await stopAllMachines();
  scratch?.remove();
});

const lines = () => log.split("\n");
const indexOf = (pattern: RegExp) => lines().findIndex((line) => pattern.test(line));

describe("handler modules", () => {
  test("every handler of the system is loaded as its own module and started with its version", () => {
    for (const name of ["counter", "trap-divide", "trap-stack", "trap-abort", "trap-throw", "trap-memory", "trap-bounds",
      "spinner", "flooder", "flooder-two", "sink", "monitor"]) {
      expect(log).toContain(`handlers: started '${name}' version 1`);
    }
  });

  test("a handler's top-level state persists: its run counter goes up by one each run", () => {
    const runs = [...log.matchAll(/\[counter\] counter: run (\d+)/g)].map((match) => Number(match[1]));
    expect(runs.length).toBeGreaterThanOrEqual(10);
    expect(runs).toEqual(runs.map((_, index) => index + 1));
  });
});

describe("a failing run is rolled back", () => {
  for (const [name, report] of Object.entries(FAILING)) {
    test(`${name}: reported as "${report}", and the state it corrupted before failing is restored`, () => {
      expect(log).toContain(`handlers: '${name}' ${report}; run rolled back, state kept`);
      if (name === "spinner") return; // the spinner's state is its spin count, checked by the budget test
      const states = [...log.matchAll(new RegExp(`\\[${name}\\] \\(rolled back\\) ${name}: state=(-?\\d+)`, "g"))]
        .map((match) => match[1]);
      // Every run sets state to -1 before failing; each retry must still see the 42 of the boot run.
      expect(states.length).toBeGreaterThanOrEqual(2);
      expect(new Set(states)).toEqual(new Set(["42"]));
    });
  }

  test("what a rolled-back run logged is marked as such; a committed run's lines are not", () => {
    // The boot run committed; every later run of a trap fixture trapped after logging its state.
    expect(log).toContain("[trap-divide] trap-divide: ready state=42");
    expect(log).not.toMatch(/^\[trap-divide\] trap-divide: state=/m);
    expect(log).not.toMatch(/^\[counter\] \(rolled back\)/m);
    // The line appears when the run is over: after nothing else the run did, right before its failure is reported.
    const marked = indexOf(/^\[trap-divide\] \(rolled back\) trap-divide: state=42$/);
    expect(lines()[marked + 1]).toMatch(/^handlers: 'trap-divide' trapped \(integer divide by zero\)/);
  });
});

describe("budgets and supervision", () => {
  test("an endless loop is stopped at its budget while another handler keeps its schedule", () => {
    const firstOverrun = indexOf(/'spinner' overran its 20ms budget/);
    const quarantined = indexOf(/'spinner' overran its 20ms budget.*quarantined/);
    expect(firstOverrun).toBeGreaterThan(0);
    const counterRunsBetween = lines().slice(firstOverrun, quarantined).filter((line) => line.startsWith("[counter]"));
    expect(counterRunsBetween.length).toBeGreaterThanOrEqual(3);
    expect(lines().slice(quarantined).filter((line) => line.startsWith("[counter]")).length).toBeGreaterThanOrEqual(1);
  });

  test(`a handler that keeps failing is retried, then quarantined after ${MAXIMUM_FAILURES} failures and never runs again`, () => {
    for (const [name, report] of Object.entries(FAILING)) {
      const failures = lines().filter((line) => line.startsWith(`handlers: '${name}' ${report}`));
      expect(failures.length, name).toBe(MAXIMUM_FAILURES);
      expect(failures.at(-1), name).toMatch(/quarantined$/);
      expect(failures.slice(0, -1).every((line) => line.endsWith("backing off")), name).toBe(true);
      const quarantine = indexOf(new RegExp(`^handlers: '${name}' .*quarantined$`));
      expect(lines().slice(quarantine + 1).some((line) => line.startsWith(`[${name}]`)), name).toBe(false);
    }
  });
});

describe("queries", () => {
  test("a handler can read another's counters: runs, failures, the streak, the last trap, quarantine", () => {
    // trap-divide: a good boot run, then 5 failed runs (integer divide by zero is trap kind 3), quarantined.
    expect(log).toContain(`monitor: trap-divide runs=${MAXIMUM_FAILURES + 1} failures=${MAXIMUM_FAILURES} ` +
      `consecutive=${MAXIMUM_FAILURES} last-trap=3 quarantined=1`);
    expect(log).toContain("monitor: nobody is absent");
  });
});

describe("events", () => {
  test("one run emits at most 16 events; a second flood into a full queue is dropped and counted; what fits is delivered intact", () => {
    // flooder and flooder-two run before sink in the first round (handlers run in name order).
    expect(log).toContain("[flooder] flooder: 16 of 100 events accepted");
    expect(log).toContain("[flooder-two] flooder: 0 of 100 events accepted");
    expect(log).toContain("events: 'sink' has 16 events waiting; dropped one (1 dropped so far)");
    expect(log).toContain("events: 'sink' has 16 events waiting; dropped one (16 dropped so far)");
    const received = [...log.matchAll(/\[sink\] sink: received (\d+)/g)].map((match) => Number(match[1]));
    expect(received).toEqual([16]);
  });
});
