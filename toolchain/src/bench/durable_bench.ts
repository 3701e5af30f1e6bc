// `make bench`: what durability costs (docs/storage.md). Boots toolchain/src/bench/durable.toml
// (a handler committing every 5 ms) with a fresh data disk for SECONDS, reads the shell's
// `df` (the kernel keeps the last 256 durable commits' cycles: the whole commit and the
// flush), then kills QEMU and boots again on the same disk to time the recovery of the log.
import { join } from "node:path";
import { buildSystemInScratch } from "../build/scratch.ts";
import { createDataDisk } from "../disk.ts";
import { startMachine, stopAllMachines } from "./machine.ts";

const SECONDS = 8;
const SYSTEM = "toolchain/src/bench/durable.toml";

export interface DurableFigures {
  commitCycles: { p50: number; p99: number };
  flushCycles: { p50: number };
  recordsWritten: number;
  recovery: { records: number; milliseconds: number };
}

const number = (text: string) => Number(text.replace(/,/g, ""));

export async function measureDurability(): Promise<DurableFigures> {
  const scratch = await buildSystemInScratch(SYSTEM, "console=serial loglevel=6", 900_000);
  try {
    const disk = join(scratch.root, "build", "bench-data.img");
    createDataDisk(disk, 64 * 1024 * 1024);
    const first = startMachine({ iso: scratch.iso, memory: "128M", dataDisk: disk });
    await first.waitFor("optios$ ", 120_000);
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const from = first.output.length;
    await first.type("df\r");
    await first.waitFor(/durable commit .*\r?\n/, 30_000, from);
    const df = first.output.slice(from);
    const commit = /durable commit \(\d+ latest\), cycles: p50 ([\d,]+) p99 ([\d,]+); flush p50 ([\d,]+)/.exec(df);
    const written = /state log: (\d+) records written since boot/.exec(df);
    if (!commit || !written) throw new Error(`df did not report the state log:\n${df}`);
    first.kill();
    await stopAllMachines();
    const second = startMachine({ iso: scratch.iso, memory: "128M", dataDisk: disk });
    await second.waitFor(/data disk: state log: \d+ records from sector \d+, next at \d+, read in [\d.,]+ ms\r?\n/, 120_000);
    const recovered = /data disk: state log: (\d+) records from sector \d+, next at \d+, read in ([\d.,]+) ms/.exec(second.output)!;
    await stopAllMachines();
    return {
      commitCycles: { p50: number(commit[1]), p99: number(commit[2]) },
      flushCycles: { p50: number(commit[3]) },
      recordsWritten: Number(written[1]),
      recovery: { records: Number(recovered[1]), milliseconds: number(recovered[2]) },
    };
  } finally {
    await stopAllMachines();
    scratch.remove();
  }
}
