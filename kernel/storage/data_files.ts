// The files on the data disk, as the kernel keeps track of them: which paths exist, where each
// one's newest record lies in the state log, and what the running transaction changed.
//
//   committed: path ─► the LOG_FILE record holding its whole contents (sector, bytes, CRC-32)
//   pending:   the run's writes and removals, each with its writer (a handler) and its bytes
//              in physical pages after a header sector, so the record goes to the disk as is
//
//   data_write/data_remove (gate/data_calls.ts) ─► pending ─► the run commits: state_log.ts
//     writes each pending record, then the writer's state record, and makes it committed here
//                                                └► the run rolls back: pending dropped
//
// No disk I/O here: state_log.ts reads and writes the records, gate/data_calls.ts answers the
// calls. A reader sees the newest pending change to a path first, then the committed file.
// Paths are resolved and checked before they get here (/data/…, at most PATH_MAX_BYTES - 1).

import { memoryAllocatePages, pageAllocator } from "../memory/memory";
import { DATA_FILES_MAX, DATA_WRITES_PER_RUN_MAX, PATH_MAX_BYTES } from "../gate/interface";
import { SECTOR_BYTES } from "./block_device";

const PAGE_BYTES: u64 = 4096;
/** No such file (visibleFile, committedSlot, pendingSlot). */
export const DATA_NONE: i32 = -1;
const NONE = DATA_NONE;

// ---------------------------------------------------------------- committed files

const paths = new StaticArray<u8>(DATA_FILES_MAX * PATH_MAX_BYTES);
/** Each slot's path length; 0 marks a free slot. */
const pathLengths = new StaticArray<i32>(DATA_FILES_MAX);
/** The sector of the file's LOG_FILE record (its header; the contents follow). */
export const fileSectors = new StaticArray<u64>(DATA_FILES_MAX);
export const fileSizes = new StaticArray<u64>(DATA_FILES_MAX);
export const fileChecksums = new StaticArray<u32>(DATA_FILES_MAX);
export let committedFiles: i32 = 0;

/** The committed slot of `path`, or -1. */
export function committedSlot(path: usize, length: i32): i32 {
  for (let i = 0; i < DATA_FILES_MAX; i++) {
    if (pathLengths[i] == length && memory.compare(slotPath(i), path, length) == 0) return i;
  }
  return NONE;
}

export function slotPath(slot: i32): usize {
  return changetype<usize>(paths) + <usize>slot * PATH_MAX_BYTES;
}

export function slotPathLength(slot: i32): i32 {
  return pathLengths[slot];
}

/** A committed record for `path`: it now holds the file (or, removed, the file is gone). False when every slot is taken. */
export function commitFile(path: usize, length: i32, sector: u64, bytes: u64, checksum: u32, removed: bool): bool {
  let slot = committedSlot(path, length);
  if (removed) {
    if (slot != NONE) {
      pathLengths[slot] = 0;
      committedFiles--;
    }
    return true;
  }
  if (slot == NONE) {
    for (let i = 0; i < DATA_FILES_MAX && slot == NONE; i++) if (pathLengths[i] == 0) slot = i;
    if (slot == NONE) return false;
    memory.copy(slotPath(slot), path, length);
    pathLengths[slot] = length;
    committedFiles++;
  }
  fileSectors[slot] = sector;
  fileSizes[slot] = bytes;
  fileChecksums[slot] = checksum;
  return true;
}

/** Bytes of contents of the committed files. */
export function committedBytes(): u64 {
  let total: u64 = 0;
  for (let i = 0; i < DATA_FILES_MAX; i++) if (pathLengths[i] > 0) total += fileSizes[i];
  return total;
}

/** Sectors the committed files' records take in the log. */
export function committedSectors(): u64 {
  let total: u64 = 0;
  for (let i = 0; i < DATA_FILES_MAX; i++) if (pathLengths[i] > 0) total += 1 + sectorsFor(fileSizes[i]);
  return total;
}

/** Forgets every committed file (the state log stopped, or a test starts again). */
export function forgetFiles(): void {
  for (let i = 0; i < DATA_FILES_MAX; i++) pathLengths[i] = 0;
  committedFiles = 0;
  dropPending(0);
}

// ---------------------------------------------------------------- the running transaction's changes

const pendingPaths = new StaticArray<u8>(DATA_WRITES_PER_RUN_MAX * PATH_MAX_BYTES);
const pendingPathLengths = new StaticArray<i32>(DATA_WRITES_PER_RUN_MAX);
/** The handler whose run (or call) made the change. */
export const pendingWriters = new StaticArray<i32>(DATA_WRITES_PER_RUN_MAX);
/** Physical pages: a header sector for the record, then the contents. */
export const pendingBuffers = new StaticArray<u64>(DATA_WRITES_PER_RUN_MAX);
const pendingPages = new StaticArray<u64>(DATA_WRITES_PER_RUN_MAX);
export const pendingSizes = new StaticArray<u64>(DATA_WRITES_PER_RUN_MAX);
export const pendingRemoved = new StaticArray<bool>(DATA_WRITES_PER_RUN_MAX);
export let pendingCount: i32 = 0;

export function pendingPath(index: i32): usize {
  return changetype<usize>(pendingPaths) + <usize>index * PATH_MAX_BYTES;
}

export function pendingPathLength(index: i32): i32 {
  return pendingPathLengths[index];
}

/** The newest pending change to `path`, or -1. */
function pendingSlot(path: usize, length: i32): i32 {
  for (let i = pendingCount - 1; i >= 0; i--) {
    if (pendingPathLengths[i] == length && memory.compare(pendingPath(i), path, length) == 0) return i;
  }
  return NONE;
}

/**
 * A change by `writer` to `path` with room for `bytes` of contents (a removal: 0): its pending
 * index, the writer's own newest change reused when it has room; -1 when the run made
 * DATA_WRITES_PER_RUN_MAX changes already, -2 when there is no memory for it.
 */
export function pendingChange(writer: i32, path: usize, length: i32, bytes: u64, removed: bool): i32 {
  let index = pendingSlot(path, length);
  if (index != NONE && pendingWriters[index] != writer) index = NONE; // a callee's change stands on its own, for its rollback
  if (index != NONE && SECTOR_BYTES + bytes > pendingPages[index] * PAGE_BYTES) {
    // Too small: a new buffer, to which the caller copies the old contents it keeps.
    index = NONE;
  }
  if (index == NONE) {
    if (pendingCount == DATA_WRITES_PER_RUN_MAX) return -1;
    const pages = (SECTOR_BYTES + bytes + PAGE_BYTES - 1) / PAGE_BYTES;
    const buffer = memoryAllocatePages(pages);
    if (buffer == 0) return -2;
    index = pendingCount++;
    memory.copy(pendingPath(index), path, length);
    pendingPathLengths[index] = length;
    pendingWriters[index] = writer;
    pendingBuffers[index] = buffer;
    pendingPages[index] = pages;
  }
  pendingSizes[index] = bytes;
  pendingRemoved[index] = removed;
  return index;
}

/** How many changes are pending now: a mark for dropPending (a call's rollback). */
export function pendingMark(): i32 {
  return pendingCount;
}

/** Drops the changes made since `mark` (0: all of them), freeing their pages. */
export function dropPending(mark: i32): void {
  for (let i = mark; i < pendingCount; i++) pageAllocator().free(pendingBuffers[i], pendingPages[i]);
  if (mark < pendingCount) pendingCount = mark;
}

/** Removes one pending change (written to the disk), keeping the others in order. */
export function takePending(index: i32): void {
  pageAllocator().free(pendingBuffers[index], pendingPages[index]);
  for (let i = index; i + 1 < pendingCount; i++) {
    memory.copy(pendingPath(i), pendingPath(i + 1), pendingPathLengths[i + 1]);
    pendingPathLengths[i] = pendingPathLengths[i + 1];
    pendingWriters[i] = pendingWriters[i + 1];
    pendingBuffers[i] = pendingBuffers[i + 1];
    pendingPages[i] = pendingPages[i + 1];
    pendingSizes[i] = pendingSizes[i + 1];
    pendingRemoved[i] = pendingRemoved[i + 1];
  }
  pendingCount--;
}

// ---------------------------------------------------------------- what a reader sees

/** A file as a reader sees it now: a pending change (index ≥ 0) or a committed slot (encoded -2 - slot); NONE when absent. */
export function visibleFile(path: usize, length: i32): i32 {
  const pending = pendingSlot(path, length);
  if (pending != NONE) return pendingRemoved[pending] ? NONE : pending;
  const slot = committedSlot(path, length);
  return slot == NONE ? NONE : -2 - slot;
}

/** Whether a visible file's path starts with `prefix` (a directory path followed by '/'). */
export function anyVisibleUnder(prefix: usize, length: i32): bool {
  forEachVisible((path: usize, pathLength: i32, prefixAddress: usize, prefixLength: i32): bool =>
    pathLength > prefixLength && memory.compare(path, prefixAddress, prefixLength) == 0, prefix, length);
  return visitHit;
}

let visitHit = false;

/**
 * Calls `test` for each visible file (committed and not changed by the run, then the run's
 * newest change to each path unless removed) until it returns true; visitHit says whether one did.
 */
function forEachVisible(test: (path: usize, length: i32, argument: usize, argumentLength: i32) => bool, argument: usize, argumentLength: i32): void {
  visitHit = false;
  for (let i = 0; i < DATA_FILES_MAX; i++) {
    const length = pathLengths[i];
    if (length == 0 || pendingSlot(slotPath(i), length) != NONE) continue;
    if (test(slotPath(i), length, argument, argumentLength)) {
      visitHit = true;
      return;
    }
  }
  for (let i = 0; i < pendingCount; i++) {
    if (pendingRemoved[i] || pendingSlot(pendingPath(i), pendingPathLengths[i]) != i) continue;
    if (test(pendingPath(i), pendingPathLengths[i], argument, argumentLength)) {
      visitHit = true;
      return;
    }
  }
}

/** Files a reader sees now, counting the run's new ones. */
export function visibleCount(): i32 {
  visibleTotal = 0;
  forEachVisible((path: usize, length: i32, a: usize, b: i32): bool => {
    visibleTotal++;
    return false;
  }, 0, 0);
  return visibleTotal;
}

let visibleTotal: i32 = 0;

/** Sectors the visible files take in the log: a header and the contents, each. */
export function visibleSectors(): u64 {
  sectorsTotal = 0;
  forEachVisible((path: usize, length: i32, a: usize, b: i32): bool => {
    const file = visibleFile(path, length);
    sectorsTotal += 1 + (file >= 0 ? sectorsFor(pendingSizes[file]) : sectorsFor(fileSizes[-2 - file]));
    return false;
  }, 0, 0);
  return sectorsTotal;
}

let sectorsTotal: u64 = 0;

export function sectorsFor(bytes: u64): u64 {
  return (bytes + SECTOR_BYTES - 1) / SECTOR_BYTES;
}

// Listing a directory: the distinct names right under it, in byte order, without sorting a copy:
// the index-th entry is the smallest name greater than the (index-1)-th.

const entryName = new StaticArray<u8>(PATH_MAX_BYTES);
let entryLength: i32 = 0;
let entryIsDirectory = false;
const bestName = new StaticArray<u8>(PATH_MAX_BYTES);
let bestLength: i32 = 0;
let bestIsDirectory = false;
let haveBest = false;
/** Whether entryName holds the entry before the one being looked for. */
let afterPrevious = false;

/**
 * The index-th entry (name order) of directory `prefix` (its path and '/'): true with
 * entryNameAddress()/entryNameLength()/entryDirectory() set, false past the last. Each step
 * is a pass over the files, so a listing costs entries × files: fine at DATA_FILES_MAX.
 */
export function directoryEntryAt(prefix: usize, prefixLength: i32, index: i32): bool {
  entryLength = 0;
  afterPrevious = false;
  for (let i = 0; i <= index; i++) {
    haveBest = false;
    forEachVisible(consider, prefix, prefixLength);
    if (!haveBest) return false;
    memory.copy(changetype<usize>(entryName), changetype<usize>(bestName), bestLength);
    entryLength = bestLength;
    entryIsDirectory = bestIsDirectory;
    afterPrevious = true;
  }
  return true;
}

export function entryNameAddress(): usize {
  return changetype<usize>(entryName);
}

export function entryNameLength(): i32 {
  return entryLength;
}

export function entryDirectory(): bool {
  return entryIsDirectory;
}

/** forEachVisible's test for directoryEntryAt: keeps the smallest child name after the previous entry. */
function consider(path: usize, length: i32, prefix: usize, prefixLength: i32): bool {
  if (length <= prefixLength || memory.compare(path, prefix, prefixLength) != 0) return false;
  const name = path + <usize>prefixLength;
  let nameLength = length - prefixLength;
  let directory = false;
  for (let i = 0; i < nameLength; i++) {
    if (load<u8>(name + i) == 0x2f) {
      nameLength = i;
      directory = true;
      break;
    }
  }
  if (afterPrevious && compareNames(name, nameLength, changetype<usize>(entryName), entryLength) <= 0) return false;
  if (haveBest) {
    const order = compareNames(name, nameLength, changetype<usize>(bestName), bestLength);
    if (order > 0) return false;
    if (order == 0) {
      bestIsDirectory = bestIsDirectory || directory;
      return false;
    }
  }
  memory.copy(changetype<usize>(bestName), name, nameLength);
  bestLength = nameLength;
  bestIsDirectory = directory;
  haveBest = true;
  return false;
}

/** Byte order of two names; a prefix comes first. */
function compareNames(a: usize, aLength: i32, b: usize, bLength: i32): i32 {
  const common = min<i32>(aLength, bLength);
  const order = memory.compare(a, b, common);
  return order != 0 ? order : aLength - bLength;
}
