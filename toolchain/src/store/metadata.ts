// The store's metadata in SQLite (WAL mode): entries, their files, generations, references, cache.
//
// Every change that must stay consistent (a generation and its references and the
// reference counts they raise; a gc's removals) happens in one transaction, so a crash
// leaves either the old state or the new one. WAL with synchronous=FULL makes a committed
// transaction survive power loss too. Reference counts are kept in the entries table and
// a partial index over refcount = 0 lets gc find dead entries without reading live ones.
//
// Two small tables make interrupted work resumable without a scan (recovery.ts):
// pending_entries names entries whose folder is being renamed into place, and trash names
// entries gc took out of the live store (phase 1) but has not finished moving and deleting.
//
// A damaged database is refused by file name with what to do: an empty or missing file in a
// store that holds entries (it was truncated or deleted; the history is in the store's own
// generation records, see recovery.ts), and a file SQLite finds malformed.
import Database from "better-sqlite3";
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export type MetadataDatabase = Database.Database;

const SCHEMA_VERSION = 3;

/** What version 2 added to version 1 (besides generations.tools and a trash table, TRASH_2). */
const SCHEMA_2_TABLES = `
CREATE TABLE pending_entries (
  path TEXT PRIMARY KEY                -- an entry recorded before its folder is renamed into place
);
`;

/**
 * What version 3 changed, for gc's first phase (docs/store.md): a generation's references are
 * one contiguous key range (WITHOUT ROWID, keyed by generation first), so removing a
 * generation deletes one range of one b-tree. They no longer carry a foreign key to entries,
 * nor the index on entry that the key needed: an entry row is deleted only at refcount 0
 * (no generation references it), and recordGeneration refuses a reference to an unknown entry.
 * The trash table is keyed by entry (one b-tree; what addEntry and gc look up).
 */
const SCHEMA_3_TABLES = `
CREATE TABLE generation_references (
  generation INTEGER NOT NULL REFERENCES generations(number) ON DELETE CASCADE,
  entry TEXT NOT NULL,                 -- an entries path (no foreign key: see above)
  role TEXT NOT NULL,                  -- "kernel", "module", "config", …
  name TEXT NOT NULL,                  -- what the entry is within the generation ("heartbeat")
  boot_file TEXT,                      -- the file GRUB loads from the entry, if any
  arguments TEXT,                      -- its GRUB command line after the path, if any
  PRIMARY KEY (generation, entry, role, name)
) WITHOUT ROWID;
CREATE TABLE trash (
  entry TEXT PRIMARY KEY,              -- the entry path: out of the live store once named here
  folder TEXT NOT NULL                 -- its name under .trash/ (its rows stay until deleted)
) WITHOUT ROWID;
`;

/** The trash table as version 2 had it (what a version 1 database migrates through). */
const TRASH_2 = "CREATE TABLE trash (folder TEXT PRIMARY KEY, entry TEXT NOT NULL);";

/** Version 2 → 3: both tables rebuilt, their rows kept (a trash row may be an unfinished gc's). */
const MIGRATE_2_TO_3 = `
ALTER TABLE generation_references RENAME TO generation_references_2;
ALTER TABLE trash RENAME TO trash_2;
${SCHEMA_3_TABLES}
INSERT INTO generation_references SELECT generation, entry, role, name, boot_file, arguments FROM generation_references_2;
INSERT INTO trash (entry, folder) SELECT entry, min(folder) FROM trash_2 GROUP BY entry;
DROP TABLE generation_references_2;
DROP TABLE trash_2;
`;

const SCHEMA = `
CREATE TABLE entries (
  path TEXT PRIMARY KEY,               -- "ab/cd/<hash>-<name>", relative to the store root
  hash TEXT NOT NULL,                  -- BLAKE3 of the entry's canonical listing
  name TEXT NOT NULL,
  size INTEGER NOT NULL,               -- bytes of all its files
  refcount INTEGER NOT NULL DEFAULT 0, -- generations referencing it
  created INTEGER NOT NULL             -- milliseconds since 1970
);
CREATE INDEX entries_dead ON entries(path) WHERE refcount = 0;
CREATE TABLE entry_files (
  entry TEXT NOT NULL REFERENCES entries(path) ON DELETE CASCADE,
  path TEXT NOT NULL,                  -- relative path inside the entry
  hash TEXT NOT NULL,
  executable INTEGER NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (entry, path)
);
CREATE TABLE generations (
  number INTEGER PRIMARY KEY,
  created INTEGER NOT NULL,
  content_hash TEXT NOT NULL,          -- BLAKE3 of the config and the entries, canonical JSON
  size INTEGER NOT NULL,
  summary TEXT NOT NULL,               -- what changed since the generation before it
  system_version TEXT NOT NULL,
  config TEXT NOT NULL,                -- the system's canonical JSON
  pinned INTEGER NOT NULL DEFAULT 0,   -- 1 for the generation rollback made the default
  tools TEXT NOT NULL DEFAULT '{}'     -- JSON: the versions of the tools that built it
);
CREATE TABLE cache (
  inputs_key TEXT PRIMARY KEY,         -- BLAKE3 of a build's inputs
  entry TEXT NOT NULL REFERENCES entries(path) ON DELETE CASCADE,
  created INTEGER NOT NULL
);
CREATE INDEX cache_entry ON cache(entry);
${SCHEMA_2_TABLES}${SCHEMA_3_TABLES}`;


/** The damaged-database error: names the file, what is wrong, and the command that repairs it. */
export class DamagedMetadataError extends Error {
  constructor(readonly path: string, problem: string) {
    const store = dirname(path);
    super(`${path}: ${problem}. The store's entries and generation records (${join(basename(store), ".generations")}/) still describe its history: ` +
      `run \`optios store recover --store ${store}\` to rebuild ${basename(path)} from them (the damaged file is kept beside it)`);
  }
}

/** SQLite's own words for a file that is not (or no longer) a sound database. */
export function isDamageError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB"));
}

/** Whether the store folder holds entries or generation records, which a new database would forget. */
function storeHasHistory(storeRoot: string): boolean {
  const records = join(storeRoot, GENERATION_RECORDS_FOLDER);
  if (existsSync(records) && readdirSync(records).some((name) => name.endsWith(".json"))) return true;
  return existsSync(storeRoot) && readdirSync(storeRoot).some((name) => /^[0-9a-f]{2}$/.test(name));
}

/** Where each generation describes itself, beside the database (recovery.ts). */
export const GENERATION_RECORDS_FOLDER = ".generations";

/**
 * Opens (creating when new) the metadata database at `path`. A new database in a store
 * that already holds entries is refused unless `allowNewInUsedStore` (recovery does that).
 */
export function openMetadata(path: string, allowNewInUsedStore = false): MetadataDatabase {
  const missingOrEmpty = !existsSync(path) || statSync(path).size === 0;
  if (missingOrEmpty && !allowNewInUsedStore && storeHasHistory(dirname(path))) {
    throw new DamagedMetadataError(path, existsSync(path) ? "empty (0 bytes), but the store holds entries: the database was truncated" : "missing, but the store holds entries: the database was deleted");
  }
  let database: MetadataDatabase | undefined;
  try {
    database = new Database(path);
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = FULL");
    database.pragma("foreign_keys = ON");
    database.pragma("busy_timeout = 5000");
    const check = database.pragma("quick_check", { simple: true });
    if (check !== "ok") throw new DamagedMetadataError(path, `damaged (SQLite's quick_check: ${String(check)})`);
    migrate(database, path);
    return database;
  } catch (error) {
    database?.close();
    if (isDamageError(error)) throw new DamagedMetadataError(path, `damaged (SQLite: ${(error as Error).message})`);
    throw error;
  }
}

function migrate(database: MetadataDatabase, path: string): void {
  const version = database.pragma("user_version", { simple: true }) as number;
  if (version === 0) {
    database.transaction(() => {
      database.exec(SCHEMA);
      database.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  } else if (version === 1 || version === 2) {
    database.transaction(() => {
      if (version === 1) database.exec(`ALTER TABLE generations ADD COLUMN tools TEXT NOT NULL DEFAULT '{}';${SCHEMA_2_TABLES}${TRASH_2}`);
      database.exec(MIGRATE_2_TO_3);
      database.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  } else if (version !== SCHEMA_VERSION) {
    throw new Error(`${path}: metadata schema version ${version}; this toolchain reads version ${SCHEMA_VERSION} (a newer toolchain wrote it)`);
  }
}

export interface EntryRow {
  path: string;
  hash: string;
  name: string;
  size: number;
  refcount: number;
  created: number;
}

export interface EntryFileRow {
  entry: string;
  path: string;
  hash: string;
  executable: number;
  size: number;
}

export interface GenerationRow {
  number: number;
  created: number;
  content_hash: string;
  size: number;
  summary: string;
  system_version: string;
  config: string;
  pinned: number;
  /** JSON object: tool → version. */
  tools: string;
}

export interface ReferenceRow {
  generation: number;
  entry: string;
  role: string;
  name: string;
  boot_file: string | null;
  arguments: string | null;
}
