// Benchmark: reference-counted gc against a full mark-and-sweep scan of the same synthetic store.
//
// The synthetic store has `entries` entries spread evenly over `generations` generations,
// each entry referenced by one generation. The oldest generation's entries (the garbage)
// are real: a read-only folder with one file, pooled. The live ones are empty read-only
// folders, all a scan needs, so that a 100,000-entry store takes seconds to build, not minutes
// (the metadata has every row either way).
// Keeping all but the oldest generation turns 1/generations of the entries into garbage
// (1% with 100 generations). Both collectors take dead entries out of the live store first
// and delete them after, so phase 1 compares like with like: the time until the metadata
// names every dead entry in the trash table, in one committed transaction (what a command
// waits for; from then on no generation references them and no reader sees them).
//   - mark-and-sweep: list every bucket, mark what a kept generation references, name the
//     rest in the trash table. Measured first, then undone (the metadata file restored: it
//     moved no folder), so the same store serves both: building it is the slow part.
//   - reference counting: collectGarbage's phase 1, then its phase 2 timed too: the named
//     folders renamed into .trash/ (one rename each), deleted, their unshared pool files unlinked.
// Mark-and-sweep's phase 2 would do the same and then stat the whole pool to find unlinked
// files; that pool scan is timed on its own. Both must find the same entries.
import { chmodSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { deleteTrash, nameDeadEntries } from "./gc.ts";
import { FILES_FOLDER, METADATA_FILE, entryRelativePath, poolFilePath } from "./layout.ts";
import { Store, removeTree } from "./store.ts";

export interface GcBenchmarkOptions {
  entries?: number;
  generations?: number;
  /** Folder to build the stores in (default: a new temporary folder, removed afterwards). */
  folder?: string;
}

export interface GcBenchmarkResult {
  entries: number;
  generations: number;
  garbageEntries: number;
  /** Reference counting, phase 1: generations removed, dead entries found through the index and named in trash, one commit. */
  referenceCountedMilliseconds: number;
  /** Reference counting, phase 2: the named folders renamed into .trash/, deleted, and the unshared pool files unlinked. */
  referenceCountedDeletionMilliseconds: number;
  /** Mark-and-sweep, phase 1: every bucket listed, dead entries named in trash, one commit. */
  markAndSweepMilliseconds: number;
  /** Mark-and-sweep's extra work in phase 2: a stat of every pool file (the renames and deletion are the same). */
  poolScanMilliseconds: number;
  /** markAndSweepMilliseconds / referenceCountedMilliseconds: how many times sooner the dead entries leave the live store. */
  ratio: number;
  /** The same for both phases together. */
  totalRatio: number;
  /** Building the synthetic store (not part of either collection). */
  setupMilliseconds: number;
}

/** Writes the synthetic store straight to disk and metadata (no fsync per file: it is a benchmark fixture). */
export async function buildSyntheticStore(root: string, entries: number, generations: number): Promise<Store> {
  const store = await Store.open(root);
  const perGeneration = Math.ceil(entries / generations);
  const insertEntry = store.metadata.prepare("INSERT INTO entries (path, hash, name, size, refcount, created) VALUES (?, ?, ?, ?, 1, 0)");
  const insertFile = store.metadata.prepare("INSERT INTO entry_files (entry, path, hash, executable, size) VALUES (?, 'data', ?, 0, ?)");
  const insertGeneration = store.metadata.prepare("INSERT INTO generations (number, created, content_hash, size, summary, system_version, config) VALUES (?, 0, ?, 0, 'synthetic', '0', '{}')");
  const insertReference = store.metadata.prepare("INSERT INTO generation_references (generation, entry, role, name) VALUES (?, ?, 'module', ?)");
  const rows: Array<{ path: string; hash: string; fileHash: string; generation: number; index: number }> = [];
  const buckets = new Set<string>();
  for (let index = 0; index < entries; index++) {
    const content = `synthetic entry ${index}`;
    // Any 64 hex digits will do for names here; SHA-256 from node:crypto is the quickest to hand.
    const fileHash = createHash("sha256").update(content).digest("hex");
    const hash = createHash("sha256").update(`listing ${index}`).digest("hex");
    const path = entryRelativePath(hash, `entry-${index}`);
    const folder = join(root, path);
    const bucket = join(root, path.slice(0, 5));
    if (!buckets.has(bucket)) mkdirSync(bucket, { recursive: true });
    buckets.add(bucket);
    const generation = Math.floor(index / perGeneration) + 1;
    if (generation === 1) {
      // Garbage-to-be: a real entry, a read-only folder with a file linked into the pool.
      mkdirSync(folder);
      writeFileSync(join(folder, "data"), content, { mode: 0o444 });
      linkSync(join(folder, "data"), poolFilePath(root, fileHash, false));
      chmodSync(folder, 0o555);
    } else {
      // Live entries only need to exist for the scan: an empty read-only folder, one system call.
      mkdirSync(folder, 0o555);
    }
    rows.push({ path, hash, fileHash, generation, index });
  }
  store.metadata.transaction(() => {
    for (let number = 1; number <= generations; number++) insertGeneration.run(number, `generation ${number}`);
    for (const row of rows) {
      insertEntry.run(row.path, row.hash, `entry-${row.index}`, 24);
      insertFile.run(row.path, row.fileHash, 24);
      insertReference.run(row.generation, row.path, `entry-${row.index}`);
    }
  })();
  // Otherwise the first transaction timed would pay for copying the whole WAL into the database.
  store.metadata.pragma("wal_checkpoint(TRUNCATE)");
  return store;
}

/**
 * The baseline, phase 1, in one transaction like nameDeadEntries: delete the oldest
 * generation, then scan every bucket and name what no kept generation marks in the trash table.
 */
function markAndName(store: Store, keep: number): string[] {
  const database = store.metadata;
  const insert = database.prepare("INSERT INTO trash (entry, folder) VALUES (?, ?)");
  return database.transaction(() => {
    database.prepare("DELETE FROM generations WHERE number NOT IN (SELECT number FROM generations ORDER BY number DESC LIMIT ?)").run(keep);
    const live = new Set((database.prepare("SELECT DISTINCT entry FROM generation_references").all() as Array<{ entry: string }>).map((row) => row.entry));
    const dead: string[] = [];
    for (const first of readdirSync(store.root).filter((name) => /^[0-9a-f]{2}$/.test(name))) {
      for (const second of readdirSync(join(store.root, first))) {
        for (const name of readdirSync(join(store.root, first, second))) {
          const path = `${first}/${second}/${name}`;
          if (!live.has(path)) dead.push(path);
        }
      }
    }
    for (const path of dead) insert.run(path, `scan-${basename(path)}`);
    return dead;
  })();
}

/** What mark-and-sweep's phase 2 adds to deleting the trash: a stat of every pool file. */
function scanPool(store: Store): number {
  let unlinked = 0;
  for (const name of readdirSync(join(store.root, FILES_FOLDER))) if (statSync(join(store.root, FILES_FOLDER, name)).nlink <= 1) unlinked++;
  return unlinked;
}

/** Puts the metadata back as it was before markAndName (it moved no folder). */
async function restoreMetadata(root: string, savedMetadata: string): Promise<Store> {
  for (const suffix of ["-wal", "-shm"]) rmSync(join(root, METADATA_FILE + suffix), { force: true });
  copyFileSync(savedMetadata, join(root, METADATA_FILE));
  return Store.open(root);
}

async function timed<T>(work: () => Promise<T> | T): Promise<{ value: T; milliseconds: number }> {
  const start = performance.now();
  const value = await work();
  return { value, milliseconds: performance.now() - start };
}

export async function benchmarkGarbageCollection(options: GcBenchmarkOptions = {}): Promise<GcBenchmarkResult> {
  const entries = options.entries ?? 10_000;
  const generations = options.generations ?? 100;
  const folder = options.folder ?? mkdtempSync(join(tmpdir(), "optios-gc-bench-"));
  try {
    const root = join(folder, "store");
    const setup = await timed(() => buildSyntheticStore(root, entries, generations));
    setup.value.close();
    const savedMetadata = join(folder, "metadata.saved");
    copyFileSync(join(root, METADATA_FILE), savedMetadata);
    const scanned = await Store.open(root);
    const markedAndNamed = await timed(() => markAndName(scanned, generations - 1));
    scanned.close();
    const store = await restoreMetadata(root, savedMetadata);
    const referenceCounted = await timed(() => nameDeadEntries(store, generations - 1).dead.map((entry) => entry.path));
    const countedDeletion = await timed(() => deleteTrash(store));
    const poolScan = await timed(() => scanPool(store));
    store.close();
    const countedSet = [...referenceCounted.value].sort();
    if (countedSet.join("\n") !== [...markedAndNamed.value].sort().join("\n")) {
      throw new Error("gc benchmark: reference counting and mark-and-sweep found different garbage");
    }
    if (poolScan.value !== 0) throw new Error(`gc benchmark: reference counting left ${poolScan.value} pool files nothing links`);
    return {
      entries,
      generations,
      garbageEntries: countedSet.length,
      referenceCountedMilliseconds: referenceCounted.milliseconds,
      referenceCountedDeletionMilliseconds: countedDeletion.milliseconds,
      markAndSweepMilliseconds: markedAndNamed.milliseconds,
      poolScanMilliseconds: poolScan.milliseconds,
      ratio: markedAndNamed.milliseconds / referenceCounted.milliseconds,
      totalRatio: (markedAndNamed.milliseconds + countedDeletion.milliseconds + poolScan.milliseconds) / (referenceCounted.milliseconds + countedDeletion.milliseconds),
      setupMilliseconds: setup.milliseconds,
    };
  } finally {
    if (options.folder === undefined) await removeTree(folder).catch(() => rmSync(folder, { recursive: true, force: true }));
  }
}
