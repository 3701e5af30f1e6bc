// `make bench`: what durability costs (docs/storage.md). Boots toolchain/src/bench/durable.toml
// with a fresh data disk; `emit go.loop` sets bench-loop committing back to back (each commit
// flushed) until RECORDS records are written: its runs over the host-timed window are commits
// per second, and `df` gives the last 256 commits' cycles (the whole commit and the flush).
// Kills QEMU, boots again on the same disk and times the recovery of that log; then
// bench-group (group commit, interval:10ms) the same way for GROUP_SECONDS, then filebench
// (file write and read throughput). Last, the log's live space per writer from the image.
// Then the Linux comparison guest (linux_guest.ts) boots in the same QEMU with a data disk of
// its own and `optios_bench=fsync`: its fsyncwriter writes the bytes an OptiOS commit wrote
// (the log's sectors over its records) to /dev/vda and fsync()s, 500 times, timed in TSC cycles.
import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import { constant } from "../../../interface/optios.ts";
import { join } from "node:path";
import { buildSystemInScratch } from "../build/scratch.ts";
import { createDataDisk } from "../disk.ts";
import { liveLogRecords } from "../disk_log.ts";
import { COMPARISON_MEMORY, LINUX_COMMAND_LINE } from "./linux_bench.ts";
import { prepareLinuxGuest } from "./linux_guest.ts";
import { startMachine, stopAllMachines } from "./machine.ts";

/** Records in the log before the kill: the recovery the next boot times reads them all. */
const RECORDS = 10_000;
/** The handler whose commits are flushed one by one (durable.toml): the latency, the Linux comparison's bytes. */
const HANDLER = "bench-loop";
/** How long bench-group commits back to back. */
const GROUP_SECONDS = 5;
/** Larger than the log's 128 MiB bound: RECORDS records are read back whole, compaction bounds what comes after. */
const DISK_BYTES = 1024 * 1024 * 1024;
const SYSTEM = "toolchain/src/bench/durable.toml";

export interface DurableFigures {
  commitCycles: { p50: number; p99: number };
  flushCycles: { p50: number };
  recordsWritten: number;
  /** Back-to-back commits per second (host-timed windows, the emit and the report included): flushed each, and grouped. */
  commitsPerSecond: { commit: number; group: number };
  recovery: { records: number; bytes: number; milliseconds: number };
  /** filebench: files × KiB written (each flushed when the call returned), then read back, in guest milliseconds. */
  files?: { count: number; kibibytes: number; writeMilliseconds: number; readMilliseconds: number };
  /** The live log's bytes per writer (the handlers, and programs' files), and the largest checkpoint. */
  spacePerWriter: Record<string, number>;
  checkpointBytes: number;
  /** Bytes one of bench-loop's commits wrote on average: its records' sectors over their number. */
  bytesPerCommit: number;
  /** Linux writing the same bytes and fsync()ing, in the same QEMU; undefined with linuxProblem when it could not run. */
  linux?: { commits: number; p50Cycles: number; p99Cycles: number; fsyncP50Cycles: number };
  linuxProblem?: string;
}

const LINUX_COMMITS = 500;
const FSYNC_LINE = /^fsyncwriter: (\d+) commits of (\d+) bytes p50 (\d+) p99 (\d+) cycles, fsync p50 (\d+) cycles\r?$/m;

/** The live log's bytes and records per writer ("(compaction)" for its copies), and the largest checkpoint's: a handler's floor on the disk. */
function logSpace(image: Buffer): { spacePerWriter: Record<string, number>; recordsPerWriter: Record<string, number>; checkpointBytes: number } {
  const spacePerWriter: Record<string, number> = {};
  const recordsPerWriter: Record<string, number> = {};
  let checkpointBytes = 0;
  for (const record of liveLogRecords(image)) {
    const name = record.writer || "(compaction)";
    spacePerWriter[name] = (spacePerWriter[name] ?? 0) + record.sectors * 512;
    recordsPerWriter[name] = (recordsPerWriter[name] ?? 0) + 1;
    if (record.kind === constant("LOG_CHECKPOINT")) checkpointBytes = Math.max(checkpointBytes, record.sectors * 512);
  }
  return { spacePerWriter, recordsPerWriter, checkpointBytes };
}

/** fsyncwriter's line (linux/fsyncwriter.c) in `output`: commits, p50, p99, the fsync's p50. */
export function parseFsyncLine(output: string): NonNullable<DurableFigures["linux"]> {
  const match = FSYNC_LINE.exec(output);
  if (!match) throw new Error("the Linux guest printed no fsyncwriter line");
  return { commits: Number(match[1]), p50Cycles: Number(match[3]), p99Cycles: Number(match[4]), fsyncP50Cycles: Number(match[5]) };
}

/** The Linux guest's write + fsync of `bytes`, LINUX_COMMITS times, on a virtio-blk disk of its own. */
async function measureLinuxFsync(directory: string, bytes: number, log: (line: string) => void): Promise<DurableFigures["linux"]> {
  const guest = prepareLinuxGuest(undefined, log);
  const disk = join(directory, "linux-data.img");
  writeFileSync(disk, "");
  truncateSync(disk, Math.max(64 * 1024 * 1024, (LINUX_COMMITS + 40) * bytes)); // sparse, raw: Linux writes sectors, as OptiOS's log does
  const machine = startMachine({ kernel: guest.vmlinux, initrd: guest.initramfs, memory: COMPARISON_MEMORY, dataDisk: disk,
    append: `${LINUX_COMMAND_LINE} optios_bench=fsync optios_commits=${LINUX_COMMITS} optios_bytes=${bytes}` });
  try {
    await machine.waitFor(FSYNC_LINE, 300_000);
    return parseFsyncLine(machine.output);
  } finally {
    machine.kill();
    await stopAllMachines();
  }
}

const number = (text: string) => Number(text.replace(/,/g, ""));

export async function measureDurability(log: (line: string) => void = () => {}): Promise<DurableFigures> {
  const scratch = await buildSystemInScratch(SYSTEM, "console=serial loglevel=6", 900_000);
  try {
    const disk = join(scratch.root, "build", "bench-data.img");
    createDataDisk(disk, DISK_BYTES);
    // Boot 1: bench-loop, each commit flushed, until the log holds RECORDS records; commits per second, df's latency.
    let machine = startMachine({ iso: scratch.iso, memory: "128M", dataDisk: disk });
    await machine.waitFor("optios$ ", 120_000);
    const shell = async (line: string, until: RegExp = /optios\$ $/) => {
      const from = machine.output.length;
      await machine.type(`${line}\r`);
      await machine.waitFor(until, 60_000, from);
      return machine.output.slice(from);
    };
    const runsOf = (report: string, name: string) => Number(new RegExp(`^${name}\\s+\\S+\\s+(\\d+)`, "m").exec(report)?.[1] ?? NaN);
    let began = performance.now();
    await shell("emit go.loop");
    let df = "";
    for (let tries = 0; tries < 120; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      df = await shell("df", /durable commit .*\r?\n/);
      const written = /state log: (\d+) records written since boot/.exec(df);
      if (written && Number(written[1]) >= RECORDS) break;
    }
    let handlersReport = await shell("handlers", /^bench-loop .*\r?\n/m);
    const loopSeconds = (performance.now() - began) / 1000;
    await shell("emit halt");
    const commit = /durable commit \(\d+ latest\), cycles: p50 ([\d,]+) p99 ([\d,]+); flush p50 ([\d,]+)/.exec(df);
    const written = /state log: (\d+) records written since boot/.exec(df);
    if (!commit || !written) throw new Error(`df did not report the state log:\n${df}`);
    const loopRuns = runsOf(handlersReport, "bench-loop");
    machine.kill();
    await stopAllMachines();
    // What one of bench-loop's commits wrote: its records' sectors over their number (one checkpoint among thousands of deltas).
    const loopLog = logSpace(readFileSync(disk));
    const bytesPerCommit = Math.max(1, Math.round((loopLog.spacePerWriter[HANDLER] ?? 0) / 512 / Math.max(1, loopLog.recordsPerWriter[HANDLER] ?? 0))) * 512;
    // Boot 2: the recovery of that log; then bench-group (group commit) for GROUP_SECONDS, and filebench.
    machine = startMachine({ iso: scratch.iso, memory: "128M", dataDisk: disk });
    await machine.waitFor(/data disk: state log: \d+ records from sector \d+, next at \d+, read in [\d.,]+ ms\r?\n/, 120_000);
    const recovered = /data disk: state log: (\d+) records from sector (\d+), next at (\d+), read in ([\d.,]+) ms/.exec(machine.output)!;
    const recoveredBytes = (Number(recovered[3]) - Number(recovered[2])) * 512; // not wrapped: the disk is far larger than the log
    await machine.waitFor("optios$ ", 120_000);
    began = performance.now();
    await shell("emit go.group");
    await new Promise((resolve) => setTimeout(resolve, GROUP_SECONDS * 1000));
    handlersReport = await shell("handlers", /^bench-group .*\r?\n/m);
    const groupSeconds = (performance.now() - began) / 1000;
    await shell("emit halt");
    const groupRuns = runsOf(handlersReport, "bench-group");
    const from = machine.output.length;
    await machine.type("run filebench\r");
    const filebench = await machine.waitFor(/filebench: (wrote (\d+) files of (\d+) KiB in (\d+) ms, read them in (\d+) ms|.*refused.*|.*wrong.*)\r?\n/, 300_000, from);
    machine.kill();
    await stopAllMachines();
    const files = filebench.match[2] === undefined ? undefined : { count: Number(filebench.match[2]), kibibytes: Number(filebench.match[3]),
      writeMilliseconds: Number(filebench.match[4]), readMilliseconds: Number(filebench.match[5]) };
    if (files === undefined) log(`  filebench: ${filebench.match[1]}`);
    const { spacePerWriter, checkpointBytes } = logSpace(readFileSync(disk));
    const records = Number(recovered[1]);
    const figures: DurableFigures = {
      commitCycles: { p50: number(commit[1]), p99: number(commit[2]) },
      flushCycles: { p50: number(commit[3]) },
      recordsWritten: Number(written[1]),
      commitsPerSecond: { commit: loopRuns / loopSeconds, group: groupRuns / groupSeconds },
      recovery: { records, bytes: recoveredBytes, milliseconds: number(recovered[4]) },
      bytesPerCommit,
      files,
      spacePerWriter,
      checkpointBytes,
    };
    try {
      figures.linux = await measureLinuxFsync(join(scratch.root, "build"), bytesPerCommit, log);
    } catch (error) {
      figures.linuxProblem = (error as Error).message.split("\n")[0];
    }
    return figures;
  } finally {
    await stopAllMachines();
    scratch.remove();
  }
}
