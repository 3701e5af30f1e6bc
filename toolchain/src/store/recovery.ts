// Recovery: finishing what a killed command left, and rebuilding a lost metadata database.
//
// Every command opens a store through withStoreAt, which takes the store's lock
// (<store>/.lock, the one the build holds for its whole run) and then settles what an
// interrupted command left, each in time proportional to what was left, never a scan:
//   - pending_entries rows: an entry whose folder was being renamed into place. Folder
//     there: the entry is complete, the row goes. Folder absent: its entry row goes too.
//   - trash rows and .trash/ folders: a gc killed part-way; both phases are finished.
//   - .generations/<N>.json: each generation also describes itself in a file beside the
//     database (written after its transaction commits, removed after gc's). Records the
//     database lacks are written; records of generations it no longer has are removed.
//   - .tmp/ leftovers: removed by Store.open (now only ever under the lock).
//
// `optios store recover` rebuilds metadata.db from the store itself when the database is
// lost or damaged: every entry folder describes itself (its name is the hash of its
// listing, which is re-computed from its files), and every generation from its record.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { withLockFile, type LockOptions } from "../build/lock.ts";
import { listFiles } from "./entry_check.ts";
import { finishCollection } from "./gc.ts";
import { blake3File, entryHash, type ListedFile } from "./hash.ts";
import { METADATA_FILE, parseEntryPath } from "./layout.ts";
import { GENERATION_RECORDS_FOLDER, openMetadata, type GenerationRow, type ReferenceRow } from "./metadata.ts";
import { Store } from "./store.ts";

/** The store's lock file: held by every command and by the build for its whole run. */
export const STORE_LOCK_FILE = ".lock";
const RECORD_FORMAT = "optios-generation-1";

/** A generation as its record file describes it: the row and its references. */
interface GenerationRecord {
  format: string;
  generation: GenerationRow;
  references: Array<Omit<ReferenceRow, "generation">>;
}

function recordPath(root: string, number: number): string {
  return join(root, GENERATION_RECORDS_FOLDER, `${number}.json`);
}

/** Writes .generations/<N>.json from the database, atomically (temporary file, fsync, rename). */
export function writeGenerationRecord(store: Store, number: number): void {
  const generation = store.metadata.prepare("SELECT * FROM generations WHERE number = ?").get(number) as GenerationRow | undefined;
  if (generation === undefined) return;
  const references = (store.metadata.prepare("SELECT entry, role, name, boot_file, arguments FROM generation_references WHERE generation = ? ORDER BY role, name, entry").all(number)) as GenerationRecord["references"];
  const record: GenerationRecord = { format: RECORD_FORMAT, generation, references };
  mkdirSync(join(store.root, GENERATION_RECORDS_FOLDER), { recursive: true });
  const temporary = `${recordPath(store.root, number)}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 1)}\n`, { flush: true });
  renameSync(temporary, recordPath(store.root, number));
}

/** Settles what an interrupted build or gc left (see the file comment). Cheap when nothing was left. */
export async function finishInterrupted(store: Store): Promise<void> {
  const database = store.metadata;
  const pending = database.prepare("SELECT path FROM pending_entries").all() as Array<{ path: string }>;
  database.transaction(() => {
    for (const { path } of pending) {
      if (!existsSync(store.absolutePath(path))) database.prepare("DELETE FROM entries WHERE path = ? AND refcount = 0").run(path);
      database.prepare("DELETE FROM pending_entries WHERE path = ?").run(path);
    }
  })();
  await finishCollection(store);
  const numbers = new Set((database.prepare("SELECT number FROM generations").all() as Array<{ number: number }>).map((row) => row.number));
  const folder = join(store.root, GENERATION_RECORDS_FOLDER);
  const recorded = existsSync(folder) ? readdirSync(folder) : [];
  for (const name of recorded) {
    const number = Number(/^(\d+)\.json$/.exec(name)?.[1]);
    if (!numbers.has(number)) rmSync(join(folder, name), { force: true });
  }
  for (const number of numbers) if (!recorded.includes(`${number}.json`)) writeGenerationRecord(store, number);
}

/** Says once, on stderr, what a command waiting for the store's lock waits for. */
function announceWait(root: string): LockOptions {
  return { onWait: (owner) => process.stderr.write(`  waiting  for process ${owner} (a build or gc) to release ${join(root, STORE_LOCK_FILE)}\n`) };
}

/** Opens the store at `root` under its lock, finishes interrupted work, runs `work`, and always closes it. */
export async function withStoreAt<Result>(root: string, work: (store: Store) => Promise<Result> | Result): Promise<Result> {
  await mkdir(root, { recursive: true });
  return withLockFile(join(root, STORE_LOCK_FILE), async () => {
    const store = await Store.open(root);
    try {
      await finishInterrupted(store);
      return await work(store);
    } finally {
      store.close();
    }
  }, announceWait(root));
}

/** Runs `work` holding the store's lock, without opening its database (recovery, the build). */
export async function withStoreLock<Result>(root: string, work: () => Promise<Result>): Promise<Result> {
  await mkdir(root, { recursive: true });
  return withLockFile(join(root, STORE_LOCK_FILE), work, announceWait(root));
}

export interface RecoveryReport {
  /** Where the damaged database was moved, if there was one. */
  keptDamaged?: string;
  entries: number;
  generations: number[];
  problems: string[];
}

/** An entry folder's files as its listing sees them, with sizes. */
async function describeFolder(folder: string): Promise<Array<ListedFile & { size: number }>> {
  return Promise.all((await listFiles(folder)).map(async (file) => ({
    path: file.path, executable: (file.mode & 0o111) !== 0, hash: await blake3File(join(folder, file.path)), size: file.size,
  })));
}

/**
 * Rebuilds metadata.db from the store's folders and generation records. The old database
 * (if any) is kept as metadata.db.damaged-<time>. Entries whose files no longer hash to
 * their name, and generations that reference an entry not recovered, are reported and left out.
 * The compilation cache is not recovered (it is only a cache). Reads the whole store.
 */
export async function recoverMetadata(root: string, now = new Date()): Promise<RecoveryReport> {
  return withStoreLock(root, async () => {
    const report: RecoveryReport = { entries: 0, generations: [], problems: [] };
    const path = join(root, METADATA_FILE);
    if (existsSync(path)) {
      report.keptDamaged = `${path}.damaged-${now.toISOString().replace(/[:.]/g, "-")}`;
      renameSync(path, report.keptDamaged);
      for (const suffix of ["-wal", "-shm"]) if (existsSync(path + suffix)) renameSync(path + suffix, report.keptDamaged + suffix);
    }
    const database = openMetadata(path, true);
    try {
      const insertEntry = database.prepare("INSERT INTO entries (path, hash, name, size, refcount, created) VALUES (?, ?, ?, ?, 0, ?)");
      const insertFile = database.prepare("INSERT INTO entry_files (entry, path, hash, executable, size) VALUES (?, ?, ?, ?, ?)");
      const recovered = new Set<string>();
      for (const first of readdirSync(root).filter((name) => /^[0-9a-f]{2}$/.test(name)).sort()) {
        for (const second of readdirSync(join(root, first)).sort()) {
          for (const name of readdirSync(join(root, first, second)).sort()) {
            const entry = `${first}/${second}/${name}`;
            const parsed = parseEntryPath(entry);
            const files = parsed === null ? [] : await describeFolder(join(root, entry));
            if (parsed === null || (await entryHash(files)) !== parsed.hash) {
              report.problems.push(`${entry}: not recovered: its files do not hash to its name (damaged; delete it)`);
              continue;
            }
            database.transaction(() => {
              insertEntry.run(entry, parsed.hash, parsed.name, files.reduce((total, file) => total + file.size, 0), now.getTime());
              for (const file of files) insertFile.run(entry, file.path, file.hash, file.executable ? 1 : 0, file.size);
            })();
            recovered.add(entry);
          }
        }
      }
      report.entries = recovered.size;
      const folder = join(root, GENERATION_RECORDS_FOLDER);
      const numbers = (existsSync(folder) ? readdirSync(folder) : []).map((name) => /^(\d+)\.json$/.exec(name)?.[1]).filter((number) => number !== undefined).map(Number).sort((left, right) => left - right);
      for (const number of numbers) {
        const record = JSON.parse(readFileSync(recordPath(root, number), "utf8")) as GenerationRecord;
        const missing = record.references.find((reference) => !recovered.has(reference.entry));
        if (record.format !== RECORD_FORMAT || record.generation.number !== number || missing !== undefined) {
          report.problems.push(`generation ${number}: not recovered: ${missing !== undefined ? `its entry ${missing.entry} is gone` : "unreadable record"}`);
          continue;
        }
        const row = record.generation;
        database.transaction(() => {
          database.prepare("INSERT INTO generations (number, created, content_hash, size, summary, system_version, config, pinned, tools) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .run(row.number, row.created, row.content_hash, row.size, row.summary, row.system_version, row.config, row.pinned, row.tools ?? "{}");
          const insert = database.prepare("INSERT INTO generation_references (generation, entry, role, name, boot_file, arguments) VALUES (?, ?, ?, ?, ?, ?)");
          for (const reference of record.references) insert.run(number, reference.entry, reference.role, reference.name, reference.boot_file, reference.arguments);
          for (const entry of new Set(record.references.map((reference) => reference.entry))) database.prepare("UPDATE entries SET refcount = refcount + 1 WHERE path = ?").run(entry);
        })();
        report.generations.push(number);
      }
      return report;
    } finally {
      database.close();
    }
  });
}
