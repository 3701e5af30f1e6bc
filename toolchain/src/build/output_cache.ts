// Outputs kept by content: a task's outputs stored under the hash of its inputs, restored instead of rebuilt.
//
// A stamp remembers only a task's last inputs, so undoing an edit (or switching branches
// and back) would compile again what was compiled a minute before. A task marked `cached`
// also keeps its outputs in build/cache/<task>/<inputs hash>/, under the same hash as its
// stamp (file contents, command lines, tool versions, settings); when the task is out of
// date but the cache holds its current hash, the outputs are copied back and nothing runs.
// The newest KEPT_PER_TASK hashes of each task are kept. A cache folder is written whole
// (a temporary folder renamed into place), so an interrupted write leaves nothing that looks
// complete; a folder missing any output is ignored.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from "node:fs";
import { dirname, join } from "node:path";
import { paths } from "../project.ts";

const KEPT_PER_TASK = 8;

function taskFolder(root: string, key: string): string {
  return join(root, paths.build, "cache", key.replace(/[^\w.-]+/g, "_"));
}

/** Copies the outputs kept for `hash` back to their places; false (and nothing copied) when they are not all there. */
export function restoreOutputs(root: string, key: string, hash: string, outputs: readonly string[]): boolean {
  const folder = join(taskFolder(root, key), hash);
  const kept = outputs.map((_, index) => join(folder, String(index)));
  if (!kept.every((file) => existsSync(file))) return false;
  outputs.forEach((output, index) => {
    mkdirSync(dirname(join(root, output)), { recursive: true });
    copyFileSync(kept[index], join(root, output));
  });
  const now = new Date();
  utimesSync(folder, now, now); // used: the newest to keep
  return true;
}

/** Keeps copies of the outputs under `hash`, and drops the oldest hashes of the task beyond KEPT_PER_TASK. */
export function keepOutputs(root: string, key: string, hash: string, outputs: readonly string[]): void {
  const task = taskFolder(root, key);
  const temporary = join(task, `.${hash}.${process.pid}`);
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary, { recursive: true });
  outputs.forEach((output, index) => copyFileSync(join(root, output), join(temporary, String(index))));
  rmSync(join(task, hash), { recursive: true, force: true });
  renameSync(temporary, join(task, hash));
  const hashes = readdirSync(task).filter((name) => !name.startsWith("."));
  const newestFirst = hashes.map((name) => ({ name, time: statSync(join(task, name)).mtimeMs })).sort((left, right) => right.time - left.time);
  for (const old of newestFirst.slice(KEPT_PER_TASK)) rmSync(join(task, old.name), { recursive: true, force: true });
}
