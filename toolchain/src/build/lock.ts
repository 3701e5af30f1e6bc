// Locks: one build at a time per project (build/.lock), one writer at a time per store (<store>/.lock).
//
// `make test`, the bench and a developer's `make run` can start together and would
// otherwise write the same files in build/; `optios gc` during a build would delete the
// entries the build just stored (refcount 0 until its generation is recorded).
//
// A lock is a file holding the owner's process id, created with O_EXCL. A lock whose owner
// is gone (killed mid-build) is taken over; a live owner is waited for. Within one process
// a lock is re-entrant: the build holds the store lock, and each step that opens the store
// takes it again without waiting for itself.
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
export function withBuildLock<Result>(root: string, work: () => Promise<Result>, options: LockOptions = {}): Promise<Result> {
  mkdirSync(join(root, paths.build), { recursive: true });
  return withLockFile(lockPath(root), work, options);
}

/** Locks this process holds, with how many times each is held (re-entrant). */
const held = new Map<string, number>();

/** Runs `work` while holding the lock file `path` (its folder must exist). */
export async function withLockFile<Result>(path: string, work: () => Promise<Result>, options: LockOptions = {}): Promise<Result> {
  const depth = held.get(path) ?? 0;
  if (depth > 0) {
    held.set(path, depth + 1);
    try {
      return await work();
    } finally {
      held.set(path, held.get(path)! - 1);
    }
  }
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
    if (Date.now() > deadline) throw new Error(`${path}: process ${owner} has held the lock too long; if it is stuck, stop it`);
    await sleep(pollMilliseconds);
  }
  held.set(path, 1);
  try {
    return await work();
  } finally {
    held.delete(path);
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
