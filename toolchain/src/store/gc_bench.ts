// Benchmark: reference-counted gc against a full mark-and-sweep scan of the same synthetic store.
//
// The synthetic store has `entries` entries (one small file each, pooled like real ones)
// spread evenly over `generations` generations, each entry referenced by one generation.
// Keeping all but the oldest generation turns 1/generations of the entries into garbage
// (1% for the default 10,000 entries and 100 generations). Two identical stores are built;
// one is collected by collectGarbage, the other by mark-and-sweep: list every bucket and
// the whole pool, mark what a kept generation references, delete the rest. Both must
// delete the same entries; the result is the ratio of their times (`make bench` prints it).
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectGarbage } from "./gc.ts";
import { FILES_FOLDER, entryRelativePath, poolFilePath } from "./layout.ts";
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
  referenceCountedMilliseconds: number;
  markAndSweepMilliseconds: number;
  /** markAndSweepMilliseconds / referenceCountedMilliseconds: how many times faster refcounting is. */
  ratio: number;
}

/** Writes the synthetic store straight to disk and metadata (no fsync per file: it is a benchmark fixture). */
async function buildSyntheticStore(root: string, entries: number, generations: number): Promise<Store> {
  const store = await Store.open(root);
  const perGeneration = Math.ceil(entries / generations);
  const insertEntry = store.metadata.prepare("INSERT INTO entries (path, hash, name, size, refcount, created) VALUES (?, ?, ?, ?, 1, 0)");
  const insertFile = store.metadata.prepare("INSERT INTO entry_files (entry, path, hash, executable, size) VALUES (?, 'data', ?, 0, ?)");
  const insertGeneration = store.metadata.prepare("INSERT INTO generations (number, created, content_hash, size, summary, system_version, config) VALUES (?, 0, ?, 0, 'synthetic', '0', '{}')");
  const insertReference = store.metadata.prepare("INSERT INTO generation_references (generation, entry, role, name) VALUES (?, ?, 'module', ?)");
  const rows: Array<{ path: string; hash: string; fileHash: string; generation: number; index: number }> = [];
  for (let index = 0; index < entries; index++) {
    const content = `synthetic entry ${index}`;
    // Any 64 hex digits will do for names here; SHA-256 from node:crypto is the quickest to hand.
    const fileHash = createHash("sha256").update(content).digest("hex");
    const hash = createHash("sha256").update(`listing ${index}`).digest("hex");
    const path = entryRelativePath(hash, `entry-${index}`);
    const folder = join(root, path);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "data"), content, { mode: 0o444 });
    linkSync(join(folder, "data"), poolFilePath(root, fileHash, false));
    chmodSync(folder, 0o555);
    rows.push({ path, hash, fileHash, generation: Math.floor(index / perGeneration) + 1, index });
  }
  store.metadata.transaction(() => {
    for (let number = 1; number <= generations; number++) insertGeneration.run(number, `generation ${number}`);
    for (const row of rows) {
      insertEntry.run(row.path, row.hash, `entry-${row.index}`, 24);
      insertFile.run(row.path, row.fileHash, 24);
      insertReference.run(row.generation, row.path, `entry-${row.index}`);
    }
  })();
  return store;
}

/** The baseline: delete the oldest generation, then scan every bucket and the pool for what is unmarked. */
async function markAndSweep(store: Store, keep: number): Promise<string[]> {
  const database = store.metadata;
  database.transaction(() => {
    database.prepare("DELETE FROM generations WHERE number NOT IN (SELECT number FROM generations ORDER BY number DESC LIMIT ?)").run(keep);
  })();
  const live = new Set((database.prepare("SELECT DISTINCT entry FROM generation_references").all() as Array<{ entry: string }>).map((row) => row.entry));
  const deleted: string[] = [];
  for (const first of readdirSync(store.root).filter((name) => /^[0-9a-f]{2}$/.test(name))) {
    for (const second of readdirSync(join(store.root, first))) {
      for (const name of readdirSync(join(store.root, first, second))) {
        const path = `${first}/${second}/${name}`;
        if (live.has(path)) continue;
        await removeTree(join(store.root, path));
        deleted.push(path);
      }
    }
  }
  for (const name of readdirSync(join(store.root, FILES_FOLDER))) {
    const pool = join(store.root, FILES_FOLDER, name);
    if (statSync(pool).nlink <= 1) unlinkSync(pool);
  }
  const forget = database.prepare("DELETE FROM entries WHERE path = ?");
  database.transaction(() => deleted.forEach((path) => forget.run(path)))();
  return deleted;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; milliseconds: number }> {
  const start = performance.now();
  const value = await work();
  return { value, milliseconds: performance.now() - start };
}

export async function benchmarkGarbageCollection(options: GcBenchmarkOptions = {}): Promise<GcBenchmarkResult> {
  const entries = options.entries ?? 10_000;
  const generations = options.generations ?? 100;
  const folder = options.folder ?? mkdtempSync(join(tmpdir(), "optios-gc-bench-"));
  try {
    const counted = await buildSyntheticStore(join(folder, "reference-counted"), entries, generations);
    const scanned = await buildSyntheticStore(join(folder, "mark-and-sweep"), entries, generations);
    const referenceCounted = await timed(() => collectGarbage(counted, { keep: generations - 1 }));
    const markedAndSwept = await timed(() => markAndSweep(scanned, generations - 1));
    const countedSet = [...referenceCounted.value.deletedEntries].sort();
    if (countedSet.join("\n") !== [...markedAndSwept.value].sort().join("\n")) {
      throw new Error("gc benchmark: reference counting and mark-and-sweep deleted different entries");
    }
    counted.close();
    scanned.close();
    return {
      entries,
      generations,
      garbageEntries: countedSet.length,
      referenceCountedMilliseconds: referenceCounted.milliseconds,
      markAndSweepMilliseconds: markedAndSwept.milliseconds,
      ratio: markedAndSwept.milliseconds / referenceCounted.milliseconds,
    };
  } finally {
    if (options.folder === undefined) await removeTree(folder).catch(() => rmSync(folder, { recursive: true, force: true }));
  }
}
