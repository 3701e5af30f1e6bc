// The data disk's file calls (data.read, data): a file's size, its bytes, a directory's
// entries, a write and a removal, under /data (docs/storage.md).
//
//   gate.ts resolved the path (resolveDataPath: relative paths are in /data/<caller>/) and
//   matched it against the caller's grants; it is in callArgument here.
//   a handler's write ─► a pending change (storage/data_files.ts) ─► written with its run's
//     commit (storage/state_log.ts), dropped with its rollback
//   a program's write ─► the same pending change, written, committed and flushed at once
//
// Reads see the run's own changes first. A read of a committed file from offset 0 reads the
// whole file in one request and checks its checksum (ERROR_CORRUPT), so a reader that starts
// at the beginning never gets bytes nobody wrote; a read from elsewhere reads the sectors it
// needs through the state log's staging area, a TRANSFER_MAX_BYTES chunk at a time.

import { physicalCopyIn, physicalCopyOut, physicalMove } from "../arch/x86_64/machine";
import { moduleMemoryBytes } from "../arch/x86_64/modules";
import { Text } from "../console/text";
import { runningHandler } from "../handlers/dispatcher";
import { LEVEL_ERROR, LEVEL_WARNING, log } from "../log/log";
import { memoryAllocatePages, pageAllocator } from "../memory/memory";
import { SECTOR_BYTES } from "../storage/block_device";
import { anyVisibleUnder, DATA_NONE, directoryEntryAt, dropPending, entryDirectory, entryNameAddress, entryNameLength, fileChecksums,
  fileSectors, fileSizes, pendingBuffers, pendingChange, pendingSizes, pendingWriters, sectorsFor, takePending, visibleCount,
  visibleFile, visibleSectors } from "../storage/data_files";
import { CHECKSUM_FAILS, PROGRAM_WRITER, stateLogActive, stateLogCommitProgram, stateLogFileSpace, stateLogReadFile, stateLogReadWhole } from "../storage/state_log";
import { callArgument, callArgumentLength, setCallArgumentLength } from "./argument";
import { Caller } from "./callers";
import { copyIn, copyOut, rangeFits } from "./copy";
import { CALLER_HANDLER, CALL_DATA_ENTRY, DATA_APPEND, DATA_FILE_MAX_BYTES, DATA_FILES_MAX, DATA_REPLACE, ENTRY_DIRECTORY, ENTRY_FILE,
  ERROR_BAD_ADDRESS, ERROR_BAD_ARGUMENT, ERROR_BAD_PATH, ERROR_CORRUPT, ERROR_END, ERROR_FAILED, ERROR_IS_DIRECTORY, ERROR_NO_DATA_DISK,
  ERROR_NO_SPACE, ERROR_NOT_DIRECTORY, ERROR_NOT_FOUND, ERROR_NOT_IN_RUN, ERROR_TOO_LONG, ERROR_WRITE_LIMIT, PATH_MAX_BYTES,
  TRANSFER_MAX_BYTES } from "./interface";

const PAGE_BYTES: u64 = 4096;
const SLASH: u8 = 0x2f;
const DATA = "/data";
const given = new StaticArray<u8>(PATH_MAX_BYTES);
const transfer = new StaticArray<u8>(TRANSFER_MAX_BYTES);
const directory = new StaticArray<u8>(PATH_MAX_BYTES + 1);
const line = new Text();

/**
 * The gate's argument for data.read and data: the path at (address, length) in the caller's
 * memory, resolved into callArgument (data_entry's with a '/' after it, so "data:/data/x/*"
 * admits listing /data/x). Relative paths are in /data/<caller>/; a trailing '/' is dropped.
 * 0, or ERROR_TOO_LONG, ERROR_BAD_ADDRESS, ERROR_BAD_PATH. toolchain/src/harness/data.ts
 * resolves the same way.
 */
export function resolveDataPath(caller: Caller, module: i32, call: u32, address: u64, length: u64): i64 {
  if (length > <u64>PATH_MAX_BYTES) return ERROR_TOO_LONG;
  if (!copyIn(module, changetype<usize>(given), address, length)) return ERROR_BAD_ADDRESS;
  const out = changetype<usize>(callArgument);
  let size = 0;
  const relative = length == 0 || given[0] != SLASH;
  if (relative) {
    for (; size < DATA.length; size++) callArgument[size] = <u8>DATA.charCodeAt(size);
    callArgument[size++] = SLASH;
    const name = caller.name;
    for (let i = 0; i < name.length && size < PATH_MAX_BYTES; i++) callArgument[size++] = <u8>name.charCodeAt(i);
    if (length > 0 && size < PATH_MAX_BYTES) callArgument[size++] = SLASH;
  }
  for (let i = 0; i < <i32>length; i++) {
    if (size >= PATH_MAX_BYTES) return ERROR_BAD_PATH;
    callArgument[size++] = given[i];
  }
  if (size > 1 && callArgument[size - 1] == SLASH) size--;
  if (size > PATH_MAX_BYTES - 1 || !validDataPath(out, size)) return ERROR_BAD_PATH;
  if (call == CALL_DATA_ENTRY) callArgument[size++] = SLASH;
  setCallArgumentLength(size);
  return 0;
}

/** "/data", or "/data/" and parts that are neither empty, "." nor "..", of printable ASCII other than '*'. */
function validDataPath(path: usize, length: i32): bool {
  if (length < 5) return false;
  for (let i = 0; i < 5; i++) if (<i32>load<u8>(path + i) != DATA.charCodeAt(i)) return false;
  if (length == 5) return true;
  if (load<u8>(path + 5) != SLASH) return false;
  let partStart = 6;
  for (let i = 6; i <= length; i++) {
    const byte = i < length ? load<u8>(path + i) : SLASH;
    if (byte == SLASH) {
      const part = i - partStart;
      if (part == 0) return false;
      if (load<u8>(path + partStart) == 0x2e && (part == 1 || (part == 2 && load<u8>(path + partStart + 1) == 0x2e))) return false;
      partStart = i + 1;
    } else if (byte < 0x21 || byte > 0x7e || byte == 0x2a) {
      return false;
    }
  }
  return true;
}

/** Whether `path` is a directory a reader sees: /data, or the parent of a visible file. */
function isDirectory(path: usize, length: i32): bool {
  if (length == 5) return true;
  memory.copy(changetype<usize>(directory), path, length);
  directory[length] = SLASH;
  return anyVisibleUnder(changetype<usize>(directory), length + 1);
}

/** A visible file's size: a pending change's or the committed file's. */
function sizeOf(file: i32): u64 {
  return file >= 0 ? pendingSizes[file] : fileSizes[-2 - file];
}

/** data_size(path, length) */
export function dataSize(caller: Caller, module: i32, a: u64, b: u64, c: u64, d: u64, e: u64): i64 {
  if (!stateLogActive()) return ERROR_NO_DATA_DISK;
  const path = changetype<usize>(callArgument);
  const file = visibleFile(path, callArgumentLength);
  if (file == DATA_NONE) return isDirectory(path, callArgumentLength) ? ERROR_IS_DIRECTORY : ERROR_NOT_FOUND;
  return <i64>sizeOf(file);
}

/** data_read(path, length, offset, destination, capacity): up to capacity bytes from offset. */
export function dataRead(caller: Caller, module: i32, a: u64, b: u64, offset: u64, destination: u64, capacity: u64): i64 {
  if (!stateLogActive()) return ERROR_NO_DATA_DISK;
  const path = changetype<usize>(callArgument);
  const file = visibleFile(path, callArgumentLength);
  if (file == DATA_NONE) return isDirectory(path, callArgumentLength) ? ERROR_IS_DIRECTORY : ERROR_NOT_FOUND;
  const size = sizeOf(file);
  if (offset >= size || capacity == 0) return 0;
  const count = min<u64>(capacity, size - offset);
  if (!rangeFits(destination, count, moduleMemoryBytes(module))) return ERROR_BAD_ADDRESS;
  if (file >= 0) return copyFromPhysical(module, destination, pendingBuffers[file] + SECTOR_BYTES + offset, count);
  const slot = -2 - file;
  // From the start: the whole file in one request, its checksum checked, then copied out of it.
  if (offset == 0) {
    const pages = (fileSizes[slot] + PAGE_BYTES - 1) / PAGE_BYTES;
    const buffer = memoryAllocatePages(pages);
    if (buffer != 0) {
      const problem = stateLogReadWhole(fileSectors[slot], fileSizes[slot], fileChecksums[slot], buffer);
      const copied = problem.length == 0 ? copyFromPhysical(module, destination, buffer, count) : 0;
      pageAllocator().free(buffer, pages);
      return problem.length == 0 ? copied : wholeReadFailed(problem, changetype<usize>(callArgument), callArgumentLength, fileSectors[slot], "read");
    }
  }
  // From elsewhere (or without memory for the whole file): the sectors asked for, a transfer at a time.
  for (let done: u64 = 0; done < count;) {
    const part = <u32>min<u64>(count - done, <u64>TRANSFER_MAX_BYTES);
    const problem = stateLogReadFile(fileSectors[slot], offset + done, changetype<usize>(transfer), part);
    if (problem.length > 0) return diskFailed(problem);
    if (!copyOut(module, destination + done, changetype<usize>(transfer), part)) return ERROR_BAD_ADDRESS;
    done += part;
  }
  return <i64>count;
}

/** Copies `count` bytes at physical `source` to `destination` in the module, through the transfer buffer; count, or ERROR_BAD_ADDRESS. */
function copyFromPhysical(module: i32, destination: u64, source: u64, count: u64): i64 {
  for (let done: u64 = 0; done < count;) {
    const part = <u32>min<u64>(count - done, <u64>TRANSFER_MAX_BYTES);
    physicalCopyIn(changetype<usize>(transfer), source + done, part);
    if (!copyOut(module, destination + done, changetype<usize>(transfer), part)) return ERROR_BAD_ADDRESS;
    done += part;
  }
  return <i64>count;
}

/** A read the disk failed (`problem` names the sectors and the disk): one line, and ERROR_FAILED for the caller. */
function diskFailed(problem: string, path: usize = changetype<usize>(callArgument), pathLength: i32 = callArgumentLength): i64 {
  log(LEVEL_WARNING, line.clear().string("data disk: ").raw(path, pathLength).string(": ").string(problem));
  return ERROR_FAILED;
}

/**
 * A whole file's read (stateLogReadWhole) that failed, for the `what` ("read", "append") it
 * was for: the disk's failure (ERROR_FAILED) or the file's damage (ERROR_CORRUPT), with its line.
 */
function wholeReadFailed(problem: string, path: usize, pathLength: i32, sector: u64, what: string): i64 {
  if (problem != CHECKSUM_FAILS) return diskFailed(problem, path, pathLength);
  log(LEVEL_ERROR, line.clear().string("data disk: ").raw(path, pathLength).string(": the disk gives back other bytes than were written at sector ")
    .decimal(sector).string("; the ").string(what).string(" is refused"));
  return ERROR_CORRUPT;
}

/** data_entry(path, length, index, destination, capacity): the index-th name in the directory; (kind << 32) | name length. */
export function dataEntry(caller: Caller, module: i32, a: u64, b: u64, index: u64, destination: u64, capacity: u64): i64 {
  if (!stateLogActive()) return ERROR_NO_DATA_DISK;
  const prefix = changetype<usize>(callArgument);
  const prefixLength = callArgumentLength; // the directory's path and '/'
  if (visibleFile(prefix, prefixLength - 1) != DATA_NONE) return ERROR_NOT_DIRECTORY;
  if (index > <u64>DATA_FILES_MAX || !directoryEntryAt(prefix, prefixLength, <i32>index)) {
    return index == 0 && !isDirectory(prefix, prefixLength - 1) && !ownDirectory(caller, prefix, prefixLength - 1) ? ERROR_NOT_FOUND : ERROR_END;
  }
  const shown = min<i32>(entryNameLength(), <i32>min<u64>(capacity, <u64>PATH_MAX_BYTES));
  if (!copyOut(module, destination, entryNameAddress(), shown)) return ERROR_BAD_ADDRESS;
  return (<i64>(entryDirectory() ? ENTRY_DIRECTORY : ENTRY_FILE) << 32) | <i64>shown;
}

/** Whether `path` is /data/<the caller's name>: a module's own directory lists (empty) before it holds a file. */
function ownDirectory(caller: Caller, path: usize, length: i32): bool {
  const name = caller.name;
  if (length != 6 + name.length) return false;
  for (let i = 0; i < name.length; i++) if (<i32>load<u8>(path + 6 + i) != name.charCodeAt(i)) return false;
  return true;
}

/** data_write(path, length, data, data length, mode) */
export function dataWrite(caller: Caller, module: i32, a: u64, b: u64, address: u64, length: u64, mode: u64): i64 {
  if (mode != <u64>DATA_REPLACE && mode != <u64>DATA_APPEND) return ERROR_BAD_ARGUMENT;
  const problem = changeProblem(caller);
  if (problem != 0) return problem;
  if (!rangeFits(address, length, moduleMemoryBytes(module))) return ERROR_BAD_ADDRESS;
  const path = changetype<usize>(callArgument);
  const pathLength = callArgumentLength;
  const file = visibleFile(path, pathLength);
  const kept = mode == <u64>DATA_APPEND && file != DATA_NONE ? sizeOf(file) : 0;
  const size = kept + length;
  if (size > <u64>DATA_FILE_MAX_BYTES) return ERROR_TOO_LONG;
  const before = file == DATA_NONE ? 0 : 1 + sectorsFor(sizeOf(file));
  if (visibleSectors() - before + 1 + sectorsFor(size) > stateLogFileSpace()) return ERROR_NO_SPACE;
  if (file == DATA_NONE && visibleCount() >= DATA_FILES_MAX) return ERROR_NO_SPACE;
  const writer = caller.kind == CALLER_HANDLER ? caller.index : PROGRAM_WRITER;
  // Where the kept bytes are now: a pending buffer (which pendingChange may reuse) or the disk.
  const source = file >= 0 ? pendingBuffers[file] : 0;
  const reused = file >= 0 && pendingWriters[file] == writer;
  const change = pendingChange(writer, path, pathLength, size, false);
  if (change < 0) return changeRefused(change);
  if (kept > 0 && !(reused && change == file)) {
    if (file >= 0) {
      physicalMove(pendingBuffers[change] + SECTOR_BYTES, source + SECTOR_BYTES, kept);
    } else {
      const problem = stateLogReadWhole(fileSectors[-2 - file], kept, fileChecksums[-2 - file], pendingBuffers[change] + SECTOR_BYTES);
      if (problem.length > 0) {
        dropPending(change);
        return wholeReadFailed(problem, path, pathLength, fileSectors[-2 - file], "append");
      }
    }
  }
  if (reused && change != file) takePending(file); // the writer's smaller buffer, copied: its newer change replaces it
  const target = visibleFile(path, pathLength);
  for (let done: u64 = 0; done < length;) {
    const part = <u32>min<u64>(length - done, <u64>TRANSFER_MAX_BYTES);
    copyIn(module, changetype<usize>(transfer), address + done, part);
    physicalCopyOut(pendingBuffers[target] + SECTOR_BYTES + kept + done, changetype<usize>(transfer), part);
    done += part;
  }
  return finish(caller);
}

/** data_remove(path, length) */
export function dataRemove(caller: Caller, module: i32, a: u64, b: u64, c: u64, d: u64, e: u64): i64 {
  const problem = changeProblem(caller);
  if (problem != 0) return problem;
  const path = changetype<usize>(callArgument);
  if (visibleFile(path, callArgumentLength) == DATA_NONE) return ERROR_NOT_FOUND;
  const change = pendingChange(caller.kind == CALLER_HANDLER ? caller.index : PROGRAM_WRITER, path, callArgumentLength, 0, true);
  if (change < 0) return changeRefused(change);
  return finish(caller);
}

/** Why the caller may not change the file at callArgument now (0: it may). */
function changeProblem(caller: Caller): i64 {
  if (!stateLogActive()) return ERROR_NO_DATA_DISK;
  // A handler's changes belong to its run (or the call it answers); its start code has none.
  if (caller.kind == CALLER_HANDLER && runningHandler != caller.index) return ERROR_NOT_IN_RUN;
  const path = changetype<usize>(callArgument);
  const length = callArgumentLength;
  if (isDirectory(path, length)) return ERROR_IS_DIRECTORY;
  for (let i = 6; i < length; i++) {
    if (load<u8>(path + i) == SLASH && visibleFile(path, i) != DATA_NONE) return ERROR_NOT_DIRECTORY;
  }
  return 0;
}

function changeRefused(change: i32): i64 {
  if (change == -1) return ERROR_WRITE_LIMIT;
  log(LEVEL_WARNING, line.clear().string("data disk: ").raw(changetype<usize>(callArgument), callArgumentLength)
    .string(": no memory to hold the change"));
  return ERROR_FAILED;
}

/** A program's change is written, committed and flushed now; a handler's waits for its run. */
function finish(caller: Caller): i64 {
  if (caller.kind == CALLER_HANDLER) return 0;
  const problem = stateLogCommitProgram(caller.name);
  if (problem.length == 0) return 0;
  log(LEVEL_WARNING, line.clear().string("data disk: ").string(caller.name).string(" writing ")
    .raw(changetype<usize>(callArgument), callArgumentLength).string(": ").string(problem));
  return ERROR_NO_DATA_DISK;
}
