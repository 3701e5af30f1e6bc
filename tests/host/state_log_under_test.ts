// Host-test entry for the state log (kernel/storage/state_log.ts) on a disk in memory, driven by
// tests/host/state_log.test.ts: commits written, every write journaled (so the test can build
// the disk a power cut at any point would leave), and recovery from such a disk. Files too:
// the test writes a path's bytes with pathByte, then changes or reads the file by its length.
//
// The disk lives in fake physical memory at DISK_BASE; every write's data is also copied to
// the journal at JOURNAL_BASE. The module primitives the log calls are faked by the test.

import { physicalMove } from "../../kernel/arch/x86_64/machine";
import { BootInformation, MEMORY_AVAILABLE, MemoryRegion } from "../../kernel/boot/boot_information";
import { HandlerSettings } from "../../kernel/config/boot_descriptor";
import { Handler, handlers } from "../../kernel/handlers/registry";
import { memoryInitialize } from "../../kernel/memory/memory";
import { BlockDevice, SECTOR_BYTES } from "../../kernel/storage/block_device";
import { dataDiskOpen } from "../../kernel/storage/data_disk";
import { committedFiles, committedSlot, DATA_NONE, fileChecksums, fileSectors, fileSizes, pendingBuffers, pendingChange } from "../../kernel/storage/data_files";
import { memoryAllocatePages } from "../../kernel/memory/memory";
import { Partition, partitionsOf } from "../../kernel/storage/partition";
import { PROGRAM_WRITER, stateLogActive, stateLogCommitProgram, stateLogCommitted, stateLogForget, stateLogReadWhole, stateLogRecover } from "../../kernel/storage/state_log";

const DISK_BASE: u64 = 0x2000000;
const JOURNAL_BASE: u64 = 0x3000000;
const NO_SECTOR: u64 = 0xffffffffffffffff;

class MemoryDisk extends BlockDevice {
  /** Each write: sector, count, and where its data sits in the journal; a flush has count 0. */
  readonly journalSectors: u64[] = [];
  readonly journalCounts: u32[] = [];
  readonly journalData: u64[] = [];
  private journalEnd: u64 = JOURNAL_BASE;
  /** A sector whose reads fail, as a failing disk's would (NO_SECTOR: none). */
  failingSector: u64 = NO_SECTOR;

  constructor(sectors: u64) {
    super();
    this.sectors = sectors;
    this.flushes = true;
  }

  get name(): string {
    return "memory";
  }

  get interruptLine(): u8 {
    return 0;
  }

  interrupt(): void {}

  completed(): bool {
    return true;
  }

  read(sector: u64, count: u32, buffer: u64): string {
    const refused = this.refusal(sector, count, false);
    if (refused.length > 0) return refused;
    if (this.failingSector >= sector && this.failingSector < sector + <u64>count) return "the disk reported an I/O error";
    physicalMove(buffer, DISK_BASE + sector * SECTOR_BYTES, <u64>count * SECTOR_BYTES);
    return "";
  }

  write(sector: u64, count: u32, buffer: u64): string {
    const refused = this.refusal(sector, count, true);
    if (refused.length > 0) return refused;
    physicalMove(DISK_BASE + sector * SECTOR_BYTES, buffer, <u64>count * SECTOR_BYTES);
    physicalMove(this.journalEnd, buffer, <u64>count * SECTOR_BYTES);
    this.journalSectors.push(sector);
    this.journalCounts.push(count);
    this.journalData.push(this.journalEnd);
    this.journalEnd += <u64>count * SECTOR_BYTES;
    return "";
  }

  flush(): string {
    this.journalSectors.push(0);
    this.journalCounts.push(0);
    this.journalData.push(0);
    return "";
  }
}

let disk: MemoryDisk | null = null;

/** Page allocation over 256 MiB of fake RAM, and the disk in memory (its image already at DISK_BASE); whether it is labelled. */
export function setUp(sectors: u64): bool {
  const information = new BootInformation();
  information.regions.push(new MemoryRegion(0, 256 * 1024 * 1024, MEMORY_AVAILABLE));
  memoryInitialize(information);
  disk = new MemoryDisk(sectors);
  return dataDiskOpen(disk!);
}

/** A handler called `tally` (version "1", module 0, `memory` bytes at most), as the registry would hold it. */
export function addHandler(memoryBytes: u64): void {
  const settings = new HandlerSettings();
  settings.name = "tally";
  settings.version = "1";
  settings.memoryBytes = memoryBytes;
  const handler = new Handler(0, "tally", "1", settings);
  handler.memoryBytes = memoryBytes;
  handlers.push(handler);
}

export function recover(): void {
  stateLogRecover();
}

export function commit(checkpoint: bool): bool {
  if (checkpoint) stateLogForget(0);
  stateLogCommitted(0);
  return stateLogActive();
}

export function journalLength(): i32 {
  return disk!.journalCounts.length;
}

export function journalSector(i: i32): u64 {
  return disk!.journalSectors[i];
}

export function journalCount(i: i32): u32 {
  return disk!.journalCounts[i];
}

export function journalData(i: i32): u64 {
  return disk!.journalData[i];
}

// ---------------------------------------------------------------- files (kernel/storage/data_files.ts)

const path = new StaticArray<u8>(256);

export function pathByte(index: i32, byte: u8): void {
  path[index] = byte;
}

/**
 * A pending change to the file at `path` by the handler (or, `program`, by a program):
 * where its `bytes` of contents go (the test writes them there), or 0 when refused.
 */
export function change(pathLength: i32, bytes: u64, removed: bool, program: bool): u64 {
  const index = pendingChange(program ? PROGRAM_WRITER : 0, changetype<usize>(path), pathLength, bytes, removed);
  return index < 0 ? 0 : pendingBuffers[index] + SECTOR_BYTES;
}

/** A program's changes written, committed and flushed; whether it worked. */
export function commitProgram(): bool {
  return stateLogCommitProgram("shell").length == 0;
}

export function fileCount(): i32 {
  return committedFiles;
}

/** The committed file's size, or -1 when there is none. */
export function fileSize(pathLength: i32): i64 {
  const slot = committedSlot(changetype<usize>(path), pathLength);
  return slot == DATA_NONE ? -1 : <i64>fileSizes[slot];
}

/** The committed file's contents read back from the disk into fresh pages: their address, or 0 when the read fails. */
export function fileData(pathLength: i32): u64 {
  const slot = committedSlot(changetype<usize>(path), pathLength);
  const buffer = memoryAllocatePages(fileSizes[slot] / 4096 + 1);
  return stateLogReadWhole(fileSectors[slot], fileSizes[slot], fileChecksums[slot], buffer).length == 0 ? buffer : 0;
}

/** The sector of the committed file's record (its contents follow it). */
export function fileSector(pathLength: i32): u64 {
  return fileSectors[committedSlot(changetype<usize>(path), pathLength)];
}

/** From now on, reads that touch `sector` fail. */
export function failReadsAt(sector: u64): void {
  disk!.failingSector = sector;
}

// ---------------------------------------------------------------- partitions (kernel/storage/partition.ts)

let partitions: Partition[] = [];

/** The partitions the kernel finds on a disk of `sectors` whose image is at DISK_BASE; how many. */
export function findPartitions(sectors: u64): i32 {
  disk = new MemoryDisk(sectors);
  partitions = partitionsOf(disk!, memoryAllocatePages(4));
  return partitions.length;
}

export function partitionNumber(i: i32): i32 {
  return partitions[i].number;
}

export function partitionFirst(i: i32): u64 {
  return partitions[i].first;
}

export function partitionSectors(i: i32): u64 {
  return partitions[i].sectors;
}
