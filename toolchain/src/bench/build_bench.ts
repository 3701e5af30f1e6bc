// `make bench`, toolchain half: garbage collection at three store sizes, and rebuild times by step.
//
// Runs on its own too, without QEMU: `node --import tsx toolchain/src/bench/build_bench.ts`
// (`make bench-build`). docs/benchmarks.md explains each figure.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { benchmarkGarbageCollection, type GcBenchmarkResult } from "../store/gc_bench.ts";
import { removeTree } from "../store/store.ts";
import { measureRebuilds, type RebuildFigures } from "./rebuild_bench.ts";
import { formatNumber, formatTable, targetRows, type Target } from "./report.ts";

export const BUILD_TARGETS = {
  garbageCollectionRatioAt10000: 10, garbageCollectionRatioAt100000: 50,
  noOpRebuildMilliseconds: 1000, oneHandlerRebuildMilliseconds: 2000,
};

export interface GarbageCollectionRun extends GcBenchmarkResult {
  /** "memory" (tmpfs, /dev/shm) or "disk" (the temporary folder's file system). */
  medium: string;
}

/**
 * 1,000, 10,000 and 100,000 entries with 1% garbage, in memory (/dev/shm) so that the
 * 100,000-folder store builds in seconds; then 10,000 again on disk, where every commit
 * also waits for an fsync. Both collectors always run on the same store.
 */
export async function measureGarbageCollection(log: (line: string) => void): Promise<GarbageCollectionRun[]> {
  const memory = existsSync("/dev/shm") ? "/dev/shm" : undefined;
  const runs: GarbageCollectionRun[] = [];
  const plan: Array<[number, string | undefined]> = [[1_000, memory], [10_000, memory], [100_000, memory], [10_000, undefined]];
  for (const [entries, parent] of plan) {
    const folder = mkdtempSync(join(parent ?? tmpdir(), "optios-gc-bench-"));
    try {
      log(`bench: gc, ${formatNumber(entries, 0)} entries, 1% garbage, ${parent ? "in memory" : "on disk"}`);
      runs.push({ medium: parent ? "memory" : "disk", ...(await benchmarkGarbageCollection({ entries, generations: 100, folder })) });
    } finally {
      await removeTree(folder); // the live entries are read-only folders
    }
  }
  return runs;
}

export function printGarbageCollection(runs: GarbageCollectionRun[] | undefined, problem: string | undefined, log: (line: string) => void): void {
  log("\nGarbage collection, 1% garbage (milliseconds; phase 1 = dead entries out of the store, phase 2 = deleting them)");
  if (!runs) return log(`  not measured: ${problem}`);
  const header = ["entries", "medium", "refcount phase 1", "mark-and-sweep phase 1", "ratio", "refcount phase 2", "pool scan (m&s only)", "ratio, both phases"];
  formatTable([header, ...runs.map((run) => [
    formatNumber(run.entries, 0), run.medium, formatNumber(run.referenceCountedMilliseconds), formatNumber(run.markAndSweepMilliseconds),
    `${formatNumber(run.ratio)}×`, formatNumber(run.referenceCountedDeletionMilliseconds), formatNumber(run.poolScanMilliseconds), `${formatNumber(run.totalRatio)}×`,
  ])]).forEach((line) => log(`  ${line}`));
}

export function printRebuilds(figures: RebuildFigures | undefined, problem: string | undefined, log: (line: string) => void): void {
  log("\nRebuilds (milliseconds: whole `optios build` process / the build's own steps; then each step that ran)");
  if (!figures) return log(`  not measured: ${problem}`);
  const runs = {
    "no-op rebuild": figures.noOp, "first handler change (asc server may start)": figures.firstHandlerChange,
    "after changing one handler (warm)": figures.oneHandlerChanged, "after changing a kernel file": figures.kernelFileChanged,
  };
  for (const [label, time] of Object.entries(runs)) {
    log(`  ${label}: ${formatNumber(time.wallMilliseconds, 0)} / ${formatNumber(time.buildMilliseconds, 0)}  (${time.stepsRun})`);
    const share = (milliseconds: number) => `${formatNumber((100 * milliseconds) / time.wallMilliseconds, 0)}%`;
    const rows = time.steps.map((step) => [`    ${step.name}`, formatNumber(step.milliseconds, 0), share(step.milliseconds)]);
    rows.push(["    outside the steps (Node start-up, loading the tool, planning)", formatNumber(time.wallMilliseconds - time.buildMilliseconds, 0), share(time.wallMilliseconds - time.buildMilliseconds)]);
    formatTable(rows).forEach((line) => log(line));
  }
}

export function buildTargets(runs: GarbageCollectionRun[] | undefined, figures: RebuildFigures | undefined): Target[] {
  const gcAt = (entries: number) => runs?.find((run) => run.entries === entries && run.medium === "memory") ?? runs?.find((run) => run.entries === entries);
  const ratioTarget = (entries: number, goal: number): Target => {
    const run = gcAt(entries);
    return { name: `refcount GC vs full scan, ${formatNumber(entries, 0)} entries (phase 1, ${run?.medium ?? "?"})`, goal: `≥ ${goal}× faster`,
      value: run ? `${formatNumber(run.ratio)}×` : "n/a", met: run ? run.ratio >= goal : undefined };
  };
  return [
    ratioTarget(10_000, BUILD_TARGETS.garbageCollectionRatioAt10000),
    ratioTarget(100_000, BUILD_TARGETS.garbageCollectionRatioAt100000),
    { name: "no-op rebuild (whole process)", goal: `≤ ${BUILD_TARGETS.noOpRebuildMilliseconds} ms`,
      value: figures ? `${formatNumber(figures.noOp.wallMilliseconds, 0)} ms` : "n/a", met: figures ? figures.noOp.wallMilliseconds <= BUILD_TARGETS.noOpRebuildMilliseconds : undefined },
    { name: "rebuild after one handler changed (whole process)", goal: `≤ ${BUILD_TARGETS.oneHandlerRebuildMilliseconds} ms`,
      value: figures ? `${formatNumber(figures.oneHandlerChanged.wallMilliseconds, 0)} ms` : "n/a",
      met: figures ? figures.oneHandlerChanged.wallMilliseconds <= BUILD_TARGETS.oneHandlerRebuildMilliseconds : undefined },
  ];
}

async function main(): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const garbageCollection = await measureGarbageCollection(log);
  log("bench: rebuilds (no-op, then one handler changed) in a scratch root");
  const rebuilds = await measureRebuilds();
  printGarbageCollection(garbageCollection, undefined, log);
  printRebuilds(rebuilds, undefined, log);
  log("\nTargets (informational)");
  formatTable(targetRows(buildTargets(garbageCollection, rebuilds))).forEach((line) => log(`  ${line}`));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((error: Error) => {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exitCode = 1;
  });
}
