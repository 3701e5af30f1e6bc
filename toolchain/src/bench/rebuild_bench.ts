// `make bench`, rebuilds: a no-op rebuild, and a rebuild after one handler changed, timed.
//
// In a scratch root with its own copy of handlers/ (so a handler can be changed without
// touching the repository): one full build to start from, a no-op rebuild, then a real
// change to the heartbeat's source and a rebuild. Each is timed from the host (the whole
// `optios build` process, Node's start-up included) and by the build itself.
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildInScratch, createScratchRoot } from "../build/scratch.ts";
import { defaultKernelArguments, paths, toolchainRepository } from "../project.ts";

const BUILD_TIMEOUT_MILLISECONDS = 900_000;
const HEARTBEAT = join("handlers", "heartbeat", "handler.ts");

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
  oneHandlerChanged: RebuildTime;
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
    rmSync(join(scratch.root, "handlers"));
    cpSync(join(toolchainRepository, "handlers"), join(scratch.root, "handlers"), { recursive: true });
    const build = () => buildInScratch(scratch, paths.system, defaultKernelArguments, BUILD_TIMEOUT_MILLISECONDS);
    await build();
    const noOp = await timedBuild(build);
    const source = join(scratch.root, HEARTBEAT);
    writeFileSync(source, readFileSync(source, "utf8").replace('log("heartbeat: run "', 'log("heartbeat: beat "'));
    const oneHandlerChanged = await timedBuild(build);
    return { noOp, oneHandlerChanged };
  } finally {
    scratch.remove();
  }
}
