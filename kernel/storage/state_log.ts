// Handler state on the data disk: a log of committed transactions, so that a handler resumes
// where it was after a power cut (docs/storage.md).
//
//   sectors 0-1 superblock copies (logTail, logSequence) │ 2-7 spare │ 8…end the log, circular
//   a record: header sector (LogRecord, name, version, a delta's page table) │ globals │ pages
//
//   a handler's transaction commits ─► a DELTA of the pages it changed, or a CHECKPOINT (every
//     page in use) when the handler has none since the tail or changed more than a delta
//     holds ─► written at the head ─► flushed ─► "durable" (debug level) ─► the next run
//   more than half the log in use ─► a CHECKPOINT of every handler, flushed; then the tail
//     moves to the first of them (the superblock's other copy, flushed): older records are dead
//   boot ─► from the tail, while each record's magic, sequence and checksums hold: each
//     handler's state rebuilt in RAM from its last checkpoint and the deltas after it, and
//     restored when its version and globals layout are the running module's
//
// Files (data_files.ts) live in the same log: a LOG_FILE record holds a file's whole contents
// (or its removal) and counts once its writer's next state record, or LOG_COMMIT, is whole,
// so a run's files and its state are durable in one step. Compaction copies every live file.
//
// A record counts only once it is whole: a torn write fails its checksum and ends the scan
// there, so what recovery finds is exactly a prefix of what was flushed, in commit order.
// A handler with `durability = "none"` is not logged; one with "interval:…" has its records
// written at commit and flushed within the interval (group commit: stateLogService).

import { moduleDirtyPage, moduleFootprint, moduleGlobalsLayout, moduleGlobalsSave, moduleMemoryAddress, moduleStateRestore } from "../arch/x86_64/modules";
import { physicalCopyIn, physicalCopyOut, physicalMove, readTsc } from "../arch/x86_64/machine";
import { appendMilliseconds, clockNanoseconds } from "../time/clock";
import { crc32, physicalCrc32 } from "../config/boot_descriptor";
import { Text } from "../console/text";
import { DATA_FILE_MAX_BYTES, LOG_CHECKPOINT, LOG_COMMIT, LOG_DELTA, LOG_FILE, LOG_FILE_REMOVED, LOG_MAGIC, LOG_RECORD_BYTES,
  LOG_START_SECTOR, LOG_WRAP, LogRecord, PATH_MAX_BYTES, DATA_FILES_MAX } from "../gate/interface";
import { handlerNamed, handlers } from "../handlers/registry";
import { LEVEL_DEBUG, LEVEL_ERROR, LEVEL_INFO, LEVEL_WARNING, log } from "../log/log";
import { memoryAllocatePages, pageAllocator } from "../memory/memory";
import { SECTOR_BYTES } from "./block_device";
import { DataDisk, dataDisk } from "./data_disk";
import { commitFile, committedBytes, committedFiles, committedSectors, dropPending, fileChecksums, fileSectors, fileSizes, forgetFiles, pendingBuffers, pendingCount,
  pendingPath, pendingPathLength, pendingRemoved, pendingSizes, pendingWriters, sectorsFor as fileSectorsFor, slotPath, slotPathLength,
  takePending } from "./data_files";

const NAME_FIELD: u32 = 32;
const VERSION_FIELD: u32 = 64;
const TABLE_OFFSET: u32 = LOG_RECORD_BYTES + NAME_FIELD + VERSION_FIELD;
/** Pages a delta's header sector can list; a transaction that changed more is logged as a checkpoint. */
export const DELTA_PAGES_MAX: u32 = (SECTOR_BYTES - TABLE_OFFSET) / 4;
const GLOBALS_MAX_BYTES: u32 = 16384;
const PAGE_BYTES: u64 = 4096;
const SECTORS_PER_PAGE: u64 = PAGE_BYTES / SECTOR_BYTES;
/** Header, globals and a full delta: the staging area every record is built in. */
const STAGING_BYTES: u64 = SECTOR_BYTES + GLOBALS_MAX_BYTES + <u64>DELTA_PAGES_MAX * PAGE_BYTES;
/** A checkpoint's memory goes to the disk in requests of at most this. */
const CHUNK_BYTES: u64 = 1024 * 1024;

/** Per handler: whether the live log holds a checkpoint of it, whether it is logged at all, and its group commit. */
class Logged {
  checkpointed: bool = false;
  off: bool = false;
  /** durability = "interval:…": how long a written record may wait for its flush (0: flushed at once). */
  interval: u64 = 0;
  /** Its last record written and not flushed yet (0: none). */
  unflushed: u64 = 0;
}

/** A handler's state being rebuilt at boot: globals, then its memory, in physical pages. */
class Image {
  address: u64 = 0;
  pages: u64 = 0;
  globalsBytes: u32 = 0;
  memoryBytes: u64 = 0;
  layout: u32 = 0;
  version: string = "";
  whole: bool = false;
  records: u32 = 0;
  /** The first damaged record of this handler (0: none): its deltas after it are not applied until a checkpoint. */
  damagedAt: u64 = 0;
}

const header = new StaticArray<u8>(<i32>SECTOR_BYTES);
const table = new StaticArray<u32>(<i32>DELTA_PAGES_MAX);
const note = new Text();

let data: DataDisk | null = null;
let staging: u64 = 0;
/** Where the next record goes, and its sequence number. */
let head: u64 = 0;
let sequence: u64 = 0;
let start: u64 = LOG_START_SECTOR;
let end: u64 = 0;
let failed = false;
const logged = new Array<Logged>();
/** Records written. */
export let recordsWritten: u64 = 0;
/** The last SAMPLES durable commits, in TSC cycles: the whole commit (write and flush), and the flush alone. */
const SAMPLES: i32 = 256;
const commitCycles = new StaticArray<u64>(SAMPLES);
const flushCycles = new StaticArray<u64>(SAMPLES);
let samples: i32 = 0;
/** Cycles the last boot's recovery took, and the records it read. */
let recoveryCycles: u64 = 0;
let recoveredRecords: u32 = 0;

/** Whether handler state is being written to the data disk. */
export function stateLogActive(): bool {
  return data != null && !failed;
}

/**
 * At boot, once the handlers run: reads the log from the tail the superblock names and gives
 * each handler the state of its last durable transaction.
 */
export function stateLogRecover(): void {
  data = dataDisk();
  if (data == null) return;
  const began = readTsc();
  const disk = data!.disk;
  end = disk.sectors;
  for (let i = 0; i < handlers.length; i++) {
    const entry = new Logged();
    entry.off = handlers[i].settings.durabilityNone;
    entry.interval = handlers[i].settings.durabilityIntervalNanoseconds;
    logged.push(entry);
  }
  staging = memoryAllocatePages(STAGING_BYTES / PAGE_BYTES);
  if (staging == 0 || end < start + 2 * (STAGING_BYTES / SECTOR_BYTES)) {
    stop(staging == 0 ? "no memory for the state log" : "the data disk is too small for a state log");
    return;
  }
  const images = new Array<Image | null>(handlers.length);
  window = memoryAllocatePages(WINDOW_SECTORS * SECTOR_BYTES / PAGE_BYTES); // 0: every read goes to the disk
  windowSectors = 0;
  let position = data!.logTail;
  let expected = data!.logSequence;
  let records: u32 = 0;
  const why = new Text();
  while (true) {
    if (position >= end) position = start;
    if (scanRead(position, 1, staging).length > 0) break;
    physicalCopyIn(changetype<usize>(header), staging, SECTOR_BYTES);
    const record = changetype<LogRecord>(changetype<usize>(header));
    if (!headerValid(record, expected, position)) break;
    if (record.kind == LOG_WRAP) {
      position = start;
      expected++;
      continue;
    }
    const writer = String.UTF8.decodeUnsafe(changetype<usize>(header) + LOG_RECORD_BYTES, record.nameBytes);
    if (record.kind == LOG_FILE) {
      if (!recoverFile(record, position, writer)) break;
    } else if (record.kind == LOG_COMMIT) {
      commitRecovered(writer);
    } else {
      const index = handlerNamed(changetype<usize>(header) + LOG_RECORD_BYTES, <i32>record.nameBytes);
      const image = index >= 0 ? imageFor(images, index) : null;
      payloadChecksumFailed = false;
      if (!readPayload(record, position, image)) {
        // The last record, torn by a power cut, ends the log; one with a whole record after it was damaged on the disk.
        if (!payloadChecksumFailed || !nextRecordFollows(position + <u64>record.sectors, record.sequence + 1)) break;
        if (image != null && image.damagedAt == 0) image.damagedAt = position;
        log(LEVEL_ERROR, note.clear().string("data disk: '").string(writer).string("': its record at sector ").decimal(position)
          .string(" fails its checksum (damaged on the disk); its state and files fall back to the last good commit before it"));
      }
      // A handler falling back after a damaged record keeps the files of the same commit: its later ones are left out.
      commitRecovered(writer, image != null && image.damagedAt != 0);
    }
    records++;
    position += record.sectors;
    expected++;
  }
  head = position;
  sequence = expected;
  if (window != 0) pageAllocator().free(window, WINDOW_SECTORS * SECTOR_BYTES / PAGE_BYTES);
  window = 0;
  if (recovered.length > 0) {
    log(LEVEL_INFO, note.clear().string("data disk: ").decimal(recovered.length)
      .string(" file records of a transaction that never committed were left out"));
    recovered.length = 0;
  }
  for (let i = 0; i < images.length; i++) {
    const image = images[i];
    if (image != null) {
      resume(i, image, why);
      pageAllocator().free(image.address, image.pages);
    }
  }
  recoveryCycles = readTsc() - began;
  recoveredRecords = records;
  appendMilliseconds(note.clear().string("data disk: state log: ").decimal(records).string(" records from sector ").decimal(data!.logTail)
    .string(", next at ").decimal(head).string(", read in "), recoveryCycles);
  log(LEVEL_INFO, note);
}

// The boot scan reads the log ahead, a window of WINDOW_SECTORS at a time, and takes each
// record's header and payload from it: a request per window instead of two per record.
const WINDOW_SECTORS: u64 = 1024;
let window: u64 = 0;
let windowStart: u64 = 0;
let windowSectors: u64 = 0;

/** The boot scan's read: `count` sectors at `sector` into physical `buffer`, from the window (refilled from `sector`) when they fit in one. */
function scanRead(sector: u64, count: u32, buffer: u64): string {
  if (window == 0 || <u64>count > WINDOW_SECTORS) return data!.disk.read(sector, count, buffer);
  if (sector < windowStart || sector + <u64>count > windowStart + windowSectors) {
    windowStart = sector;
    windowSectors = min<u64>(WINDOW_SECTORS, end - sector);
    if (windowSectors < <u64>count) return data!.disk.read(sector, count, buffer);
    const problem = data!.disk.read(windowStart, <u32>windowSectors, window);
    if (problem.length > 0) {
      windowSectors = 0;
      return problem;
    }
  }
  physicalMove(buffer, window + (sector - windowStart) * SECTOR_BYTES, <u64>count * SECTOR_BYTES);
  return "";
}

/** A file record read at boot, waiting for its writer's commit. */
class RecoveredFile {
  writer: string = "";
  path: StaticArray<u8> = new StaticArray<u8>(PATH_MAX_BYTES);
  pathLength: i32 = 0;
  sector: u64 = 0;
  bytes: u64 = 0;
  checksum: u32 = 0;
  removed: bool = false;
}

const recovered = new Array<RecoveredFile>();

/**
 * A LOG_FILE record met at boot (its header checked): its contents checked, then held until
 * its writer's commit. False when the scan must end here (a torn record). A record whose
 * contents fail their checksum while the record after it is whole was damaged on the disk,
 * not torn: it is left out, the file keeps the version before it, and the log says so.
 */
function recoverFile(record: LogRecord, position: u64, writer: string): bool {
  const bytes = record.memoryBytes;
  const chunkSectors = STAGING_BYTES / SECTOR_BYTES;
  let crc: u32 = 0;
  const payloadSectors = <u64>record.sectors - 1;
  for (let done: u64 = 0; done < payloadSectors;) {
    const part = min<u64>(chunkSectors, payloadSectors - done);
    if (scanRead(position + 1 + done, <u32>part, staging).length > 0) return false;
    crc = physicalCrc32(staging, min<u64>(part * SECTOR_BYTES, bytes - done * SECTOR_BYTES), crc);
    done += part;
  }
  const file = new RecoveredFile();
  file.pathLength = <i32>record.pageCount;
  memory.copy(changetype<usize>(file.path), changetype<usize>(header) + TABLE_OFFSET, file.pathLength);
  if (crc != record.payloadChecksum) {
    if (!nextRecordFollows(position + <u64>record.sectors, record.sequence + 1)) return false;
    log(LEVEL_ERROR, note.clear().string("data disk: ").raw(changetype<usize>(file.path), file.pathLength).string(": its record at sector ")
      .decimal(position).string(" fails its checksum (damaged on the disk); the file keeps the version before it"));
    return true;
  }
  file.writer = writer;
  file.sector = position;
  file.bytes = bytes;
  file.checksum = crc;
  file.removed = (record.globalsBytes & LOG_FILE_REMOVED) != 0;
  recovered.push(file);
  return true;
}

/** Whether a whole record header with sequence `expected` lies at `position` (read into staging, then header restored). */
function nextRecordFollows(position: u64, expected: u64): bool {
  const saved = new StaticArray<u8>(<i32>SECTOR_BYTES);
  memory.copy(changetype<usize>(saved), changetype<usize>(header), SECTOR_BYTES);
  const at = position >= end ? start : position;
  let whole: bool = false;
  if (scanRead(at, 1, staging).length == 0) {
    physicalCopyIn(changetype<usize>(header), staging, SECTOR_BYTES);
    whole = headerValid(changetype<LogRecord>(changetype<usize>(header)), expected, at);
  }
  memory.copy(changetype<usize>(header), changetype<usize>(saved), SECTOR_BYTES);
  return whole;
}

/** `writer` committed at boot's scan: its file records since its last commit take effect, in order (or, `drop`, are left out). */
function commitRecovered(writer: string, drop: bool = false): void {
  let kept = 0;
  for (let i = 0; i < recovered.length; i++) {
    const file = recovered[i];
    if (file.writer != writer) {
      recovered[kept++] = file;
      continue;
    }
    if (drop) continue;
    if (!commitFile(changetype<usize>(file.path), file.pathLength, file.sector, file.bytes, file.checksum, file.removed)) {
      log(LEVEL_ERROR, note.clear().string("data disk: ").raw(changetype<usize>(file.path), file.pathLength)
        .string(": more files than DATA_FILES_MAX; left out"));
    }
  }
  recovered.length = kept;
}

/** Whether the header sector is the record expected at `position`: magic, sequence, size, checksum. */
function headerValid(record: LogRecord, expected: u64, position: u64): bool {
  if (record.magic != LOG_MAGIC || record.sequence != expected) return false;
  if (record.kind < LOG_DELTA || record.kind > LOG_COMMIT) return false;
  if (record.kind == LOG_FILE && (record.pageCount == 0 || record.pageCount >= <u32>PATH_MAX_BYTES ||
    record.memoryBytes > <u64>DATA_FILE_MAX_BYTES || <u64>record.sectors != 1 + fileSectorsFor(record.memoryBytes))) return false;
  if (record.kind == LOG_COMMIT && record.sectors != 1) return false;
  if (record.sectors == 0 || position + <u64>record.sectors > end) return false;
  if (record.nameBytes > NAME_FIELD || record.versionBytes > VERSION_FIELD) return false;
  if (record.kind != LOG_FILE && record.globalsBytes > GLOBALS_MAX_BYTES) return false;
  if (record.kind == LOG_DELTA && record.pageCount > DELTA_PAGES_MAX) return false;
  const kept = record.headerChecksum;
  record.headerChecksum = 0;
  const sum = crc32(changetype<usize>(header), SECTOR_BYTES);
  record.headerChecksum = kept;
  return sum == kept;
}

function imageFor(images: Array<Image | null>, index: i32): Image | null {
  if (images[index] != null) return images[index];
  const image = new Image();
  image.pages = (<u64>GLOBALS_MAX_BYTES + handlers[index].memoryBytes) / PAGE_BYTES + 1;
  image.address = memoryAllocatePages(image.pages);
  if (image.address == 0) return null;
  images[index] = image;
  return image;
}

/**
 * Reads and checks a record's payload, then applies it to `image` (null: a handler that no
 * longer runs, or no memory: checked, not applied). False when it is not whole.
 */
function readPayload(record: LogRecord, position: u64, image: Image | null): bool {
  const globalsSectors = sectorsFor(record.globalsBytes);
  const payloadSectors = <u64>record.sectors - 1;
  if (record.kind == LOG_DELTA) {
    if (payloadSectors != globalsSectors + <u64>record.pageCount * SECTORS_PER_PAGE) return false;
    if (scanRead(position + 1, <u32>payloadSectors, staging + SECTOR_BYTES).length > 0) return false;
    if (physicalCrc32(staging + SECTOR_BYTES, payloadSectors * SECTOR_BYTES) != record.payloadChecksum) return checksumFailed();
    if (image == null || !image.whole || image.damagedAt != 0 || image.globalsBytes != record.globalsBytes || record.memoryBytes + record.globalsBytes > image.pages * PAGE_BYTES) {
      return true; // whole, but nothing to apply it to: a delta counts only on top of its checkpoint
    }
    physicalMove(image.address, staging + SECTOR_BYTES, record.globalsBytes);
    const tableAt = changetype<usize>(header) + TABLE_OFFSET;
    for (let i: u32 = 0; i < record.pageCount; i++) {
      const page = <u64>load<u32>(tableAt + i * 4);
      if ((page + 1) * PAGE_BYTES > record.memoryBytes) continue;
      physicalMove(image.address + record.globalsBytes + page * PAGE_BYTES,
        staging + SECTOR_BYTES + globalsSectors * SECTOR_BYTES + <u64>i * PAGE_BYTES, PAGE_BYTES);
    }
    adopt(image, record);
    return true;
  }
  // A checkpoint: checked a chunk at a time, then (whole) read again into the image.
  if (payloadSectors != globalsSectors + record.memoryBytes / SECTOR_BYTES) return false;
  let crc: u32 = 0;
  const chunkSectors = STAGING_BYTES / SECTOR_BYTES - 1;
  for (let done: u64 = 0; done < payloadSectors;) {
    const part = min<u64>(chunkSectors, payloadSectors - done);
    if (scanRead(position + 1 + done, <u32>part, staging + SECTOR_BYTES).length > 0) return false;
    crc = physicalCrc32(staging + SECTOR_BYTES, part * SECTOR_BYTES, crc);
    done += part;
  }
  if (crc != record.payloadChecksum) return checksumFailed();
  if (image == null || record.memoryBytes + record.globalsBytes > image.pages * PAGE_BYTES) return true;
  for (let done: u64 = 0; done < payloadSectors;) {
    const part = min<u64>(chunkSectors, payloadSectors - done);
    if (scanRead(position + 1 + done, <u32>part, staging + SECTOR_BYTES).length > 0) return false;
    // The payload is the globals (padded to a sector) then the memory; the image is globals then memory, unpadded.
    copyCheckpointPart(image, record, done * SECTOR_BYTES, part * SECTOR_BYTES, globalsSectors * SECTOR_BYTES);
    done += part;
  }
  image.whole = true;
  image.damagedAt = 0; // a whole checkpoint after a damaged record: the handler's state is good again
  adopt(image, record);
  return true;
}

/** Whether the last readPayload failed on its checksum alone (the header whole): torn, or damaged on the disk. */
let payloadChecksumFailed = false;

function checksumFailed(): bool {
  payloadChecksumFailed = true;
  return false;
}

/** Copies payload bytes [from, from + length) from the staging area to where they belong in the image. */
function copyCheckpointPart(image: Image, record: LogRecord, from: u64, length: u64, memoryOffset: u64): void {
  for (let at = from; at < from + length;) {
    const source = staging + SECTOR_BYTES + (at - from);
    if (at < memoryOffset) {
      const part = min<u64>(memoryOffset, from + length) - at;
      if (at < record.globalsBytes) physicalMove(image.address + at, source, min<u64>(part, record.globalsBytes - at));
      at += part;
    } else {
      const part = from + length - at;
      physicalMove(image.address + record.globalsBytes + (at - memoryOffset), source, part);
      at += part;
    }
  }
}

/** The image now holds the record's state; a checkpoint also says whose version it is (a delta keeps its checkpoint's). */
function adopt(image: Image, record: LogRecord): void {
  image.globalsBytes = record.globalsBytes;
  image.memoryBytes = record.memoryBytes;
  image.layout = record.globalsLayout;
  if (record.kind == LOG_CHECKPOINT) {
    image.version = String.UTF8.decodeUnsafe(changetype<usize>(header) + LOG_RECORD_BYTES + NAME_FIELD, record.versionBytes);
  }
  image.records++;
}

/** Gives handler `index` the state its image rebuilt, when it understands it. */
function resume(index: i32, image: Image, why: Text): void {
  const handler = handlers[index];
  if (!image.whole) return;
  const entry = logged[index];
  if (image.version != handler.version || image.layout != moduleGlobalsLayout(handler.module)) {
    log(LEVEL_INFO, note.clear().string("data disk: '").string(handler.name).string("' is version ").string(handler.version)
      .string(", its state on the disk version ").string(image.version).string(image.version == handler.version ? " with other globals" : "")
      .string(": starting from its initial state"));
    return;
  }
  if (moduleStateRestore(handler.module, image.address, image.globalsBytes, image.memoryBytes) != 0) {
    log(LEVEL_WARNING, note.clear().string("data disk: '").string(handler.name).string("': its state on the disk does not fit the module; starting from its initial state"));
    return;
  }
  entry.checkpointed = false; // its next record is a checkpoint, so that what the log holds for it is whole again
  if (image.damagedAt != 0) {
    log(LEVEL_WARNING, note.clear().string("data disk: '").string(handler.name).string("' resumed the last good state before the damaged record at sector ")
      .decimal(image.damagedAt).string(" (version ").string(image.version).string(", ").size(image.memoryBytes).string(")"));
    return;
  }
  entry.checkpointed = true;
  log(LEVEL_INFO, note.clear().string("data disk: '").string(handler.name).string("' resumed its last durable state (version ")
    .string(image.version).string(", ").size(image.memoryBytes).string(", ").decimal(image.records).string(" records)"));
}

/** When the records written for group commit must be flushed (NO_FLUSH: none waits). */
const NO_FLUSH: u64 = 0xffffffffffffffff;
let flushDue: u64 = NO_FLUSH;

/**
 * After handler `index`'s transaction committed (a run, the calls made to it, a reset, a new
 * version): its changes written to the log and, unless the handler groups its commits
 * (durability = "interval:…"), flushed. Compacts the log when it passed half.
 */
export function stateLogCommitted(index: i32): void {
  if (data == null || failed || index >= logged.length) return;
  const entry = logged[index];
  const began = readTsc();
  let problem = writeFiles(index, handlers[index].name);
  const files = filesWritten;
  if (problem.length == 0 && !entry.off) problem = append(index, entry.checkpointed ? LOG_DELTA : LOG_CHECKPOINT);
  // A writer without a state record (durability "none") ends its files' transaction with a commit record.
  if (problem.length == 0 && files > 0 && entry.off) problem = appendCommit(handlers[index].name);
  if (problem.length > 0) {
    stop(problem);
    return;
  }
  if (entry.off && files == 0) return;
  entry.unflushed = sequence - 1;
  if (entry.interval > 0) {
    const due = clockNanoseconds(readTsc()) + entry.interval;
    if (due < flushDue) flushDue = due;
  } else {
    const written = readTsc();
    if (!flushAndReport()) return;
    const done = readTsc();
    commitCycles[samples % SAMPLES] = done - began;
    flushCycles[samples % SAMPLES] = done - written;
    samples++;
  }
  if (compactionDue()) compact();
}

/** The writer of a program's files in data_files.ts (handlers are 0, 1, …). */
export const PROGRAM_WRITER: i32 = -1;

/** A program's write or removal (pending as PROGRAM_WRITER): written, committed and flushed now; "" or what failed. */
export function stateLogCommitProgram(name: string): string {
  if (data == null || failed) {
    dropPending(0);
    return "no data disk";
  }
  let problem = writeFiles(PROGRAM_WRITER, name);
  if (problem.length == 0) problem = appendCommit(name);
  if (problem.length == 0 && !flushAndReport()) return "the disk failed (see: log)";
  if (problem.length > 0) {
    stop(problem);
    return problem;
  }
  if (compactionDue()) compact();
  return "";
}

/** Files written by the last writeFiles. */
let filesWritten: i32 = 0;

/** Writes `writer`'s pending changes as LOG_FILE records, oldest first, and makes each the committed file; "" or what failed. */
function writeFiles(writer: i32, name: string): string {
  filesWritten = 0;
  for (let i = 0; i < pendingCount;) {
    if (pendingWriters[i] != writer) {
      i++;
      continue;
    }
    const buffer = pendingBuffers[i];
    const bytes = pendingSizes[i];
    const problem = appendFile(name, pendingPath(i), pendingPathLength(i), buffer, bytes, pendingRemoved[i], physicalCrc32(buffer + SECTOR_BYTES, bytes));
    if (problem.length > 0) return problem;
    takePending(i);
    filesWritten++;
  }
  return "";
}

const zeros = new StaticArray<u8>(<i32>SECTOR_BYTES);

/**
 * Writes one LOG_FILE record at the head: `buffer` holds a free header sector, then the
 * file's `bytes` (padded here with zeros to a sector). The file is committed in RAM at once;
 * on the disk it counts when the writer's commit follows. "" or what failed.
 */
function appendFile(writer: string, path: usize, pathLength: i32, buffer: u64, bytes: u64, removed: bool, checksum: u32): string {
  const sectors = 1 + fileSectorsFor(bytes);
  if (!makeRoom(sectors)) return "the state log is full";
  buildHeader(LOG_FILE, sequence, <u32>sectors, <u32>pathLength, removed ? LOG_FILE_REMOVED : 0, 0, bytes, checksum, writer, "", path);
  physicalCopyOut(buffer, changetype<usize>(header), SECTOR_BYTES);
  const padding = (sectors - 1) * SECTOR_BYTES - bytes;
  if (padding > 0) physicalCopyOut(buffer + SECTOR_BYTES + bytes, changetype<usize>(zeros), <u32>padding);
  const problem = writeSectors(head, <u32>sectors, buffer);
  if (problem.length > 0) return problem;
  if (!commitFile(path, pathLength, head, bytes, checksum, removed)) return "more than DATA_FILES_MAX files";
  lastRecordAt = head;
  head += sectors;
  sequence++;
  recordsWritten++;
  return "";
}

/** Writes a LOG_COMMIT record for `writer`: its LOG_FILE records since its last commit count. */
function appendCommit(writer: string): string {
  if (!makeRoom(1)) return "the state log is full";
  buildHeader(LOG_COMMIT, sequence, 1, 0, 0, 0, 0, 0, writer, "");
  physicalCopyOut(staging, changetype<usize>(header), SECTOR_BYTES);
  const problem = writeSectors(head, 1, staging);
  if (problem.length > 0) return problem;
  lastRecordAt = head;
  head++;
  sequence++;
  recordsWritten++;
  return "";
}

/** Sectors the data disk's files may take in the log: a quarter, so compaction always has room for them and the checkpoints. */
export function stateLogFileSpace(): u64 {
  return data == null ? 0 : (end - start) / 4;
}

/**
 * Copies `count` bytes at `offset` of the file whose record is at `sector` to `destination`
 * in the kernel's memory (at most STAGING_BYTES - a sector); "" or what failed.
 */
export function stateLogReadFile(sector: u64, offset: u64, destination: usize, count: u32): string {
  if (data == null || failed) return "no data disk";
  const first = sector + 1 + offset / SECTOR_BYTES;
  const skip = offset % SECTOR_BYTES;
  const sectors = fileSectorsFor(skip + <u64>count);
  const problem = data!.disk.read(first, <u32>sectors, staging);
  if (problem.length > 0) return where("reading", first, <u32>sectors, problem);
  physicalCopyIn(destination, staging + skip, count);
  return "";
}

/** What stateLogReadWhole says when the disk gave the file back but its bytes are not the ones written. */
export const CHECKSUM_FAILS = "its checksum fails";

/**
 * Reads the whole file whose record is at `sector` into `destination` (physical, room for
 * `bytes`): "", CHECKSUM_FAILS, or why the disk could not read it (a disk that fails is not
 * a file that is damaged: the file is kept).
 */
export function stateLogReadWhole(sector: u64, bytes: u64, checksum: u32, destination: u64): string {
  if (data == null || failed) return "no data disk";
  const sectors = <u32>fileSectorsFor(bytes);
  const problem = bytes > 0 ? data!.disk.read(sector + 1, sectors, destination) : "";
  if (problem.length > 0) return where("reading", sector + 1, sectors, problem);
  return physicalCrc32(destination, bytes) == checksum ? "" : CHECKSUM_FAILS;
}

/** The shell's `sync`: flushes now, so every record written is durable; false without a working log. */
export function stateLogSync(): bool {
  return data != null && !failed && flushAndReport();
}

/** The kernel loop: flushes the grouped commits once the first of them has waited its interval. */
export function stateLogService(now: u64): void {
  if (flushDue != NO_FLUSH && now >= flushDue) flushAndReport();
}

/** When stateLogService has a flush to make (for the loop's next wake), or NO_FLUSH. */
export function stateLogFlushDue(): u64 {
  return flushDue;
}

/** Flushes the disk; every record written before is durable, which the log says per handler (debug). False when it failed. */
function flushAndReport(): bool {
  let problem = data!.disk.flush();
  if (problem.length > 0) problem = "flushing " + data!.disk.name + ": " + problem;
  if (problem.length > 0) {
    stop(problem);
    return false;
  }
  flushDue = NO_FLUSH;
  for (let i = 0; i < logged.length; i++) {
    if (logged[i].unflushed == 0) continue;
    log(LEVEL_DEBUG, note.clear().string("data disk: durable '").string(handlers[i].name).string("' record ").decimal(logged[i].unflushed));
    logged[i].unflushed = 0;
  }
  return true;
}

/** The state log's lines of `df`: records, files, and the durable commits' cost (p50/p99 of the last 256, and the flush's share). */
export function stateLogReport(out: Text, emit: (text: Text) => void): void {
  if (data == null) return;
  out.clear().string("state log: ").decimal(recordsWritten).string(" records written since boot, ").decimal(recoveredRecords)
    .string(" read at boot in ");
  emit(appendMilliseconds(out, recoveryCycles).string(failed ? "; stopped (see log)" : ""));
  emit(out.clear().string("files: ").decimal(committedFiles).string(" of ").decimal(DATA_FILES_MAX).string(", ").size(committedBytes())
    .string("; they take ").size(committedSectors() * SECTOR_BYTES).string(" of the ").size(stateLogFileSpace() * SECTOR_BYTES)
    .string(" files may use"));
  const count = min<i32>(samples, SAMPLES);
  if (count == 0) return;
  const commits = sortedCopy(commitCycles, count, sortedCommits);
  const flushes = sortedCopy(flushCycles, count, sortedFlushes);
  emit(out.clear().string("durable commit (").decimal(count).string(" latest), cycles: p50 ").grouped(commits[count / 2]).string(" p99 ")
    .grouped(commits[min<i32>(count - 1, count * 99 / 100)]).string("; flush p50 ").grouped(flushes[count / 2]));
}

const sortedCommits = new StaticArray<u64>(SAMPLES);
const sortedFlushes = new StaticArray<u64>(SAMPLES);

/** The first `count` of `values`, sorted, in `into` (insertion sort: at most SAMPLES, and no allocation). */
function sortedCopy(values: StaticArray<u64>, count: i32, into: StaticArray<u64>): StaticArray<u64> {
  for (let i = 0; i < count; i++) {
    const value = values[i];
    let j = i;
    for (; j > 0 && into[j - 1] > value; j--) into[j] = into[j - 1];
    into[j] = value;
  }
  return into;
}

/** A handler's next record is a checkpoint (its module was replaced or reset). */
export function stateLogForget(index: i32): void {
  if (index < logged.length) logged[index].checkpointed = false;
}

/**
 * Whether to compact now: the log passed half its size (or 128 MiB), or what a compaction
 * writes (every handler's checkpoint and every file) would not fit twice into what is left
 * (once for the compaction, once for the records before the next check).
 */
function compactionDue(): bool {
  const size = end - start;
  const need = compactionSectors();
  // Past half the log, or past COMPACT_AFTER_SECTORS on a large disk: the boot reads the live log whole.
  return used() > min<u64>(size / 2, max<u64>(COMPACT_AFTER_SECTORS, 4 * need)) || used() + 2 * need > size;
}

/** The live log's bound on a large disk: 128 MiB, about 1.5 s of boot-time recovery under TCG (docs/storage.md). */
const COMPACT_AFTER_SECTORS: u64 = 128 * 1024 * 1024 / SECTOR_BYTES;

/** Sectors a compaction writes: a checkpoint of every logged handler (header, globals, memory in use), every file, a commit. */
function compactionSectors(): u64 {
  let sectors = committedSectors() + 1;
  for (let i = 0; i < handlers.length; i++) {
    if (!logged[i].off) sectors += 1 + sectorsFor(GLOBALS_MAX_BYTES) + moduleFootprint(handlers[i].module, 2) / SECTOR_BYTES;
  }
  return sectors;
}

/** Sectors between the tail and the head, wrapped. */
function used(): u64 {
  const tail = data!.logTail;
  return head >= tail ? head - tail : (end - tail) + (head - start);
}

/**
 * Writes every handler's checkpoint and a copy of every file, then moves the tail to the
 * first of them: the records before it are dead.
 */
function compact(): void {
  let first: u64 = 0;
  let firstSequence: u64 = 0;
  for (let i = 0; i < handlers.length; i++) {
    if (logged[i].off) continue;
    const problem = append(i, LOG_CHECKPOINT);
    if (problem.length > 0) {
      stop("compacting the state log: " + problem);
      return;
    }
    if (firstSequence == 0) {
      first = lastRecordAt;
      firstSequence = sequence - 1;
    }
  }
  const copies = copyFiles();
  if (copies < 0) return;
  if (copies > 0 && firstSequence == 0) {
    first = firstCopyAt;
    firstSequence = firstCopySequence;
  }
  if (firstSequence == 0 || !flushAndReport()) return;
  const problem = data!.moveLogTail(first, firstSequence);
  if (problem.length > 0) stop("compacting the state log: " + problem);
  else log(LEVEL_DEBUG, note.clear().string("data disk: state log compacted; tail at sector ").decimal(first));
}

let firstCopyAt: u64 = 0;
let firstCopySequence: u64 = 0;

/**
 * Compaction's copies of the files, as the kernel's own (writer ""), then their commit: the
 * records written (0: no files), or -1 when the log stopped. A file whose record no longer
 * matches its checksum is dropped, said in the log: the copy would carry bytes nobody wrote.
 */
function copyFiles(): i32 {
  let copies = 0;
  for (let slot = 0; slot < DATA_FILES_MAX; slot++) {
    const length = slotPathLength(slot);
    if (length == 0) continue;
    const bytes = fileSizes[slot];
    const pages = (SECTOR_BYTES + bytes + PAGE_BYTES - 1) / PAGE_BYTES;
    const buffer = memoryAllocatePages(pages);
    if (buffer == 0) {
      stop("compacting the state log: no memory to copy a file");
      return -1;
    }
    const read = stateLogReadWhole(fileSectors[slot], bytes, fileChecksums[slot], buffer + SECTOR_BYTES);
    let problem = "";
    if (read.length > 0 && read != CHECKSUM_FAILS) {
      problem = read; // a read the disk failed: the file is not dropped, the log stops
    } else if (read.length > 0) {
      log(LEVEL_ERROR, note.clear().string("data disk: ").raw(slotPath(slot), length).string(": its record at sector ")
        .decimal(fileSectors[slot]).string(" no longer matches its checksum; the file is dropped"));
      commitFile(slotPath(slot), length, 0, 0, 0, true);
    } else {
      problem = appendFile("", slotPath(slot), length, buffer, bytes, false, fileChecksums[slot]);
      if (copies == 0) {
        firstCopyAt = lastRecordAt;
        firstCopySequence = sequence - 1;
      }
      copies++;
    }
    pageAllocator().free(buffer, pages);
    if (problem.length > 0) {
      stop("compacting the state log: " + problem);
      return -1;
    }
  }
  if (copies == 0) return 0;
  const problem = appendCommit("");
  if (problem.length > 0) {
    stop("compacting the state log: " + problem);
    return -1;
  }
  return copies + 1;
}

let lastRecordAt: u64 = 0;

/** Builds and writes one record of handler `index` at the head (wrapping first if it does not fit); "" or what failed. */
function append(index: i32, kind: u32): string {
  const handler = handlers[index];
  const module = handler.module;
  const globalsBytes = moduleGlobalsSave(module, staging + SECTOR_BYTES, GLOBALS_MAX_BYTES);
  if (globalsBytes == 0) {
    logged[index].off = true;
    log(LEVEL_WARNING, note.clear().string("data disk: '").string(handler.name).string("' has no globals the log can hold; its state is not written"));
    return "";
  }
  const memoryBytes = moduleFootprint(module, 2);
  const memory = moduleMemoryAddress(module);
  const globalsSectors = sectorsFor(globalsBytes);
  let pages: u32 = 0;
  if (kind == LOG_DELTA) {
    for (let i: u32 = 0; ; i++) {
      const offset = moduleDirtyPage(module, i);
      if (offset == ~(<u64>0)) break;
      const page = <u32>(offset / PAGE_BYTES);
      let listed = false;
      for (let p: u32 = 0; p < pages && !listed; p++) listed = table[p] == page; // a savepoint lists a page twice
      if (listed) continue;
      if (pages == DELTA_PAGES_MAX) {
        kind = LOG_CHECKPOINT;
        break;
      }
      table[pages] = page;
      physicalMove(staging + SECTOR_BYTES + globalsSectors * SECTOR_BYTES + <u64>pages * PAGE_BYTES, memory + offset, PAGE_BYTES);
      pages++;
    }
  }
  if (kind == LOG_CHECKPOINT) pages = <u32>(memoryBytes / PAGE_BYTES);
  const payloadSectors = globalsSectors + <u64>pages * SECTORS_PER_PAGE;
  const sectors = 1 + payloadSectors;
  if (!makeRoom(sectors)) return "the state log is full";
  let payloadCrc = physicalCrc32(staging + SECTOR_BYTES, (kind == LOG_DELTA ? payloadSectors : globalsSectors) * SECTOR_BYTES);
  if (kind == LOG_CHECKPOINT) payloadCrc = physicalCrc32(memory, memoryBytes, payloadCrc);
  buildHeader(kind, sequence, <u32>sectors, pages, globalsBytes, moduleGlobalsLayout(module), memoryBytes, payloadCrc, handler.name, handler.version);
  physicalCopyOut(staging, changetype<usize>(header), SECTOR_BYTES);
  let problem = writeSectors(head, <u32>(kind == LOG_DELTA ? sectors : 1 + globalsSectors), staging);
  if (kind == LOG_CHECKPOINT) {
    for (let done: u64 = 0; done < memoryBytes && problem.length == 0; done += CHUNK_BYTES) {
      const part = min<u64>(CHUNK_BYTES, memoryBytes - done);
      problem = writeSectors(head + 1 + globalsSectors + done / SECTOR_BYTES, <u32>(part / SECTOR_BYTES), memory + done);
    }
  }
  if (problem.length > 0) return problem;
  lastRecordAt = head;
  head += sectors;
  sequence++;
  recordsWritten++;
  if (kind == LOG_CHECKPOINT) logged[index].checkpointed = true;
  return "";
}

/** Makes sure `sectors` fit at the head without reaching the tail, wrapping to the start when they do not fit before the end. */
function makeRoom(sectors: u64): bool {
  const size = end - start;
  if (head + sectors > end) {
    const waste = end - head;
    if (used() + waste + sectors >= size) return false;
    if (waste > 0) {
      buildHeader(LOG_WRAP, sequence, <u32>waste, 0, 0, 0, 0, 0, "", "");
      physicalCopyOut(staging, changetype<usize>(header), SECTOR_BYTES);
      if (writeSectors(head, 1, staging).length > 0) return false;
      sequence++;
    }
    head = start;
  }
  return used() + sectors < size;
}

function buildHeader(kind: u32, number: u64, sectors: u32, pages: u32, globalsBytes: u32, layout: u32, memoryBytes: u64,
  payloadCrc: u32, name: string, version: string, path: usize = 0): void {
  const base = changetype<usize>(header);
  memory.fill(base, 0, SECTOR_BYTES);
  const record = changetype<LogRecord>(base);
  record.magic = LOG_MAGIC;
  record.kind = kind;
  record.sequence = number;
  record.sectors = sectors;
  record.pageCount = pages;
  record.globalsBytes = globalsBytes;
  record.globalsLayout = layout;
  record.memoryBytes = memoryBytes;
  record.nameBytes = <u32>String.UTF8.encodeUnsafe(changetype<usize>(name), min(name.length, <i32>NAME_FIELD), base + LOG_RECORD_BYTES);
  // Versions are printable ASCII (toolchain/src/system/schema.ts), a byte a character.
  record.versionBytes = <u32>String.UTF8.encodeUnsafe(changetype<usize>(version), min(version.length, <i32>VERSION_FIELD),
    base + LOG_RECORD_BYTES + NAME_FIELD);
  record.payloadChecksum = payloadCrc;
  if (kind == LOG_DELTA) for (let i: u32 = 0; i < pages; i++) store<u32>(base + TABLE_OFFSET + i * 4, table[i]);
  if (kind == LOG_FILE) memory.copy(base + TABLE_OFFSET, path, pages); // a file record's "pages" is its path's length
  record.headerChecksum = crc32(base, SECTOR_BYTES);
}

/** Writes sectors of the log; "" or what failed, with where: "writing sectors 600-608 of virtio-blk 00:04.0: …". */
function writeSectors(sector: u64, count: u32, address: u64): string {
  const problem = data!.disk.write(sector, count, address);
  return problem.length == 0 ? "" : where("writing", sector, count, problem);
}

function where(doing: string, sector: u64, count: u32, problem: string): string {
  return doing + " sectors " + sector.toString() + "-" + (sector + <u64>count - 1).toString() + " of " + data!.disk.name + ": " + problem;
}

function sectorsFor(bytes: u32): u64 {
  return (<u64>bytes + SECTOR_BYTES - 1) / SECTOR_BYTES;
}

/** Stops writing handler state, saying why once: the handlers run on, their state in RAM. */
function stop(why: string): void {
  failed = true;
  forgetFiles();
  log(LEVEL_WARNING, note.clear().string("data disk: handler state is no longer written: ").string(why)
    .string("; it is kept in RAM (and across warm reboots); files on it cannot be read or written until the next boot"));
}
