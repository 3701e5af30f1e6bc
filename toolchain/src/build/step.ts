// Steps and tasks: how each build step is declared, skipped when current, run and reported.
//
// A step (asc, wasm2c, gcc, ...) plans one or more tasks once the steps before it have
// finished, so it can hash the files they produced. Each task has its own stamp, which lets
// gcc recompile only the objects whose inputs changed. Adding a step means writing one file
// that exports a Step and listing it in pipeline.ts.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Project } from "../project.ts";
import { BuildError } from "./process.ts";
import { keepOutputs, restoreOutputs } from "./output_cache.ts";
import { hashInputs, isUpToDate, removeStamp, writeStamp, type TaskInputs } from "./stamp.ts";

export interface BuildContext {
  project: Project;
  /** How many tasks of one step may run at once (gcc objects). */
  jobs: number;
}

export interface Task {
  /** Unique stamp name, e.g. "gcc-main.c". */
  key: string;
  inputs: TaskInputs;
  /** Files it writes, relative to the project root; a missing one forces a rerun. */
  outputs: readonly string[];
  /** Keep its outputs by inputs hash, and restore them instead of running (output_cache.ts). */
  cached?: boolean;
  run(): Promise<void>;
}

export interface Step {
  /** Short name shown in the build log and in errors: "asc", "wasm2c", "gcc". */
  name: string;
  /** The path shown beside the step name. */
  artifact: string;
  /** Files whose total size is reported (defaults to the artifact). */
  artifactFiles?: (context: BuildContext) => string[];
  plan(context: BuildContext): Promise<Task[]>;
}

export interface StepReport {
  name: string;
  artifact: string;
  tasksRun: number;
  /** Of tasksRun, how many were restored from the output cache instead of run. */
  tasksRestored: number;
  tasksTotal: number;
  milliseconds: number;
  bytes: number;
}

/** Runs the step's out-of-date tasks (up to context.jobs at once) and measures what it made. */
export async function runStep(context: BuildContext, step: Step): Promise<StepReport> {
  const started = performance.now();
  const root = context.project.root;
  const tasks = await planStep(context, step);
  const pending: { task: Task; hash: string }[] = [];
  for (const task of tasks) {
    const hash = hashTask(step, root, task);
    if (!isUpToDate(root, task.key, hash, task.outputs)) pending.push({ task, hash });
  }
  let tasksRestored = 0;
  await runConcurrently(pending, context.jobs, async ({ task, hash }) => {
    removeStamp(root, task.key);
    if (task.cached === true && restoreOutputs(root, task.key, hash, task.outputs)) {
      tasksRestored++;
    } else {
      await task.run();
      const missing = task.outputs.filter((output) => !existsSync(join(root, output)));
      if (missing.length > 0) throw new BuildError(step.name, `expected output ${missing.join(", ")} was not written`);
      if (task.cached === true) keepOutputs(root, task.key, hash, task.outputs);
    }
    writeStamp(root, task.key, hash);
  });
  const files = step.artifactFiles?.(context) ?? [step.artifact];
  return {
    name: step.name,
    artifact: step.artifact,
    tasksRun: pending.length,
    tasksRestored,
    tasksTotal: tasks.length,
    milliseconds: performance.now() - started,
    bytes: files.reduce((total, file) => total + fileSize(join(root, file)), 0),
  };
}

async function planStep(context: BuildContext, step: Step): Promise<Task[]> {
  try {
    return await step.plan(context);
  } catch (error) {
    if (error instanceof BuildError) throw error;
    throw new BuildError(step.name, (error as Error).message);
  }
}

function hashTask(step: Step, root: string, task: Task): string {
  try {
    return hashInputs(root, task.key, task.inputs);
  } catch (error) {
    throw new BuildError(step.name, (error as Error).message);
  }
}

/** Runs `work` over `items` with at most `limit` in flight; the first failure wins. */
export async function runConcurrently<Item>(
  items: readonly Item[],
  limit: number,
  work: (item: Item) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure;
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}
