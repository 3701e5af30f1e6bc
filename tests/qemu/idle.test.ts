// Tickless: with one handler on a 1 s timer, the machine takes about one timer interrupt per second.
//
// The kernel arms the local APIC for the next deadline only and halts in between; with
// loglevel=7 it logs every wake with its running count of timer interrupts. Over several
// seconds, each interrupt must be matched by a run of the handler: no periodic tick.
import { afterAll, beforeAll, expect, test } from "vitest";
import { startMachine, stopAllMachines } from "../../toolchain/src/bench/machine.ts";
import { buildSystemInScratch, type ScratchBuild } from "../../toolchain/src/build/scratch.ts";

const SYSTEM = "tests/qemu/systems/idle.toml";
const OBSERVED_RUNS = 6;
let scratch: ScratchBuild | undefined;
let log = "";

beforeAll(async () => {
  scratch = await buildSystemInScratch(SYSTEM, "console=serial loglevel=7", 540_000);
  const machine = startMachine({ iso: scratch.iso, memory: "64M" });
  await machine.waitFor(new RegExp(`\\[counter\\] counter: run ${OBSERVED_RUNS + 1}\\b`), 120_000);
  log = machine.output.replace(/\r/g, "");
  await stopAllMachines();
}, 700_000);

afterAll(async () => {
  await stopAllMachines();
  scratch?.remove();
});

test("an idle system with one 1 s timer takes one timer interrupt per run, not a periodic tick", () => {
  const lines = log.split("\n");
  const firstRun = lines.findIndex((line) => line.startsWith("[counter] counter: run 1"));
  const lastRun = lines.findIndex((line) => line.startsWith(`[counter] counter: run ${OBSERVED_RUNS + 1}`));
  expect(firstRun).toBeGreaterThan(0);
  const interruptCounts = lines
    .slice(firstRun, lastRun)
    .map((line) => /^idle: woke; timer interrupts so far: (\d+)/.exec(line))
    .filter((match) => match !== null)
    .map((match) => Number(match![1]));
  const interrupts = interruptCounts.at(-1)! - interruptCounts[0];
  // Between run 1 and run 7 there are 6 deadlines; allow one stray wake either way.
  expect(interrupts).toBeGreaterThanOrEqual(OBSERVED_RUNS - 1);
  expect(interrupts).toBeLessThanOrEqual(OBSERVED_RUNS + 1);
  // And the CPU slept between them: no wake without an interrupt.
  expect(interruptCounts.length).toBeLessThanOrEqual(OBSERVED_RUNS + 2);
});
