// `make bench`: boot timings against QEMU's own floor, image sizes and the smallest RAM that boots.
//
// Usage: npx tsx toolchain/src/bench.ts [--runs N]   (after `make`; needs build/kernel.elf
// and build/optios.iso). Prints a table and writes build/bench.json. Targets are
// informational: a missed target is reported, never a failing exit. docs/benchmarks.md
// explains every figure.

import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { buildFloorIso, buildFloorKernel } from "./bench/floor.ts";
import { measureHandlers, type HandlerFigures } from "./bench/handlers_bench.ts";
import { measureInput, type InputFigures } from "./bench/input_bench.ts";
import { measureUpgrades, type UpgradeFigures } from "./bench/upgrade_bench.ts";
import { measureDurability, type DurableFigures } from "./bench/durable_bench.ts";
import { measureRebuilds } from "./bench/rebuild_bench.ts";
import { buildTargets, measureGarbageCollection, printGarbageCollection, printRebuilds } from "./bench/build_bench.ts";
import { COMPARISON_MEMORY, formatLinuxComparison, measureLinuxComparison } from "./bench/linux_bench.ts";
import { formatNetwork, measureNetwork } from "./bench/network_bench.ts";
import { QEMU_COMMAND, stopAllMachines, type MachineOptions } from "./bench/machine.ts";
import * as measure from "./bench/measure.ts";
import { KERNEL_BUDGET_BYTES } from "./build/link.ts";
import { ISO_BUDGET_BYTES } from "./build/iso.ts";
import { buildSystemInScratch } from "./build/scratch.ts";
import { defaultKernelArguments, paths } from "./project.ts";
import { formatBytes, formatNumber, formatTable, statisticsRow, summarize, targetRows, type Statistics, type Target } from "./bench/report.ts";

const { build: BUILD, kernelElf: KERNEL, iso: ISO, kernelWasm: KERNEL_WASM } = paths;
const SCRATCH = join(BUILD, "bench");
/** Guest RAM for the timed boots (the memory probes choose their own). */
const MEMORY = "64M";
const DEFAULT_RUNS = 5;
/** Rounds of the Linux comparison (OptiOS then Linux); a Linux boot and its ping-pong take seconds. */
const LINUX_ROUNDS = 3;
const TARGETS = {
  pvhBootMilliseconds: 150, kernelKibibytes: KERNEL_BUDGET_BYTES / 1024, isoMebibytes: ISO_BUDGET_BYTES / 1024 / 1024, memoryMebibytes: 16,
  emptyRunCycles: 2000, rollbackOnePageCycles: 5000, idleHandlerKibibytes: 64,
};

interface Boots {
  optios: { wall: number[]; entry: number[]; banner: number[] };
  floor: { wall: number[]; exit: number[] };
}

async function main(): Promise<void> {
  const runs = readRuns(process.argv.slice(2));
  for (const file of [KERNEL, ISO]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run make first`);
  }
  // Boot copies: a `make run` holding a lock on build/optios.iso cannot stop QEMU here,
  // and a rebuild during the bench cannot mix two kernels into one set of figures.
  mkdirSync(SCRATCH, { recursive: true });
  const kernel = join(SCRATCH, "kernel.elf");
  const iso = join(SCRATCH, "optios.iso");
  copyFileSync(KERNEL, kernel);
  // The ISO is rebuilt in a scratch root with a fresh store: one generation, so GRUB boots at
  // once. build/optios.iso lists every kept generation and waits 3 s in its menu.
  const single = await buildSystemInScratch(paths.system, defaultKernelArguments, 900_000);
  copyFileSync(single.iso, iso);
  single.remove();
  const floorKernel = buildFloorKernel(SCRATCH);
  let floorIso: string | undefined;
  let floorIsoProblem: string | undefined;
  try {
    floorIso = buildFloorIso(iso, floorKernel, SCRATCH);
  } catch (error) {
    floorIsoProblem = (error as Error).message;
  }

  log(`bench: ${runs} runs of each boot (after one warm-up), one guest at a time, -m ${MEMORY}`);
  const pvhBoots = await timeBoots("PVH", { kernel, memory: MEMORY }, { kernel: floorKernel, memory: MEMORY }, runs);
  const isoBoots = await timeBoots("BIOS ISO", { iso, memory: MEMORY }, floorIso ? { iso: floorIso, memory: MEMORY } : undefined, runs);
  log("bench: bisecting the smallest -m for a PVH banner, then for the ISO booted to a working shell");
  const probes: measure.MemoryProbe[] = [];
  const smallestMemory = await measure.findSmallestMemory(measure.bannerGoal(kernel), probes);
  const shellProbes: measure.MemoryProbe[] = [];
  const smallestShellMemory = await measure.findSmallestMemory(measure.isoShellGoal(iso), shellProbes);
  const sizes = measure.measureSizes(KERNEL, ISO, KERNEL_WASM);
  log("bench: building and booting the handler bench system (test=bench)");
  const handlers = await attempt(measureHandlers);
  log("bench: live upgrades (optios deploy of the heartbeat handler, again and again)");
  const upgrades = await attempt(measureUpgrades);
  log("bench: durable commits on a data disk, then the log's recovery at the next boot");
  const durability = await attempt(() => measureDurability(log));
  log("bench: typing at the shell over serial (keystroke -> echo, loglevel=7)");
  const input = await attempt(measureInput);
  log("bench: rebuilds (no-op, then one handler changed) in a scratch root");
  const rebuilds = await attempt(measureRebuilds);
  const garbageCollection = await attempt(() => measureGarbageCollection(log));
  log(`bench: Linux comparison: ${LINUX_ROUNDS} rounds alternating OptiOS and the Debian kernel + busybox guest (PVH, -m ${COMPARISON_MEMORY})`);
  const linux = await attempt(() => measureLinuxComparison(kernel, SCRATCH, LINUX_ROUNDS, log));
  log("bench: the network: UDP echo and HTTP from the host, OptiOS then Linux, each with virtio-net and QEMU's user network; then UDP echo with the bench as the wire");
  const network = await attempt(() => measureNetwork(iso, log, { root: process.cwd(), kernelElf: KERNEL, scratch: SCRATCH }));

  const statistics = {
    pvh: summarizeBoots(pvhBoots),
    iso: summarizeBoots(isoBoots),
  };
  const difference = (a?: Statistics, b?: Statistics): number | undefined =>
    a && b ? Math.round((a.median - b.median) * 1000) / 1000 : undefined;
  const derived = {
    optiosPvhAboveFloorMilliseconds: difference(statistics.pvh.optios.wall, statistics.pvh.floor?.wall),
    optiosIsoAboveFloorMilliseconds: difference(statistics.iso.optios.wall, statistics.iso.floor?.wall),
    firmwareAndGrubMilliseconds: difference(statistics.iso.floor?.wall, statistics.pvh.floor?.wall),
  };
  const targets = [
    ...evaluateTargets(statistics.pvh.optios.wall.median, sizes, smallestMemory, smallestShellMemory),
    ...handlerTargets(handlers.value),
    ...buildTargets(garbageCollection.value, rebuilds.value),
  ];

  printReport(runs, statistics, derived, sizes, { smallestMemory, probes, smallestShellMemory, shellProbes }, floorIsoProblem);
  printHandlers(handlers.value, handlers.problem);
  printPrograms(handlers.value, input.value, handlers.problem, input.problem);
  printUpgrades(upgrades.value, upgrades.problem);
  printDurability(durability.value, durability.problem);
  printGarbageCollection(garbageCollection.value, garbageCollection.problem, log);
  printRebuilds(rebuilds.value, rebuilds.problem, log);
  log(`\nLinux comparison (medians of ${LINUX_ROUNDS} alternating rounds; PVH, -m ${COMPARISON_MEMORY}; docs/benchmarks.md)`);
  formatLinuxComparison(linux.value, linux.problem, handlers.value).forEach((line) => log(line));
  log("\nNetwork (the default system's echo and status page; Linux: a static UDP echo and busybox httpd; docs/benchmarks.md)");
  formatNetwork(network.value, network.problem).forEach((line) => log(line));
  log("\nTargets (informational)");
  formatTable(targetRows(targets)).forEach((line) => log(`  ${line}`));
  const result = {
    date: new Date().toISOString(),
    host: { cpus: availableParallelism(), qemu: qemuVersion(), node: process.version },
    runs,
    boots: statistics,
    derived,
    floorIsoProblem,
    sizes,
    memory: { smallestMebibytes: smallestMemory, probes, isoShell: { smallestMebibytes: smallestShellMemory, probes: shellProbes } },
    handlers: handlers.value ?? { problem: handlers.problem },
    input: input.value ?? { problem: input.problem },
    upgrades: upgrades.value ?? { problem: upgrades.problem },
    durability: durability.value ?? { problem: durability.problem },
    garbageCollection: garbageCollection.value ?? { problem: garbageCollection.problem },
    rebuilds: rebuilds.value ?? { problem: rebuilds.problem },
    linuxComparison: linux.value ?? { problem: linux.problem },
    network: network.value ?? { problem: network.problem },
    targets,
  };
  writeFileSync(join(BUILD, "bench.json"), JSON.stringify(result, null, 2) + "\n");
  log(`\nwrote ${join(BUILD, "bench.json")}`);
}

/** Warm-up, then `runs` rounds alternating OptiOS and its floor, so drift hits both alike. */
async function timeBoots(name: string, optios: MachineOptions, floor: MachineOptions | undefined, runs: number): Promise<Boots> {
  const boots: Boots = { optios: { wall: [], entry: [], banner: [] }, floor: { wall: [], exit: [] } };
  await measure.timeOptiosBoot(optios);
  if (floor) await measure.timeFloorBoot(floor);
  for (let run = 1; run <= runs; run++) {
    const boot = await measure.timeOptiosBoot(optios);
    boots.optios.wall.push(boot.wallMilliseconds);
    boots.optios.entry.push(boot.entryMilliseconds);
    boots.optios.banner.push(boot.bannerMilliseconds);
    if (floor) {
      const floorBoot = await measure.timeFloorBoot(floor);
      boots.floor.wall.push(floorBoot.wallMilliseconds);
      boots.floor.exit.push(floorBoot.exitMilliseconds);
    }
    log(`  ${name} run ${run}/${runs}: banner after ${formatNumber(boot.wallMilliseconds)} ms`);
  }
  return boots;
}

function summarizeBoots(boots: Boots) {
  const hasFloor = boots.floor.wall.length > 0;
  return {
    optios: { wall: summarize(boots.optios.wall), entry: summarize(boots.optios.entry), banner: summarize(boots.optios.banner) },
    floor: hasFloor ? { wall: summarize(boots.floor.wall), exit: summarize(boots.floor.exit) } : undefined,
  };
}

function evaluateTargets(pvhMedian: number, sizes: measure.Sizes, smallestMemory: number | undefined, smallestShellMemory: number | undefined): Target[] {
  const kernelKibibytes = sizes.kernelElfBytes / 1024;
  const isoMebibytes = sizes.isoBytes / 1024 / 1024;
  return [
    { name: "PVH boot, QEMU launch → banner (median)", goal: `≤ ${TARGETS.pvhBootMilliseconds} ms`, value: `${formatNumber(pvhMedian)} ms`, met: pvhMedian <= TARGETS.pvhBootMilliseconds },
    { name: "kernel ELF size", goal: `≤ ${TARGETS.kernelKibibytes} KiB`, value: `${formatNumber(kernelKibibytes)} KiB`, met: kernelKibibytes <= TARGETS.kernelKibibytes },
    { name: "ISO size", goal: `≤ ${TARGETS.isoMebibytes} MiB`, value: `${formatNumber(isoMebibytes, 2)} MiB`, met: isoMebibytes <= TARGETS.isoMebibytes },
    {
      name: "boots with -m 16M",
      goal: `smallest -m ≤ ${TARGETS.memoryMebibytes} MiB`,
      value: smallestMemory === undefined ? "n/a" : `${smallestMemory} MiB`,
      met: smallestMemory === undefined ? false : smallestMemory <= TARGETS.memoryMebibytes,
    },
    {
      name: "ISO boots to a working shell with -m 16M",
      goal: `smallest -m ≤ ${TARGETS.memoryMebibytes} MiB`,
      value: smallestShellMemory === undefined ? "n/a" : `${smallestShellMemory} MiB`,
      met: smallestShellMemory === undefined ? false : smallestShellMemory <= TARGETS.memoryMebibytes,
    },
  ];
}

function printReport(
  runs: number,
  statistics: { pvh: ReturnType<typeof summarizeBoots>; iso: ReturnType<typeof summarizeBoots> },
  derived: Record<string, number | undefined>,
  sizes: measure.Sizes,
  memory: { smallestMemory?: number; probes: measure.MemoryProbe[]; smallestShellMemory?: number; shellProbes: measure.MemoryProbe[] },
  floorIsoProblem: string | undefined,
): void {
  const { pvh, iso } = statistics;
  log(`\nBoot, milliseconds (${runs} runs; host clock unless marked guest)`);
  const bootRows = [
    ["", "median", "min", "max"],
    statisticsRow("PVH: spawn → banner", pvh.optios.wall),
    statisticsRow("PVH: machine start → kernel entry (guest)", pvh.optios.entry),
    statisticsRow("PVH: kernel entry → banner (guest)", pvh.optios.banner),
    statisticsRow("PVH floor: spawn → \"floor\"", pvh.floor?.wall),
    statisticsRow("PVH floor: spawn → QEMU exit", pvh.floor?.exit),
    statisticsRow("BIOS ISO: spawn → banner", iso.optios.wall),
    statisticsRow("BIOS ISO: machine start → kernel entry (guest)", iso.optios.entry),
    statisticsRow("BIOS ISO: kernel entry → banner (guest)", iso.optios.banner),
    statisticsRow("BIOS ISO floor: spawn → \"floor\"", iso.floor?.wall),
    statisticsRow("BIOS ISO floor: spawn → QEMU exit", iso.floor?.exit),
  ];
  formatTable(bootRows).forEach((line) => log(`  ${line}`));
  if (floorIsoProblem) log(`  (no ISO floor: ${floorIsoProblem})`);

  log("\nDerived (differences of medians, milliseconds)");
  const shown = (value: number | undefined): string => (value === undefined ? "n/a" : formatNumber(value));
  formatTable([
    ["OptiOS PVH boot above the QEMU+PVH floor", shown(derived.optiosPvhAboveFloorMilliseconds)],
    ["OptiOS ISO boot above the ISO floor (same GRUB)", shown(derived.optiosIsoAboveFloorMilliseconds)],
    ["SeaBIOS + GRUB (ISO floor − PVH floor)", shown(derived.firmwareAndGrubMilliseconds)],
  ]).forEach((line) => log(`  ${line}`));

  log("\nSizes");
  const sizeRows = [["build/kernel.elf", formatBytes(sizes.kernelElfBytes)]];
  if (sizes.sections) {
    const { text, data, bss } = sizes.sections;
    sizeRows.push(["  sections (size)", `text ${formatBytes(text)}, data ${formatNumber(data, 0)}, bss ${formatNumber(bss, 0)} bytes`]);
  }
  sizeRows.push([sizes.kernelWasm?.path ?? "kernel wasm", sizes.kernelWasm ? formatBytes(sizes.kernelWasm.bytes) : "not found under build/"]);
  sizeRows.push(["build/optios.iso", formatBytes(sizes.isoBytes)]);
  formatTable(sizeRows).forEach((line) => log(`  ${line}`));

  log("\nMemory");
  const probeList = (probes: measure.MemoryProbe[]) => probes.map((probe) => `${probe.mebibytes}${probe.booted ? " ok" : " no"}`).join(", ");
  const smallest = (mebibytes?: number) => (mebibytes === undefined ? "none up to 64 MiB" : `${mebibytes} MiB`);
  log(`  smallest -m that shows the PVH banner: ${smallest(memory.smallestMemory)} (probes: ${probeList(memory.probes)})`);
  log(`  smallest -m that boots the ISO to a working shell: ${smallest(memory.smallestShellMemory)} (probes: ${probeList(memory.shellProbes)})`);

}

/** Runs one measurement; a failure is reported in its section instead of ending the bench. */
async function attempt<T>(measurement: () => Promise<T>): Promise<{ value?: T; problem?: string }> {
  try {
    return { value: await measurement() };
  } catch (error) {
    return { problem: (error as Error).message.split("\n")[0] };
  }
}

function printHandlers(figures: HandlerFigures | undefined, problem: string | undefined): void {
  log("\nHandlers (guest TSC cycles under TCG: host cycles spent emulating, not native cycles)");
  if (!figures) return log(`  not measured: ${problem}`);
  formatTable([
    ["", "p50", "p99"],
    [`event posted → handler entry (${formatNumber(figures.runs, 0)} runs)`, formatNumber(figures.dispatchCycles.p50, 0), formatNumber(figures.dispatchCycles.p99, 0)],
    ["empty handler, posted → committed", formatNumber(figures.emptyRunCycles.p50, 0), formatNumber(figures.emptyRunCycles.p99, 0)],
    [`synchronous call round trip, caller → callee → reply (${formatNumber(figures.calls, 0)} calls)`,
      formatNumber(figures.callRoundTripCycles.p50, 0), formatNumber(figures.callRoundTripCycles.p99, 0)],
  ]).forEach((line) => log(`  ${line}`));
  log(`  handler runs per second: ${formatNumber(figures.runsPerSecond, 0)} (TSC ${formatNumber(figures.tscMegahertz, 0)} MHz); an empty run dirties ${figures.emptyRunPages} pages`);
  const costs = (label: string, list: { pages: number; cyclesMedian: number }[]) =>
    `${label}: ${list.map((cost) => `${cost.pages} pages ${formatNumber(cost.cyclesMedian, 0)}`).join(", ")} (cycles, p50)`;
  log(`  ${costs("commit", figures.commit)}`);
  log(`  ${costs("rollback", figures.rollback)}`);
  const idle = figures.idleHandlerBytes;
  log(`  idle handler: image ${formatBytes(idle.image)}, globals ${formatBytes(idle.instance)}, wasm memory ${formatBytes(idle.memory)} (reserved ${formatBytes(idle.reserved)})`);
}

function printPrograms(figures: HandlerFigures | undefined, input: InputFigures | undefined, problem: string | undefined,
  inputProblem: string | undefined): void {
  log("\nPrograms, input and the boot filesystem (guest TSC cycles under TCG)");
  if (figures) {
    const programs = figures.programs;
    formatTable([
      ["", "p50", "p99"],
      [`context switch round trip, kernel → waiting program → kernel (${formatNumber(programs.switchRuns, 0)})`,
        formatNumber(programs.switchRoundTripCycles.p50, 0), formatNumber(programs.switchRoundTripCycles.p99, 0)],
      ["  one switch (half the round trip)", formatNumber(programs.switchRoundTripCycles.p50 / 2, 0), ""],
    ]).forEach((line) => log(`  ${line}`));
    log(`  boot filesystem read: ${formatBytes(programs.fileRead.bytes)} in ${formatNumber(programs.fileRead.cyclesMedian, 0)} cycles ` +
      `(p50) = ${formatNumber(programs.fileRead.mebibytesPerSecond, 0)} MiB/s; path lookup ${formatNumber(programs.fileLookupCycles, 0)} cycles`);
  } else log(`  switches and file reads not measured: ${problem}`);
  if (input) {
    log(`  keystroke → echo (serial interrupt to echo written, ${input.keys} keys): median ${formatNumber(input.echoCycles.median, 0)} cycles, ` +
      `min ${formatNumber(input.echoCycles.minimum, 0)}, max ${formatNumber(input.echoCycles.maximum, 0)}`);
    const rate = input.lineRate;
    log(`  line rate (${formatNumber(rate.lines, 0)} \`echo\` lines written at once to the serial console): ` +
      `${formatNumber(rate.linesPerSecond, 0)} lines/s sustained, guest clock (${formatNumber(rate.ran, 0)} ran, ` +
      `${formatNumber(rate.refused, 0)} refused, ${formatNumber(rate.seconds, 2)} s)`);
  } else log(`  keystroke → echo not measured: ${inputProblem}`);
}

function printUpgrades(figures: UpgradeFigures | undefined, problem: string | undefined): void {
  log("\nLive upgrades (optios deploy; docs/upgrade.md)");
  if (!figures) {
    log(`  not measured: ${problem}`);
    return;
  }
  formatTable([
    ["", "median", "min", "max"],
    [`swap in the kernel, guest TSC cycles (${figures.deploys} deploys of ${figures.handler})`, formatNumber(figures.swapCycles.median, 0),
      formatNumber(figures.swapCycles.minimum, 0), formatNumber(figures.swapCycles.maximum, 0)],
    [`deploy, send → answer, host ms (${formatBytes(figures.transferBytes)} over COM2)`, formatNumber(figures.deployMilliseconds.median),
      formatNumber(figures.deployMilliseconds.minimum), formatNumber(figures.deployMilliseconds.maximum)],
  ]).forEach((line) => log(`  ${line}`));
  log(`  the kernel's heap grew ${formatNumber(figures.heapBytesPerDeploy, 0)} bytes a deploy after the first (its runtime never frees; ` +
    "the shell's mem reports make a few; docs/upgrade.md, Limits)");
}

function printDurability(figures: DurableFigures | undefined, problem: string | undefined): void {
  log("\nDurability (handlers committing back to back on a virtio-blk data disk; docs/storage.md)");
  if (!figures) {
    log(`  not measured: ${problem}`);
    return;
  }
  formatTable([
    ["", "p50", "p99"],
    ["durable commit, write + flush, guest TSC cycles (the last 256)", formatNumber(figures.commitCycles.p50, 0), formatNumber(figures.commitCycles.p99, 0)],
    ["  of which the flush", formatNumber(figures.flushCycles.p50, 0), ""],
    ...(figures.linux ? [
      [`Linux: write ${formatBytes(figures.bytesPerCommit)} + fsync on /dev/vda, guest TSC cycles (${figures.linux.commits})`,
        formatNumber(figures.linux.p50Cycles, 0), formatNumber(figures.linux.p99Cycles, 0)],
      ["  of which the fsync", formatNumber(figures.linux.fsyncP50Cycles, 0), ""],
    ] : []),
  ]).forEach((line) => log(`  ${line}`));
  if (figures.linux) {
    const ratio = figures.linux.p50Cycles / figures.commitCycles.p50;
    log(`  OptiOS's durable commit p50 is ${formatNumber(ratio)}× Linux's write + fsync of the same ${formatBytes(figures.bytesPerCommit)} ` +
      `(goal ≥ 1×: ${ratio >= 1 ? "met" : "not met"})`);
  } else {
    log(`  Linux write + fsync: not measured: ${figures.linuxProblem}`);
  }
  log(`  back-to-back commits per second: ${formatNumber(figures.commitsPerSecond.commit, 0)} flushed one by one, ` +
    `${formatNumber(figures.commitsPerSecond.group, 0)} with group commit (interval:10ms)`);
  log(`  ${formatNumber(figures.recordsWritten, 0)} records written in the run; the next boot read ${formatNumber(figures.recovery.records, 0)} ` +
    `records (${formatBytes(figures.recovery.bytes)}) in ${formatNumber(figures.recovery.milliseconds, 2)} ms (guest clock)`);
  log(`  disk space: ${Object.entries(figures.spacePerWriter).map(([writer, bytes]) => `${writer} ${formatBytes(bytes)}`).join(", ")} in the log; ` +
    `a commit ${formatBytes(figures.bytesPerCommit)}, a checkpoint (what compaction keeps of a handler) ${formatBytes(figures.checkpointBytes)}`);
  if (figures.files) {
    const mebibytes = (figures.files.count * figures.files.kibibytes) / 1024;
    log(`  files (a program, each write flushed on return): ${figures.files.count} × ${figures.files.kibibytes} KiB written at ` +
      `${formatNumber(mebibytes / (figures.files.writeMilliseconds / 1000))} MiB/s, read back (CRC checked) at ` +
      `${formatNumber(mebibytes / (figures.files.readMilliseconds / 1000))} MiB/s (guest clock)`);
  }
}

function handlerTargets(figures: HandlerFigures | undefined): Target[] {
  const idle = figures ? (figures.idleHandlerBytes.image + figures.idleHandlerBytes.instance + figures.idleHandlerBytes.memory) / 1024 : undefined;
  const smallestRollback = figures?.rollback[0];
  return [
    { name: "empty handler run incl. commit (p50, TCG)", goal: `≤ ${TARGETS.emptyRunCycles} cycles`,
      value: figures ? `${formatNumber(figures.emptyRunCycles.p50, 0)} cycles` : "n/a", met: !!figures && figures.emptyRunCycles.p50 <= TARGETS.emptyRunCycles },
    { name: `rollback of the smallest run (${smallestRollback?.pages ?? "?"} pages, TCG)`, goal: `≤ ${TARGETS.rollbackOnePageCycles} cycles for 1 page`,
      value: smallestRollback ? `${formatNumber(smallestRollback.cyclesMedian, 0)} cycles` : "n/a", met: !!smallestRollback && smallestRollback.pages <= 1 && smallestRollback.cyclesMedian <= TARGETS.rollbackOnePageCycles },
    { name: "memory per idle handler", goal: `≤ ${TARGETS.idleHandlerKibibytes} KiB`,
      value: idle === undefined ? "n/a" : `${formatNumber(idle)} KiB`, met: idle !== undefined && idle <= TARGETS.idleHandlerKibibytes },
  ];
}

function readRuns(args: string[]): number {
  const index = args.indexOf("--runs");
  if (index < 0) return DEFAULT_RUNS;
  const runs = Number(args[index + 1]);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs needs a positive whole number, got ${args[index + 1]}`);
  return runs;
}

function qemuVersion(): string {
  try {
    return execFileSync(QEMU_COMMAND, ["--version"], { encoding: "utf8" }).split("\n")[0];
  } catch {
    return "unknown";
  }
}

function log(line: string): void {
  process.stdout.write(line + "\n");
}

main()
  .catch(async (error: Error) => {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopAllMachines());
