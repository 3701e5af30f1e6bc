// Reference-counted garbage collection: cost follows the garbage, never the size of the store.
//
// Removing a generation lowers the count of each entry it referenced, in one transaction.
// The dead entries are then found through the partial index entries_dead (refcount = 0),
// so gc never lists the buckets. Collection has two phases:
//
//   1. out of the live store: one transaction removes the old generations (one key range of
//      generation_references each) and names every dead entry in the trash table (with a
//      fresh folder name). Once committed, an entry named in trash is gone from the live
//      store: no generation references it, and no reader ever sees the row, because every
//      command finishes phase 2 under the store's lock before its own work (recovery.ts),
//      and gc runs phase 2 right after phase 1. addEntry checks that invariant.
//   2. deletion: each named entry folder still in the store is renamed into .trash/<folder>
//      (atomic: it leaves the store whole), each trash folder is deleted (in parallel), then
//      the pool files only it linked (its entry_files rows say which); one transaction then
//      forgets the entries' rows and the trash rows.
//
// Both phases are idempotent and driven by the trash table, so a gc killed anywhere is
// finished by the next command that opens the store (recovery.ts calls finishCollection).
import { randomBytes } from "node:crypto";
import { chmodSync, renameSync, rmSync } from "node:fs";
import { readdir, stat, unlink } from "node:fs/promises";
import { basename, join } from "node:path";
import { CRASH_POINTS, crashPoint } from "./crash_point.ts";
import { GENERATION_RECORDS_FOLDER } from "./metadata.ts";
import { TRASH_FOLDER, poolFilePath } from "./layout.ts";
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
  const removed = store.metadata.transaction(() => removeGenerationRows(store, keep))();
  removeGenerationRecords(store, removed);
  return removed;
}

/** removeOldGenerations' database half, inside the caller's transaction. */
function removeGenerationRows(store: Store, keep: number): number[] {
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`gc: keep ${keep}: expected a whole number of generations, at least 1`);
  const database = store.metadata;
  const all = database.prepare("SELECT number, pinned FROM generations ORDER BY number DESC").all() as Array<{ number: number; pinned: number }>;
  const removable = all.filter((row, index) => index >= keep && row.pinned === 0).map((row) => row.number);
  const lower = database.prepare("UPDATE entries SET refcount = refcount - 1 WHERE path IN (SELECT DISTINCT entry FROM generation_references WHERE generation = ?)");
  const remove = database.prepare("DELETE FROM generations WHERE number = ?");
  for (const number of removable) {
    lower.run(number);
    remove.run(number);
  }
  return removable;
}

/** After the commit: a record left by a crash here names a generation the database no longer has, which the next open removes. */
function removeGenerationRecords(store: Store, numbers: readonly number[]): void {
  for (const number of numbers) rmSync(join(store.root, GENERATION_RECORDS_FOLDER, `${number}.json`), { force: true });
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

interface TrashRow {
  folder: string;
  entry: string;
}

/**
 * Phase 1, one transaction (one fsync) and no file system work but removing the generation
 * records: the old generations removed (when `keep` is given) and every dead entry named in
 * the trash table. The entries' rows stay until phase 2 deletes their folders: a crash
 * anywhere leaves trash rows that finishCollection completes.
 */
export function nameDeadEntries(store: Store, keep?: number): { removedGenerations: number[]; dead: Array<{ path: string; size: number }> } {
  const database = store.metadata;
  const result = database.transaction(() => {
    const removedGenerations = keep === undefined ? [] : removeGenerationRows(store, keep);
    const dead = database.prepare("SELECT path, size FROM entries WHERE refcount = 0 AND path NOT IN (SELECT entry FROM trash)").all() as Array<{ path: string; size: number }>;
    const insert = database.prepare("INSERT INTO trash (entry, folder) VALUES (?, ?)");
    const prefix = randomBytes(6).toString("hex");
    for (const row of dead) insert.run(row.path, `${prefix}-${basename(row.path)}`);
    return { removedGenerations, dead };
  })();
  removeGenerationRecords(store, result.removedGenerations);
  crashPoint(CRASH_POINTS.gcNamed);
  return result;
}

/** Renames each entry the trash table names, still in the store, into .trash/. */
function moveNamedEntries(store: Store): void {
  const named = store.metadata.prepare("SELECT folder, entry FROM trash").all() as TrashRow[];
  for (const [index, row] of named.entries()) {
    // Synchronous on purpose: thousands of small renames, each a single system call.
    try {
      chmodSync(store.absolutePath(row.entry), 0o755);
      renameSync(store.absolutePath(row.entry), join(store.root, TRASH_FOLDER, row.folder));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error; // moved before a crash
    }
    if (index === 0) crashPoint(CRASH_POINTS.gcMoved);
  }
}

/**
 * Phase 2: moves every named entry still in the store into .trash/, deletes every trash
 * folder and the pool files nothing else links, then the entries' rows and the trash rows.
 */
export async function deleteTrash(store: Store, parallelism = 4): Promise<void> {
  moveNamedEntries(store);
  const rows = store.metadata.prepare("SELECT folder, entry FROM trash").all() as TrashRow[];
  const filesOf = store.metadata.prepare("SELECT DISTINCT hash, executable FROM entry_files WHERE entry = ?");
  const forgetEntry = store.metadata.prepare("DELETE FROM entries WHERE path = ? AND refcount = 0");
  const forget = store.metadata.prepare("DELETE FROM trash WHERE entry = ?");
  await forEachInParallel(rows, parallelism, async (row) => {
    await removeTree(join(store.root, TRASH_FOLDER, row.folder));
    for (const file of filesOf.all(row.entry) as Array<{ hash: string; executable: number }>) {
      const pool = poolFilePath(store.root, file.hash, file.executable === 1);
      const info = await stat(pool).catch(() => null);
      if (info !== null && info.nlink <= 1) await unlink(pool);
    }
    crashPoint(CRASH_POINTS.gcDeleting);
  });
  store.metadata.transaction(() => {
    for (const row of rows) {
      forgetEntry.run(row.entry);
      forget.run(row.entry);
    }
  })();
  // Folders no row names: left by an older toolchain's gc, or by addEntry's damaged-entry removal.
  const named = new Set(rows.map((row) => row.folder));
  const leftovers = (await readdir(join(store.root, TRASH_FOLDER))).filter((name) => !named.has(name));
  await forEachInParallel(leftovers, parallelism, (name) => removeTree(join(store.root, TRASH_FOLDER, name)));
}

/** Finishes whatever collection a killed gc left: both phases, for the rows in the trash table. */
export async function finishCollection(store: Store): Promise<void> {
  const unfinished = store.metadata.prepare("SELECT 1 FROM trash LIMIT 1").get() !== undefined;
  if (unfinished || (await readdir(join(store.root, TRASH_FOLDER))).length > 0) await deleteTrash(store);
}

/** Collects every entry with reference count zero: out of the live store first, then deleted. */
export async function collectGarbage(store: Store, options: CollectOptions = {}): Promise<CollectResult> {
  const { removedGenerations, dead } = nameDeadEntries(store, options.keep);
  await deleteTrash(store, options.parallelism ?? 4);
  return { removedGenerations, deletedEntries: dead.map((entry) => entry.path), freedBytes: dead.reduce((total, entry) => total + entry.size, 0) };
}
