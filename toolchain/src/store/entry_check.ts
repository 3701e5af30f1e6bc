// One entry folder checked against its listing: every file present, unchanged, read-only.
//
// Shared by `store verify` (every entry), by addEntry (an entry about to be reused) and by
// the build (every entry before it goes into an image): an entry is only trusted after its
// bytes were hashed again, because its name alone says nothing about what is on disk now.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { blake3File, entryHash, type ListedFile } from "./hash.ts";

export interface EntryProblem {
  /** The file inside the entry ("" for the entry as a whole). */
  file: string;
  problem: string;
}

/** An entry folder's files, recursively: relative path, permission bits and size, sorted. */
export async function listFiles(folder: string, prefix = ""): Promise<Array<{ path: string; mode: number; size: number }>> {
  const files: Array<{ path: string; mode: number; size: number }> = [];
  for (const name of (await readdir(folder)).sort()) {
    const info = await stat(join(folder, name));
    const path = prefix === "" ? name : `${prefix}/${name}`;
    if (info.isDirectory()) files.push(...(await listFiles(join(folder, name), path)));
    else files.push({ path, mode: info.mode & 0o777, size: info.size });
  }
  return files;
}

/**
 * Re-hashes the folder and compares it with `expected` (the recorded listing) and with
 * `entryHashFromName`; returns every difference, an empty list when the entry is intact.
 * A missing folder is one problem for the entry as a whole.
 */
export async function checkEntryFolder(folder: string, expected: readonly ListedFile[], entryHashFromName?: string): Promise<{ problems: EntryProblem[]; filesChecked: number }> {
  const found = await listFiles(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  if (found === null) return { problems: [{ file: "", problem: "missing: recorded in the metadata but not in the store" }], filesChecked: 0 };
  const problems: EntryProblem[] = [];
  const remaining = new Map(expected.map((file) => [file.path, file]));
  const listed: ListedFile[] = [];
  for (const file of found) {
    const hash = await blake3File(join(folder, file.path));
    const executable = (file.mode & 0o111) !== 0;
    listed.push({ path: file.path, executable, hash });
    const record = remaining.get(file.path);
    remaining.delete(file.path);
    if (record === undefined) problems.push({ file: file.path, problem: "unexpected file: not in the entry's recorded listing" });
    else if (record.hash !== hash) problems.push({ file: file.path, problem: `content changed: hash ${hash}, expected ${record.hash}` });
    if (file.mode !== 0o444 && file.mode !== 0o555) problems.push({ file: file.path, problem: `mode ${file.mode.toString(8)}, expected 444 or 555 (entries are read-only)` });
    else if (record !== undefined && record.executable !== executable) problems.push({ file: file.path, problem: `mode ${file.mode.toString(8)}, expected ${record.executable ? "555" : "444"}` });
  }
  for (const missing of remaining.keys()) problems.push({ file: missing, problem: "missing file" });
  if (entryHashFromName !== undefined) {
    const actual = await entryHash(listed);
    if (actual !== entryHashFromName) problems.push({ file: "", problem: `entry hash ${actual} does not match its name (${entryHashFromName})` });
  }
  return { problems, filesChecked: found.length };
}
