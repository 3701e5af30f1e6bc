// The boot filesystem calls (capability files:read): a file's size, its bytes, a directory's entries.
//
// Paths arrive as (address, length) in the caller's memory; file bytes are copied straight
// from the archive, read in place, into the caller (a TRANSFER_MAX_BYTES chunk at a time).

import { bootFilesystem } from "../fs/boot_filesystem";
import { ENTRY_DIRECTORY, FilesystemEntry } from "../fs/cpio";
import { Caller } from "./callers";
import { copyIn, copyOut } from "./copy";
import { ERROR_BAD_ADDRESS, ERROR_END, ERROR_IS_DIRECTORY, ERROR_NOT_DIRECTORY, ERROR_NOT_FOUND, ERROR_TOO_LONG,
  PATH_MAX_BYTES, TRANSFER_MAX_BYTES } from "./interface";

const path = new StaticArray<u8>(PATH_MAX_BYTES);
const transfer = new StaticArray<u8>(TRANSFER_MAX_BYTES);
/** Why the last lookup found nothing: ERROR_TOO_LONG, ERROR_BAD_ADDRESS or ERROR_NOT_FOUND. */
let lookupError: i64 = 0;

function lookup(module: i32, address: u64, length: u64): FilesystemEntry | null {
  const filesystem = bootFilesystem();
  lookupError = length > <u64>PATH_MAX_BYTES ? ERROR_TOO_LONG
    : !copyIn(module, changetype<usize>(path), address, length) ? ERROR_BAD_ADDRESS : ERROR_NOT_FOUND;
  if (lookupError != ERROR_NOT_FOUND || filesystem == null) return null;
  return filesystem.lookupBytes(changetype<usize>(path), <i32>length);
}

/** file_size(path, length) */
export function fileSize(caller: Caller, module: i32, address: u64, length: u64, c: u64, d: u64, e: u64): i64 {
  const entry = lookup(module, address, length);
  if (entry == null) return lookupError;
  if (entry.kind == ENTRY_DIRECTORY) return ERROR_IS_DIRECTORY;
  return <i64>entry.size;
}

/** file_read(path, length, offset, destination, capacity): up to capacity bytes from offset. */
export function fileRead(caller: Caller, module: i32, address: u64, length: u64, offset: u64, destination: u64, capacity: u64): i64 {
  const entry = lookup(module, address, length);
  const filesystem = bootFilesystem();
  if (entry == null || filesystem == null) return lookupError;
  if (entry.kind == ENTRY_DIRECTORY) return ERROR_IS_DIRECTORY;
  let done: u64 = 0;
  while (done < capacity) {
    const count = filesystem.read(entry, offset + done, changetype<usize>(transfer), <u32>min<u64>(capacity - done, <u64>TRANSFER_MAX_BYTES));
    if (count == 0) break;
    if (!copyOut(module, destination + done, changetype<usize>(transfer), count)) return ERROR_BAD_ADDRESS;
    done += count;
  }
  return <i64>done;
}

/** directory_entry(path, length, index, destination, capacity): the entry's name; (kind << 32) | name length. */
export function directoryEntry(caller: Caller, module: i32, address: u64, length: u64, index: u64, destination: u64,
  capacity: u64): i64 {
  const directory = lookup(module, address, length);
  if (directory == null) return lookupError;
  if (directory.kind != ENTRY_DIRECTORY) return ERROR_NOT_DIRECTORY;
  let child = directory.firstChild;
  for (let i: u64 = 0; i < index && child != null; i++) child = child.nextSibling;
  if (child == null) return ERROR_END;
  const name = child.name;
  const shown = min<i32>(name.length, <i32>min<u64>(capacity, <u64>PATH_MAX_BYTES));
  for (let i = 0; i < shown; i++) path[i] = <u8>name.charCodeAt(i);
  if (!copyOut(module, destination, changetype<usize>(path), shown)) return ERROR_BAD_ADDRESS;
  return (<i64>child.kind << 32) | <i64>shown;
}
