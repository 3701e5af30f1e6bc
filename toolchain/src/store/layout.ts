// Where things live in a store directory, and the names the store accepts.
//
//   store/
//   ├── ab/cd/<hash>-<name>/   one immutable entry (dir 0555, files 0444 or 0555)
//   ├── .files/<hash>          the pool: one inode per distinct plain file, hard-linked into entries
//   ├── .files/<hash>.x        the same for executable files (a hard link shares its mode)
//   ├── .tmp/<random>/         entries being written; anything here after a crash is garbage
//   ├── .trash/<random>/       entries being deleted by gc
//   └── metadata.db            SQLite (WAL): entries, references, generations, cache
import { join } from "node:path";

export const FILES_FOLDER = ".files";
export const TEMPORARY_FOLDER = ".tmp";
export const TRASH_FOLDER = ".trash";
export const METADATA_FILE = "metadata.db";

/** Entry names: what follows the hash in the folder name ("kernel", "handler-heartbeat"). */
export const ENTRY_NAME_PATTERN = /^[A-Za-z0-9+_][A-Za-z0-9+_.=-]{0,99}$/;

/** "ab/cd/abcd…-kernel": an entry's path relative to the store root, always with '/'. */
export function entryRelativePath(hash: string, name: string): string {
  return `${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}-${name}`;
}

/** Splits "ab/cd/<hash>-<name>" back into hash and name; null for anything else. */
export function parseEntryPath(relativePath: string): { hash: string; name: string } | null {
  const match = /^([0-9a-f]{2})\/([0-9a-f]{2})\/([0-9a-f]{64})-(.+)$/.exec(relativePath);
  if (match === null || !match[3].startsWith(match[1] + match[2])) return null;
  return { hash: match[3], name: match[4] };
}

export function poolFilePath(root: string, fileHash: string, executable: boolean): string {
  return join(root, FILES_FOLDER, executable ? `${fileHash}.x` : fileHash);
}

/** Checks a relative file path inside an entry: '/' separated, no '.', '..' or empty parts. */
export function isSafeRelativePath(path: string): boolean {
  if (path === "" || path.startsWith("/") || path.includes("\\") || path.includes("\0")) return false;
  return path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}
