// The build log: one line per step with its artifact, time and size, and a summary line.
import type { StepReport } from "./step.ts";

/** 1536 → "1.5 KiB"; bytes below 1 KiB stay whole, MiB get two decimals. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}

/** Milliseconds below ten seconds, seconds with one decimal above. */
export function formatDuration(milliseconds: number): string {
  return milliseconds < 10_000 ? `${Math.round(milliseconds)} ms` : `${(milliseconds / 1000).toFixed(1)} s`;
}

/**
 * `  wasm2c   build/kernel/kernel.c          41 ms   312.4 KiB`, or `  gcc      up to date`;
 * a step that redid only some of its tasks says how many (`3 of 11 rebuilt`), and how many
 * of those came from the output cache (`1 of 4 rebuilt, 1 from cache`).
 */
export function formatStepLine(report: StepReport): string {
  const name = report.name.padEnd(10); // the longest step name, "generation"
  if (report.tasksRun === 0) return `  ${name} up to date`;
  const restored = report.tasksRestored > 0 ? `${report.tasksTotal > 1 ? ", " : "   "}${report.tasksRestored} from cache` : "";
  const partial = `${report.tasksTotal > 1 ? `   ${report.tasksRun} of ${report.tasksTotal} rebuilt` : ""}${restored}`;
  return (
    `  ${name} ${report.artifact.padEnd(28)} ${formatDuration(report.milliseconds).padStart(8)}` +
    `  ${formatBytes(report.bytes).padStart(10)}${partial}`
  );
}

export function formatSummary(kernelBytes: number, isoBytes: number, milliseconds: number, stepsRun: number): string {
  const what = stepsRun === 0 ? "nothing to do" : `${stepsRun} step${stepsRun === 1 ? "" : "s"} run`;
  return `  done       kernel.elf ${formatBytes(kernelBytes)}, optios.iso ${formatBytes(isoBytes)} (${what}, ${formatDuration(milliseconds)})`;
}
