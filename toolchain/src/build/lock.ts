// The build lock: one build at a time per project, so concurrent builds never share build/.
//
// `make test`, the bench and a developer's `make run` can start together and would
// otherwise write the same files in build/.
//
// The lock is build/.lock holding the owner's process id. A lock whose owner is gone
// (killed mid-build) is taken over; a live owner is waited for.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { paths } from "../project.ts";

const pollMilliseconds = 200;
const defaultPatienceMilliseconds = 15 * 60 * 1000;

export interface LockOptions {
  /** Called once when another build holds the lock. */
  onWait?: (ownerPid: number) => void;
  patienceMilliseconds?: number;
}

export function lockPath(root: string): string {
  return join(root, paths.build, ".lock");
}

/** Runs `work` while holding the project's build lock. */
export async function withBuildLock<Result>(root: string, work: () => Promise<Result>, options: LockOptions = {}): Promise<Result> {
  const path = lockPath(root);
  mkdirSync(join(root, paths.build), { recursive: true });
  const deadline = Date.now() + (options.patienceMilliseconds ?? defaultPatienceMilliseconds);
  let announced = false;
  while (!tryAcquire(path)) {
    const owner = readOwner(path);
    if (owner === "gone") continue;
    if (owner !== "unknown" && !isAlive(owner)) {
      rmSync(path, { force: true });
      continue;
    }
    if (!announced && owner !== "unknown") options.onWait?.(owner);
    announced ||= owner !== "unknown";
    if (Date.now() > deadline) throw new Error(`${path}: another build (process ${owner}) has held the lock too long`);
    await sleep(pollMilliseconds);
  }
  try {
    return await work();
  } finally {
    rmSync(path, { force: true });
  }
}

function tryAcquire(path: string): boolean {
  let descriptor: number;
  try {
    descriptor = openSync(path, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  writeSync(descriptor, `${process.pid}\n`);
  closeSync(descriptor);
  return true;
}

/** The owner's pid; "unknown" while the owner has not written it yet; "gone" once released. */
function readOwner(path: string): number | "unknown" | "gone" {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return "gone";
  }
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : "unknown";
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
