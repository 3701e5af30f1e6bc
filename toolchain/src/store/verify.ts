// `store verify`: re-hashes every entry and reports what no longer matches its name.
//
// The one operation that reads the whole store, on purpose: it is what you run when you
// suspect a disk or a person changed something. An entry is corrupt when its listing
// (paths, modes, file hashes) no longer hashes to the hash in its folder name; each file
// whose bytes, mode or presence differ from the recorded listing is named. Folders in the
// buckets that the metadata does not know, and recorded entries that are gone, are reported too.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { checkEntryFolder } from "./entry_check.ts";
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

async function verifyEntry(store: Store, entry: EntryRow, recorded: EntryFileRow[], report: VerifyReport): Promise<void> {
  const expected = recorded.map((file) => ({ path: file.path, executable: file.executable === 1, hash: file.hash }));
  const { problems, filesChecked } = await checkEntryFolder(store.absolutePath(entry.path), expected, entry.hash);
  report.filesChecked += filesChecked;
  for (const { file, problem } of problems) report.problems.push({ path: file === "" ? entry.path : `${entry.path}/${file}`, problem });
}

/**
 * The problems of the given entries (each re-hashed once), by entry path; an entry absent
 * from the result is intact. What a build checks before an entry goes into an image.
 */
export async function damagedEntries(store: Store, paths: Iterable<string>): Promise<Map<string, string>> {
  const damaged = new Map<string, string>();
  const rowOf = store.metadata.prepare("SELECT * FROM entries WHERE path = ?");
  const files = store.metadata.prepare("SELECT * FROM entry_files WHERE entry = ?");
  for (const path of new Set(paths)) {
    const entry = rowOf.get(path) as EntryRow | undefined;
    if (entry === undefined) {
      damaged.set(path, "not recorded in the metadata");
      continue;
    }
    const report: VerifyReport = { entriesChecked: 0, filesChecked: 0, problems: [] };
    await verifyEntry(store, entry, files.all(path) as EntryFileRow[], report);
    if (report.problems.length > 0) damaged.set(path, report.problems.map((item) => `${item.path}: ${item.problem}`).join("; "));
  }
  return damaged;
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
