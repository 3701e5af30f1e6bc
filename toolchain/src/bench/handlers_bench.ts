// `make bench`, handlers and programs: boots the bench system with test=bench and reads kernel/bench.ts's figures.
import { buildSystemInScratch } from "../build/scratch.ts";
import { startMachine, stopAllMachines } from "./machine.ts";

const SYSTEM = "toolchain/src/bench/system.toml";
const BUILD_TIMEOUT_MILLISECONDS = 600_000;
const RUN_TIMEOUT_MILLISECONDS = 300_000;

export interface SnapshotCost {
  pages: number;
  cyclesMedian: number;
}

export interface HandlerFigures {
  dispatchCycles: { p50: number; p99: number };
  emptyRunCycles: { p50: number; p99: number };
  /** A synchronous handler call, timed by the kernel from the caller's call to its reply (interface: handler_call). */
  callRoundTripCycles: { p50: number; p99: number };
  calls: number;
  runsPerSecond: number;
  /** Pages an empty run dirties (and so commits): the API's and runtime's own writes. */
  emptyRunPages: number;
  runs: number;
  commit: SnapshotCost[];
  rollback: SnapshotCost[];
  idleHandlerBytes: { image: number; instance: number; memory: number; reserved: number };
  tscMegahertz: number;
  programs: ProgramFigures;
}

export interface ProgramFigures {
  /** kernel → a waiting program → kernel: two context switches and the program's empty read. */
  switchRoundTripCycles: { p50: number; p99: number };
  switchRuns: number;
  fileRead: { bytes: number; cyclesMedian: number; mebibytesPerSecond: number };
  fileLookupCycles: number;
}

/** Parses the `bench:` lines (kernel/bench.ts documents them). */
export function parseHandlerBench(output: string): HandlerFigures {
  const find = (pattern: RegExp, what: string): RegExpExecArray => {
    const match = pattern.exec(output);
    if (!match) throw new Error(`the kernel's bench output has no ${what} line:\n${output}`);
    return match;
  };
  const dispatch = find(/bench: dispatch p50 (\d+) p99 (\d+) \(posted -> handler entry, (\d+) runs\)/, "dispatch");
  const empty = find(/bench: empty run p50 (\d+) p99 (\d+) \(posted -> committed\); (\d+) runs\/s; (\d+) pages dirtied per run/, "empty run");
  if (/bench: warning:/.test(output)) throw new Error(`the kernel found the handler figures unreliable: ${/bench: warning: (.*)/.exec(output)![1]}`);
  const calls = find(/bench: call round trip p50 (\d+) p99 (\d+) \(caller's call -> callee's reply -> caller, (\d+) calls\)/, "call round trip");
  const idle = find(/bench: idle handler image (\d+) instance (\d+) memory (\d+) reserved (\d+)/, "idle handler");
  const tsc = find(/TSC ([\d,]+) MHz/, "TSC frequency");
  const costs = (label: string) =>
    [...output.matchAll(new RegExp(`bench: ${label} (\\d+) pages p50 (\\d+)`, "g"))].map((match) => ({
      pages: Number(match[1]),
      cyclesMedian: Number(match[2]),
    }));
  const switches = find(/bench: switch round trip p50 (\d+) p99 (\d+) \(kernel -> waiting program -> kernel, (\d+)\)/, "switch");
  const read = find(/bench: file read (\d+) bytes p50 (\d+)/, "file read");
  const lookup = find(/bench: file lookup p50 (\d+)/, "file lookup");
  const tscMegahertz = Number(tsc[1].replace(/,/g, ""));
  const readSeconds = Number(read[2]) / (tscMegahertz * 1e6);
  return {
    programs: {
      switchRoundTripCycles: { p50: Number(switches[1]), p99: Number(switches[2]) },
      switchRuns: Number(switches[3]),
      fileRead: { bytes: Number(read[1]), cyclesMedian: Number(read[2]), mebibytesPerSecond: Number(read[1]) / 1048576 / readSeconds },
      fileLookupCycles: Number(lookup[1]),
    },
    dispatchCycles: { p50: Number(dispatch[1]), p99: Number(dispatch[2]) },
    emptyRunCycles: { p50: Number(empty[1]), p99: Number(empty[2]) },
    runsPerSecond: Number(empty[3]),
    emptyRunPages: Number(empty[4]),
    callRoundTripCycles: { p50: Number(calls[1]), p99: Number(calls[2]) },
    calls: Number(calls[3]),
    runs: Number(dispatch[3]),
    commit: costs("commit"),
    rollback: costs("rollback"),
    idleHandlerBytes: { image: Number(idle[1]), instance: Number(idle[2]), memory: Number(idle[3]), reserved: Number(idle[4]) },
    tscMegahertz,
  };
}

export async function measureHandlers(): Promise<HandlerFigures> {
  const scratch = await buildSystemInScratch(SYSTEM, "console=serial test=bench", BUILD_TIMEOUT_MILLISECONDS, { testKernel: true });
  try {
    const machine = startMachine({ iso: scratch.iso, memory: "128M" });
    const status = await machine.waitForExit(RUN_TIMEOUT_MILLISECONDS);
    if (status !== 33) throw new Error(`the bench guest ended with status ${status}:\n${machine.output}`);
    return parseHandlerBench(machine.output.replace(/\r/g, ""));
  } finally {
    await stopAllMachines();
    scratch.remove();
  }
}
