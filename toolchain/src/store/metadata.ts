// The store's metadata in SQLite (WAL mode): entries, their files, generations, references, cache.
//
// Every change that must stay consistent (a generation and its references and the
// reference counts they raise; a gc's removals) happens in one transaction, so a crash
// leaves either the old state or the new one. WAL with synchronous=FULL makes a committed
// transaction survive power loss too. Reference counts are kept in the entries table and
// a partial index over refcount = 0 lets gc find dead entries without reading live ones.
import Database from "better-sqlite3";

export type MetadataDatabase = Database.Database;

const SCHEMA_VERSION = 1;

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
  pinned INTEGER NOT NULL DEFAULT 0    -- 1 for the generation rollback made the default
);
CREATE TABLE generation_references (
  generation INTEGER NOT NULL REFERENCES generations(number) ON DELETE CASCADE,
  entry TEXT NOT NULL REFERENCES entries(path),
  role TEXT NOT NULL,                  -- "kernel", "module", "config", …
  name TEXT NOT NULL,                  -- what the entry is within the generation ("heartbeat")
  boot_file TEXT,                      -- the file GRUB loads from the entry, if any
  arguments TEXT,                      -- its GRUB command line after the path, if any
  PRIMARY KEY (generation, entry, role, name)
);
CREATE INDEX generation_references_entry ON generation_references(entry);
CREATE TABLE cache (
  inputs_key TEXT PRIMARY KEY,         -- BLAKE3 of a build's inputs
  entry TEXT NOT NULL REFERENCES entries(path) ON DELETE CASCADE,
  created INTEGER NOT NULL
);
CREATE INDEX cache_entry ON cache(entry);
`;

/** Opens (creating when new) the metadata database at `path`. */
export function openMetadata(path: string): MetadataDatabase {
  const database = new Database(path);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = FULL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  const version = database.pragma("user_version", { simple: true }) as number;
  if (version === 0) {
    database.transaction(() => {
      database.exec(SCHEMA);
      database.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  } else if (version !== SCHEMA_VERSION) {
    database.close();
    throw new Error(`${path}: metadata schema version ${version}; this toolchain reads version ${SCHEMA_VERSION}`);
  }
  return database;
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
}

export interface ReferenceRow {
  generation: number;
  entry: string;
  role: string;
  name: string;
  boot_file: string | null;
  arguments: string | null;
}
