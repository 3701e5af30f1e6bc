// Older metadata databases are migrated on open, their rows kept; an unfinished gc's trash too.
import Database from "better-sqlite3";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { finishCollection } from "../../../toolchain/src/store/gc.ts";
import { Store } from "../../../toolchain/src/store/store.ts";

/** Version 2's schema, as the toolchain before schema 3 wrote it. */
const SCHEMA_2 = `
CREATE TABLE entries (path TEXT PRIMARY KEY, hash TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL, refcount INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);
CREATE INDEX entries_dead ON entries(path) WHERE refcount = 0;
CREATE TABLE entry_files (entry TEXT NOT NULL REFERENCES entries(path) ON DELETE CASCADE, path TEXT NOT NULL, hash TEXT NOT NULL, executable INTEGER NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (entry, path));
CREATE TABLE generations (number INTEGER PRIMARY KEY, created INTEGER NOT NULL, content_hash TEXT NOT NULL, size INTEGER NOT NULL, summary TEXT NOT NULL, system_version TEXT NOT NULL, config TEXT NOT NULL, pinned INTEGER NOT NULL DEFAULT 0, tools TEXT NOT NULL DEFAULT '{}');
CREATE TABLE generation_references (generation INTEGER NOT NULL REFERENCES generations(number) ON DELETE CASCADE, entry TEXT NOT NULL REFERENCES entries(path), role TEXT NOT NULL, name TEXT NOT NULL, boot_file TEXT, arguments TEXT, PRIMARY KEY (generation, entry, role, name));
CREATE INDEX generation_references_entry ON generation_references(entry);
CREATE TABLE cache (inputs_key TEXT PRIMARY KEY, entry TEXT NOT NULL REFERENCES entries(path) ON DELETE CASCADE, created INTEGER NOT NULL);
CREATE INDEX cache_entry ON cache(entry);
CREATE TABLE pending_entries (path TEXT PRIMARY KEY);
CREATE TABLE trash (folder TEXT PRIMARY KEY, entry TEXT NOT NULL);
`;

/** Version 1's: no tools column, no pending_entries, no trash. */
const SCHEMA_1 = SCHEMA_2.replace(", tools TEXT NOT NULL DEFAULT '{}'", "").replace(/CREATE TABLE pending_entries[^\n]*\n/, "").replace(/CREATE TABLE trash[^\n]*\n/, "");

const LIVE = `aa/bb/${"a".repeat(64)}-kernel`;
const DEAD = `cc/dd/${"c".repeat(64)}-old`;

/** A version 2 store: one generation referencing LIVE, and DEAD named in trash by a gc killed before its renames. */
function writeVersion2Store(): string {
  const root = join(mkdtempSync(join(tmpdir(), "optios-migration-")), "store");
  mkdirSync(root);
  const database = new Database(join(root, "metadata.db"));
  database.exec(SCHEMA_2);
  database.prepare("INSERT INTO entries (path, hash, name, size, refcount, created) VALUES (?, ?, 'kernel', 6, 1, 0), (?, ?, 'old', 3, 0, 0)").run(LIVE, "a".repeat(64), DEAD, "c".repeat(64));
  database.prepare("INSERT INTO generations (number, created, content_hash, size, summary, system_version, config) VALUES (1, 0, 'h', 6, 'first', '1.0', '{}')").run();
  database.prepare("INSERT INTO generation_references (generation, entry, role, name, boot_file, arguments) VALUES (1, ?, 'kernel', 'kernel', 'kernel.elf', 'console=ttyS0')").run(LIVE);
  database.prepare("INSERT INTO trash (folder, entry) VALUES ('1234-old', ?)").run(DEAD);
  database.pragma("user_version = 2");
  database.close();
  return root;
}

describe("metadata schema migration", () => {
  it("migrates version 2 to 3: references rebuilt without a foreign key to entries, trash keyed by entry, rows kept", async () => {
    const store = await Store.open(writeVersion2Store());
    const database = store.metadata;
    expect(database.pragma("user_version", { simple: true })).toBe(3);
    const sql = (name: string) => (database.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(name) as { sql: string } | undefined)?.sql;
    expect(sql("generation_references")).toContain("WITHOUT ROWID");
    expect(sql("generation_references")).not.toContain("REFERENCES entries");
    expect(sql("generation_references_entry")).toBeUndefined();
    expect(sql("trash")).toContain("entry TEXT PRIMARY KEY");
    expect(database.prepare("SELECT * FROM generation_references").all()).toEqual([
      { generation: 1, entry: LIVE, role: "kernel", name: "kernel", boot_file: "kernel.elf", arguments: "console=ttyS0" },
    ]);
    expect(database.prepare("SELECT entry, folder FROM trash").all()).toEqual([{ entry: DEAD, folder: "1234-old" }]);
    expect(database.pragma("foreign_key_check")).toEqual([]);
    // The unfinished gc's trash row is finished like any other.
    await finishCollection(store);
    expect(database.prepare("SELECT path FROM entries").all()).toEqual([{ path: LIVE }]);
    expect(database.prepare("SELECT * FROM trash").all()).toEqual([]);
    store.close();
  });

  it("migrates version 1 to 3 through version 2", async () => {
    const root = join(mkdtempSync(join(tmpdir(), "optios-migration-")), "store");
    mkdirSync(root);
    const database = new Database(join(root, "metadata.db"));
    database.exec(SCHEMA_1);
    database.prepare("INSERT INTO entries (path, hash, name, size, refcount, created) VALUES (?, ?, 'kernel', 6, 1, 0)").run(LIVE, "a".repeat(64));
    database.prepare("INSERT INTO generations (number, created, content_hash, size, summary, system_version, config) VALUES (1, 0, 'h', 6, 'first', '1.0', '{}')").run();
    database.prepare("INSERT INTO generation_references (generation, entry, role, name) VALUES (1, ?, 'kernel', 'kernel')").run(LIVE);
    database.pragma("user_version = 1");
    database.close();
    const store = await Store.open(root);
    expect(store.metadata.pragma("user_version", { simple: true })).toBe(3);
    expect(store.metadata.prepare("SELECT number, tools FROM generations").all()).toEqual([{ number: 1, tools: "{}" }]);
    expect(store.metadata.prepare("SELECT generation, entry FROM generation_references").all()).toEqual([{ generation: 1, entry: LIVE }]);
    expect(store.metadata.prepare("SELECT * FROM pending_entries").all()).toEqual([]);
    expect(store.metadata.prepare("SELECT * FROM trash").all()).toEqual([]);
    store.close();
  });
});
