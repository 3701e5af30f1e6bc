// `store verify`: re-hashes every entry and reports what no longer matches its name.
//
// The one operation that reads the whole store, on purpose: it is what you run when you
// suspect a disk or a person changed something. An entry is corrupt when its listing
// (paths, modes, file hashes) no longer hashes to the hash in its folder name; each file
// whose bytes, mode or presence differ from the recorded listing is named. Folders in the
// buckets that the metadata does not know, and recorded entries that are gone, are reported too.
import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { blake3File, entryHash, type ListedFile } from "./hash.ts";
import { parseEntryPath } from "./layout.ts";
import type { EntryFileRow, EntryRow } from "./metadata.ts";
import type { Store } from "./store.ts";

export interface VerifyProblem {
  /** The entry, or the entry's file, relative to the store root. */
  path: string;
  problem: string;
}

export interface VerifyReport {
  entriesChecked: number;
  filesChecked: number;
  problems: VerifyProblem[];
}

/** Lists an entry folder's files: relative path, executable bit, size (not hashed). */
async function listFiles(folder: string, prefix = ""): Promise<Array<{ path: string; mode: number }>> {
  const files: Array<{ path: string; mode: number }> = [];
  for (const name of (await readdir(folder)).sort()) {
    const info = await stat(join(folder, name));
    const path = prefix === "" ? name : `${prefix}/${name}`;
    if (info.isDirectory()) files.push(...(await listFiles(join(folder, name), path)));
    else files.push({ path, mode: info.mode & 0o777 });
  }
  return files;
}

async function verifyEntry(store: Store, entry: EntryRow, recorded: EntryFileRow[], report: VerifyReport): Promise<void> {
  const folder = store.absolutePath(entry.path);
  if (!existsSync(folder)) {
    report.problems.push({ path: entry.path, problem: "missing: recorded in the metadata but not in the store" });
    return;
  }
  const expected = new Map(recorded.map((file) => [file.path, file]));
  const listed: ListedFile[] = [];
  for (const file of await listFiles(folder)) {
    const hash = await blake3File(join(folder, file.path));
    const executable = (file.mode & 0o111) !== 0;
    listed.push({ path: file.path, executable, hash });
    report.filesChecked++;
    const where = `${entry.path}/${file.path}`;
    const record = expected.get(file.path);
    expected.delete(file.path);
    if (record === undefined) report.problems.push({ path: where, problem: "unexpected file: not in the entry's recorded listing" });
    else if (record.hash !== hash) report.problems.push({ path: where, problem: `content changed: hash ${hash}, expected ${record.hash}` });
    if (file.mode !== 0o444 && file.mode !== 0o555) report.problems.push({ path: where, problem: `mode ${file.mode.toString(8)}, expected 444 or 555 (entries are read-only)` });
    else if (record !== undefined && (record.executable === 1) !== executable) report.problems.push({ path: where, problem: `mode ${file.mode.toString(8)}, expected ${record.executable === 1 ? "555" : "444"}` });
  }
  for (const missing of expected.keys()) report.problems.push({ path: `${entry.path}/${missing}`, problem: "missing file" });
  const actual = await entryHash(listed);
  if (actual !== entry.hash) report.problems.push({ path: entry.path, problem: `entry hash ${actual} does not match its name (${entry.hash})` });
}

/** Folders under the buckets ("ab/cd/<hash>-<name>") that are not recorded in the metadata. */
async function findUntracked(store: Store, known: Set<string>): Promise<string[]> {
  const untracked: string[] = [];
  for (const first of await readdir(store.root)) {
    if (!/^[0-9a-f]{2}$/.test(first)) continue;
    for (const second of await readdir(join(store.root, first))) {
      for (const name of await readdir(join(store.root, first, second))) {
        const path = `${first}/${second}/${name}`;
        if (!known.has(path)) untracked.push(path);
      }
    }
  }
  return untracked;
}

/** Re-hashes every recorded entry; `report.problems` is empty when the store is intact. */
export async function verifyStore(store: Store): Promise<VerifyReport> {
  const report: VerifyReport = { entriesChecked: 0, filesChecked: 0, problems: [] };
  const entries = store.metadata.prepare("SELECT * FROM entries ORDER BY path").all() as EntryRow[];
  const files = store.metadata.prepare("SELECT * FROM entry_files WHERE entry = ?");
  for (const entry of entries) {
    report.entriesChecked++;
    await verifyEntry(store, entry, files.all(entry.path) as EntryFileRow[], report);
  }
  for (const path of await findUntracked(store, new Set(entries.map((entry) => entry.path)))) {
    const problem = parseEntryPath(path) === null ? "not an entry name (expected <hash>-<name> in its hash's bucket)" : "untracked: not recorded in the metadata (left by an interrupted write?)";
    report.problems.push({ path, problem });
  }
  return report;
}
