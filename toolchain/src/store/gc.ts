// Reference-counted garbage collection: deletes only the entries whose count reached zero.
//
// Removing a generation lowers the count of each entry it referenced, in one transaction.
// The dead entries are then found through the partial index entries_dead (refcount = 0),
// so the cost is proportional to what is deleted, not to the size of the store: gc never
// lists the buckets. Each dead entry is renamed into .trash/ (one atomic step: it vanishes
// from the store whole), the trash is deleted in parallel, pool files that no other entry
// links any more (link count 1) are unlinked, and the rows go last, so a crash anywhere
// leaves rows with refcount 0 that the next gc simply collects again.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, readdir, rename, stat, unlink } from "node:fs/promises";
import { basename, join } from "node:path";
import { poolFilePath, TRASH_FOLDER } from "./layout.ts";
import { removeTree, type Store } from "./store.ts";

export interface CollectResult {
  removedGenerations: number[];
  deletedEntries: string[];
  freedBytes: number;
}

/**
 * Removes every generation but the newest `keep`, except the pinned default (a rollback
 * target is never removed). Lowers the reference counts of their entries. Returns the numbers removed.
 */
export function removeOldGenerations(store: Store, keep: number): number[] {
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`gc: keep ${keep}: expected a whole number of generations, at least 1`);
  const database = store.metadata;
  return database.transaction(() => {
    const all = database.prepare("SELECT number, pinned FROM generations ORDER BY number DESC").all() as Array<{ number: number; pinned: number }>;
    const removable = all.filter((row, index) => index >= keep && row.pinned === 0).map((row) => row.number);
    const lower = database.prepare("UPDATE entries SET refcount = refcount - 1 WHERE path IN (SELECT DISTINCT entry FROM generation_references WHERE generation = ?)");
    const remove = database.prepare("DELETE FROM generations WHERE number = ?");
    for (const number of removable) {
      lower.run(number);
      remove.run(number);
    }
    return removable;
  })();
}

/** Runs `work` on every item, at most `parallelism` at a time. */
async function forEachInParallel<T>(items: readonly T[], parallelism: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(parallelism, items.length) }, worker));
}

export interface CollectOptions {
  /** Remove generations beyond the newest `keep` first (default: remove none). */
  keep?: number;
  /** Trash folders deleted at once (default 4). */
  parallelism?: number;
}

/** Collects every entry with reference count zero. */
export async function collectGarbage(store: Store, options: CollectOptions = {}): Promise<CollectResult> {
  const removedGenerations = options.keep === undefined ? [] : removeOldGenerations(store, options.keep);
  const trash = join(store.root, TRASH_FOLDER);
  const leftovers = (await readdir(trash)).map((name) => join(trash, name));
  const dead = store.metadata.prepare("SELECT path, size FROM entries WHERE refcount = 0").all() as Array<{ path: string; size: number }>;
  const filesOf = store.metadata.prepare("SELECT DISTINCT hash, executable FROM entry_files WHERE entry = ?");
  const poolFiles = new Map<string, boolean>();
  const trashed: string[] = [...leftovers];
  for (const entry of dead) {
    for (const file of filesOf.all(entry.path) as Array<{ hash: string; executable: number }>) poolFiles.set(poolFilePath(store.root, file.hash, file.executable === 1), true);
    const folder = store.absolutePath(entry.path);
    if (!existsSync(folder)) continue;
    const destination = join(trash, `${randomBytes(4).toString("hex")}-${basename(folder)}`);
    await chmod(folder, 0o755);
    await rename(folder, destination);
    trashed.push(destination);
  }
  await forEachInParallel(trashed, options.parallelism ?? 4, removeTree);
  await forEachInParallel([...poolFiles.keys()], options.parallelism ?? 4, async (pool) => {
    const info = await stat(pool).catch(() => null);
    if (info !== null && info.nlink <= 1) await unlink(pool);
  });
  const forget = store.metadata.prepare("DELETE FROM entries WHERE path = ? AND refcount = 0");
  store.metadata.transaction(() => {
    for (const entry of dead) forget.run(entry.path);
  })();
  return { removedGenerations, deletedEntries: dead.map((entry) => entry.path), freedBytes: dead.reduce((total, entry) => total + entry.size, 0) };
}
