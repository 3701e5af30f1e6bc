// `make bench`, rebuilds: a no-op rebuild, rebuilds after one handler changed, after a kernel file changed.
//
// In a scratch root with its own copies of handlers/ and kernel/ (so they can be changed
// without touching the repository): one build to start from, a no-op rebuild, then two
// real changes to the heartbeat's source, one after the other (the first may find the warm
// asc server not yet started, asc_server.ts; the second is the edit → build loop), then a
// change to a kernel file. Each is timed from the host (the whole `optios build` process,
// Node's start-up included) and by the build itself, step by step.
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildInScratch, createScratchRoot } from "../build/scratch.ts";
import { defaultKernelArguments, paths, toolchainRepository } from "../project.ts";

const BUILD_TIMEOUT_MILLISECONDS = 900_000;
const HEARTBEAT = join("handlers", "heartbeat", "handler.ts");
const KERNEL_FILE = join("kernel", "params.ts");

export interface RebuildTime {
  /** Host clock: spawn of `optios build` to its exit. */
  wallMilliseconds: number;
  /** What the build reports for its own steps (its last line). */
  buildMilliseconds: number;
  stepsRun: string;
  /** Each step that ran, with its own time (from the build's step lines). */
  steps: Array<{ name: string; milliseconds: number }>;
}

export interface RebuildFigures {
  noOp: RebuildTime;
  /** The first handler change of the session: the asc server may have to start. */
  firstHandlerChange: RebuildTime;
  /** The next one: what an edit → build loop costs. */
  oneHandlerChanged: RebuildTime;
  kernelFileChanged: RebuildTime;
}

async function timedBuild(run: () => Promise<string>): Promise<RebuildTime> {
  const started = performance.now();
  const output = await run();
  const wallMilliseconds = performance.now() - started;
  const summary = /done\s+kernel\.elf .*\((.*), ([\d.]+) (ms|s)\)\s*$/m.exec(output);
  if (!summary) throw new Error(`no summary line in the build's output:\n${output}`);
  const value = Number(summary[2]);
  const steps = [...output.matchAll(/^\s+(\w+)\s+\S+\s+([\d.]+) (ms|s)\b/gm)]
    .map((match) => ({ name: match[1], milliseconds: Number(match[2]) * (match[3] === "s" ? 1000 : 1) }));
  return { wallMilliseconds, buildMilliseconds: summary[3] === "s" ? value * 1000 : value, stepsRun: summary[1], steps };
}

export async function measureRebuilds(): Promise<RebuildFigures> {
  const scratch = createScratchRoot();
  try {
    for (const folder of ["handlers", "kernel"]) {
      rmSync(join(scratch.root, folder));
      cpSync(join(toolchainRepository, folder), join(scratch.root, folder), { recursive: true });
    }
    const build = () => buildInScratch(scratch, paths.system, defaultKernelArguments, BUILD_TIMEOUT_MILLISECONDS);
    const change = (file: string, from: string, to: string) => {
      const text = readFileSync(join(scratch.root, file), "utf8");
      if (!text.includes(from)) throw new Error(`${file} no longer contains ${from}: update rebuild_bench.ts`);
      writeFileSync(join(scratch.root, file), text.replace(from, to));
    };
    await build();
    const noOp = await timedBuild(build);
    change(HEARTBEAT, '"heartbeat: run "', '"heartbeat: beat "');
    const firstHandlerChange = await timedBuild(build);
    change(HEARTBEAT, '"heartbeat: beat "', '"heartbeat: tick "');
    const oneHandlerChanged = await timedBuild(build);
    change(KERNEL_FILE, 'KERNEL_VERSION = "0.1.0"', 'KERNEL_VERSION = "0.1.0-bench"');
    const kernelFileChanged = await timedBuild(build);
    return { noOp, firstHandlerChange, oneHandlerChanged, kernelFileChanged };
  } finally {
    scratch.remove();
  }
}
