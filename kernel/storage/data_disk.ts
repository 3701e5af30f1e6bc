// The data disk: the one disk OptiOS writes, known by its label, never by being first (docs/storage.md).
//
// At boot every disk is looked at (virtio-blk, NVMe namespace 1, the disks behind AHCI controllers), in PCI
// order, then, only if none of them holds the data disk, a USB stick on each xHCI controller (taking the
// controller from the firmware ends its PS/2 emulation of a USB keyboard); sectors 0 and 1 hold the
// superblock's two copies:
//   an OptiOS data disk (DataSuperblock, valid magic, format and CRC)  → the data disk
//   blank (both sectors all zeros)                                     → formatted as one, said in the log
//   a partition table with a partition labelled so (partition.ts)      → that partition is the data disk
//   anything else (a file system, a damaged label, no such partition)  → left alone, said in the log
// The first labelled disk wins; a blank disk is formatted only when no disk is labelled.
// Without a data disk the system runs on, its handler state in RAM (and across warm reboots).
//
// Two superblock copies: a rewrite goes to the copy that is not the newest, and is flushed
// before it counts, so a write torn by a power cut leaves the other copy valid.

import { physicalCopyIn, physicalCopyOut, physicalFill32, readTsc } from "../arch/x86_64/machine";
import { picVector } from "../arch/x86_64/pic8259";
import { pciDevices } from "../arch/x86_64/pci";
import { VIRTIO_VENDOR } from "../arch/x86_64/virtio";
import { crc32 } from "../config/boot_descriptor";
import { Text } from "../console/text";
import { DATA_FORMAT, DATA_LABEL_MAX_BYTES, DATA_MAGIC, DATA_SUPERBLOCK_BYTES, DataSuperblock, LOG_START_SECTOR } from "../gate/interface";
import { LEVEL_INFO, LEVEL_WARNING, line, log } from "../log/log";
import { memoryAllocatePages } from "../memory/memory";
import { clockWallNanoseconds } from "../time/clock";
import { AHCI_CLASS, ahciDisks } from "./ahci";
import { stateLogReport } from "./state_log";
import { BlockDevice, SECTOR_BYTES } from "./block_device";
import { NVME_CLASS, NvmeDisk } from "./nvme";
import { partitionsOf } from "./partition";
import { UsbDisk } from "./usb_storage";
import { VIRTIO_BLOCK_ID, VIRTIO_BLOCK_MODERN_ID, VirtioBlock } from "./virtio_blk";
import { XHCI_CLASS } from "../usb/xhci";

/** The label a blank disk gets when the kernel formats it. */
export const DEFAULT_LABEL = "optios-data";
const LABEL_OFFSET: u32 = DATA_SUPERBLOCK_BYTES; // the label follows the record
const SUPERBLOCK_COPIES: i32 = 2;

export const SUPERBLOCK_VALID: i32 = 0;
export const SUPERBLOCK_BLANK: i32 = 1;
export const SUPERBLOCK_FOREIGN: i32 = 2;

/** The data disk in use, once found. */
export class DataDisk {
  /** The state log's oldest live record (a sector) and its sequence, as the newest superblock copy says. */
  logTail: u64 = LOG_START_SECTOR;
  logSequence: u64 = 1;
  /** Which copy (0 or 1) is the newest: the next superblock write goes to the other. */
  newest: i32 = 1;
  /** A page for the superblock's writes. */
  buffer: u64 = 0;
  constructor(readonly disk: BlockDevice, public label: string, public sequence: u64, readonly createdSeconds: u64) {}

  /**
   * Records a new log tail: the copy that is not the newest gets the next sequence and is
   * flushed before it counts, so a torn write leaves the other copy (the old tail) valid.
   */
  moveLogTail(tail: u64, tailSequence: u64): string {
    const copy = 1 - this.newest;
    encodeSuperblock(changetype<usize>(sectors), this.label, this.sequence + 1, this.disk.sectors, this.createdSeconds, tail, tailSequence);
    physicalCopyOut(this.buffer, changetype<usize>(sectors), SECTOR_BYTES);
    let problem = this.disk.write(<u64>copy, 1, this.buffer);
    if (problem.length == 0) problem = this.disk.flush();
    if (problem.length > 0) return problem;
    this.sequence++;
    this.newest = copy;
    this.logTail = tail;
    this.logSequence = tailSequence;
    return "";
  }
}

let data: DataDisk | null = null;
/** Every disk seen at boot, and what became of it, for `df`. */
const seen = new Array<string>();
const sectors = new StaticArray<u8>(<i32>SECTOR_BYTES * SUPERBLOCK_COPIES);
const disks = new Array<BlockDevice>();

export function dataDisk(): DataDisk | null {
  return data;
}

/**
 * Makes `disk` the data disk when its sectors 0-1 (already read into `sectors`) hold a valid
 * superblock; `buffer` is a physical page for its later superblock writes. Returns it, or null.
 */
function adoptLabelled(disk: BlockDevice, buffer: u64): DataDisk | null {
  const base = changetype<usize>(sectors);
  const newest = newestCopy(base);
  if (newest < 0) return null;
  const superblock = superblockAt(base, newest);
  const found = new DataDisk(disk, labelOf(base, newest), superblock.sequence, superblock.createdSeconds);
  found.logTail = superblock.logTail;
  found.logSequence = superblock.logSequence;
  found.newest = newest;
  found.buffer = buffer;
  return found;
}

/** Makes `disk` the data disk if it is labelled as one (host tests: a disk in memory); whether it was. */
export function dataDiskOpen(disk: BlockDevice): bool {
  const buffer = memoryAllocatePages(1);
  if (buffer == 0 || disk.read(0, SUPERBLOCK_COPIES, buffer).length > 0) return false;
  physicalCopyIn(changetype<usize>(sectors), buffer, SECTOR_BYTES * SUPERBLOCK_COPIES);
  data = adoptLabelled(disk, buffer);
  return data != null;
}

/** A PCI interrupt on `vector`: every disk on that line acknowledges its own status (the caller sends the EOI). */
export function disksInterrupt(vector: u32): void {
  for (let i = 0; i < disks.length; i++) if (picVector(disks[i].interruptLine) == vector) disks[i].interrupt();
}

/** Whether `vector` is a disk's interrupt. */
export function isDiskVector(vector: u32): bool {
  for (let i = 0; i < disks.length; i++) if (picVector(disks[i].interruptLine) == vector) return true;
  return false;
}

/** Finds the disks, and among them the data disk, formatting a blank one if none is labelled; logs what it found. */
export function dataDiskInitialize(): void {
  const problems = new Array<string>();
  const devices = pciDevices();
  for (let i = 0; i < devices.length; i++) {
    const pci = devices[i];
    if (pci.vendor == VIRTIO_VENDOR && (pci.device == VIRTIO_BLOCK_ID || pci.device == VIRTIO_BLOCK_MODERN_ID)) {
      const why = new StaticArray<string>(1);
      const disk = VirtioBlock.open(pci, why);
      if (disk != null) disks.push(disk);
      else problems.push("virtio-blk " + pci.location + ": " + why[0]);
    } else if (pci.classCode == NVME_CLASS) {
      const why = new StaticArray<string>(1);
      const disk = NvmeDisk.create(pci, why);
      if (disk != null) disks.push(disk); // listed first: its interrupts reach it while start() identifies it
      if (disk != null && !disk.start(why)) {
        disk.broken = true;
        disks.pop();
      }
      if (disk == null || disk.broken) problems.push("nvme " + pci.location + ": " + why[0]);
    } else if (pci.classCode == AHCI_CLASS) {
      const found = ahciDisks(pci, problems);
      for (let d = 0; d < found.length; d++) disks.push(found[d]);
    }
  }
  for (let i = 0; i < problems.length; i++) note(LEVEL_WARNING, line.clear().string(problems[i]).string("; not used"));
  const buffer = memoryAllocatePages(1);
  let blank: BlockDevice | null = null;
  for (let i = 0; i < disks.length; i++) blank = consider(disks[i], buffer, blank);
  // USB last, and only when no other disk holds the data disk: taking an xHCI controller from the
  // firmware ends the PS/2 emulation of a USB keyboard (usb/xhci.ts).
  for (let i = 0; data == null && i < devices.length; i++) {
    if (devices[i].classCode != XHCI_CLASS) continue;
    const why = new StaticArray<string>(1);
    const disk = UsbDisk.create(devices[i], why);
    if (disk != null) disks.push(disk); // listed first: its interrupts reach it while start() looks for a device
    if (disk != null && !disk.start(why)) {
      disk.broken = true;
      disks.pop();
    }
    if (disk == null || disk.broken) {
      problems.push("usb " + devices[i].location + ": " + why[0]);
      note(LEVEL_WARNING, line.clear().string(problems[problems.length - 1]).string("; not used"));
      continue;
    }
    note(LEVEL_INFO, line.clear().string(disk.name).string(": ").string(disk.description).string(", ").size(disk.sectors * SECTOR_BYTES)
      .string(disk.readOnly ? ", write-protected" : ""));
    blank = consider(disk, buffer, blank);
  }
  if (data == null && blank != null) format(blank, buffer);
  if (data == null && disks.length == 0 && problems.length == 0) note(LEVEL_INFO, line.clear().string("none: no disk; handler state is kept in RAM only"));
  else if (data == null) note(LEVEL_WARNING, line.clear().string("none usable; handler state is kept in RAM only"));
}

/**
 * Looks at `disk`'s first sectors: a labelled disk becomes the data disk (if none is yet), a
 * partition labelled so too; a blank disk is remembered (the first blank one is returned, to be
 * formatted if no disk is labelled); anything else is named and left alone.
 */
function consider(disk: BlockDevice, buffer: u64, blank: BlockDevice | null): BlockDevice | null {
  const problem = buffer == 0 ? "no memory to read it" : disk.read(0, SUPERBLOCK_COPIES, buffer);
  if (problem.length > 0) {
    note(LEVEL_WARNING, line.clear().string(disk.name).string(" not used: reading its superblock: ").string(problem));
    return blank;
  }
  physicalCopyIn(changetype<usize>(sectors), buffer, SECTOR_BYTES * SUPERBLOCK_COPIES);
  const base = changetype<usize>(sectors);
  const newest = newestCopy(base);
  if (newest >= 0 && data == null) {
    data = adoptLabelled(disk, buffer);
    describe(data!, "");
  } else if (newest >= 0) {
    note(LEVEL_WARNING, line.clear().string(disk.name).string(" is data disk '").string(labelOf(base, newest)).string("' too; only the first is used"));
  } else if (classify(base, 0) == SUPERBLOCK_BLANK && classify(base, 1) == SUPERBLOCK_BLANK) {
    if (blank == null) return disk;
  } else if (data == null && labelledPartition(disk, buffer)) {
    describe(data!, "");
  } else {
    note(LEVEL_WARNING, line.clear().string(disk.name).string(" (").size(disk.sectors * SECTOR_BYTES)
      .string(") is not an OptiOS data disk (it starts with ").string(firstBytes(base)).string("); left alone"));
  }
  return blank;
}

/**
 * Whether one of `disk`'s partitions is labelled as a data disk (the first such becomes the
 * data disk): a USB image from `optios build --data`. Partitions are never formatted.
 */
function labelledPartition(disk: BlockDevice, buffer: u64): bool {
  if (tableBuffer == 0) tableBuffer = memoryAllocatePages(4);
  if (tableBuffer == 0) return false;
  const partitions = partitionsOf(disk, tableBuffer);
  for (let i = 0; i < partitions.length; i++) {
    const partition = partitions[i];
    if (partition.read(0, SUPERBLOCK_COPIES, buffer).length > 0) continue;
    physicalCopyIn(changetype<usize>(sectors), buffer, SECTOR_BYTES * SUPERBLOCK_COPIES);
    if (newestCopy(changetype<usize>(sectors)) < 0) continue;
    data = adoptLabelled(partition, buffer);
    return data != null;
  }
  return false;
}

/** Physical pages for a partition table (a GPT's entries take up to 16 KiB). */
let tableBuffer: u64 = 0;

function describe(found: DataDisk, how: string): void {
  note(LEVEL_INFO, line.clear().string(how).string("'").string(found.label).string("' on ").string(found.disk.name)
    .string(", ").size(found.disk.sectors * SECTOR_BYTES).string(", format ").decimal(DATA_FORMAT)
    .string(found.disk.flushes ? ", write cache flushed on commit" : ", no write cache"));
}

const noted = new Text();

function note(level: u8, text: Text): void {
  seen.push(String.UTF8.decodeUnsafe(text.pointer, text.length));
  log(level, noted.clear().string("data disk: ").text(text));
}

/** Formats `disk` (blank) as a data disk: both superblock copies written, then flushed. */
function format(disk: BlockDevice, buffer: u64): void {
  const created = clockWallNanoseconds(readTsc());
  const createdSeconds = created > 0 ? <u64>(created / 1_000_000_000) : 0;
  for (let copy = 0; copy < SUPERBLOCK_COPIES; copy++) {
    encodeSuperblock(changetype<usize>(sectors) + <usize>copy * SECTOR_BYTES, DEFAULT_LABEL, <u64>copy + 1, disk.sectors, createdSeconds);
  }
  physicalFill32(buffer, 0, 1024);
  physicalCopyOut(buffer, changetype<usize>(sectors), SECTOR_BYTES * SUPERBLOCK_COPIES);
  let problem = disk.write(0, SUPERBLOCK_COPIES, buffer);
  if (problem.length == 0) problem = disk.flush();
  if (problem.length > 0) {
    note(LEVEL_WARNING, line.clear().string("formatting the blank ").string(disk.name).string(" failed: ").string(problem));
    return;
  }
  data = new DataDisk(disk, DEFAULT_LABEL, SUPERBLOCK_COPIES, createdSeconds);
  data!.buffer = buffer;
  describe(data!, "formatted the blank disk as ");
}

function superblockAt(base: usize, copy: i32): DataSuperblock {
  return changetype<DataSuperblock>(base + <usize>copy * SECTOR_BYTES);
}

/** SUPERBLOCK_VALID, _BLANK (all zeros) or _FOREIGN, for the copy in sector `copy` of the sectors at `base`. */
export function classify(base: usize, copy: i32): i32 {
  const sector = base + <usize>copy * SECTOR_BYTES;
  const superblock = superblockAt(base, copy);
  if (superblock.magic == DATA_MAGIC && superblock.format == DATA_FORMAT && superblock.labelBytes >= 1 &&
      superblock.labelBytes <= <u32>DATA_LABEL_MAX_BYTES && superblock.checksum == sectorChecksum(sector)) return SUPERBLOCK_VALID;
  for (let i: u32 = 0; i < SECTOR_BYTES; i += 4) if (load<u32>(sector + i) != 0) return SUPERBLOCK_FOREIGN;
  return SUPERBLOCK_BLANK;
}

/** The valid copy with the higher sequence (0 or 1), or -1 when neither is valid. */
export function newestCopy(base: usize): i32 {
  let newest = -1;
  for (let copy = 0; copy < SUPERBLOCK_COPIES; copy++) {
    if (classify(base, copy) != SUPERBLOCK_VALID) continue;
    if (newest < 0 || superblockAt(base, copy).sequence > superblockAt(base, newest).sequence) newest = copy;
  }
  return newest;
}

export function labelOf(base: usize, copy: i32): string {
  return String.UTF8.decodeUnsafe(base + <usize>copy * SECTOR_BYTES + LABEL_OFFSET, superblockAt(base, copy).labelBytes);
}

/** Writes a superblock copy into the 512 bytes at `sector` (kernel memory), checksum last. */
export function encodeSuperblock(sector: usize, label: string, sequence: u64, diskSectors: u64, createdSeconds: u64,
  logTail: u64 = LOG_START_SECTOR, logSequence: u64 = 1): void {
  memory.fill(sector, 0, SECTOR_BYTES);
  const superblock = changetype<DataSuperblock>(sector);
  superblock.magic = DATA_MAGIC;
  superblock.format = DATA_FORMAT;
  superblock.sequence = sequence;
  superblock.sectors = diskSectors;
  superblock.createdSeconds = createdSeconds;
  superblock.logTail = logTail;
  superblock.logSequence = logSequence;
  superblock.labelBytes = <u32>String.UTF8.encodeUnsafe(changetype<usize>(label), min(label.length, DATA_LABEL_MAX_BYTES), sector + LABEL_OFFSET);
  superblock.checksum = sectorChecksum(sector);
}

/** CRC-32 of the sector with the checksum field taken as 0. */
function sectorChecksum(sector: usize): u32 {
  const superblock = changetype<DataSuperblock>(sector);
  const kept = superblock.checksum;
  superblock.checksum = 0;
  const sum = crc32(sector, SECTOR_BYTES);
  superblock.checksum = kept;
  return sum;
}

function firstBytes(base: usize): string {
  const text = new Text();
  for (let i = 0; i < 8; i++) text.hex(load<u8>(base + i), 2).char(0x20);
  text.string("...");
  return String.UTF8.decodeUnsafe(text.pointer, text.length);
}

/** Writes the `df` table, a line at a time, through `emit`. */
export function disksReport(out: Text, emit: (text: Text) => void): void {
  emit(out.clear().string("DISK                     SIZE        LABEL                             FORMAT  CACHE     REQUESTS"));
  if (data != null) {
    const found = data!;
    out.clear().column(found.disk.name, 25).size(found.disk.sectors * SECTOR_BYTES).padTo(37).column(found.label, 71)
      .decimal(DATA_FORMAT).padTo(79).column(found.disk.flushes ? "flushed" : "none", 89).decimal(found.disk.requests);
    emit(out);
  }
  stateLogReport(out, emit);
  for (let i = 0; i < seen.length; i++) emit(out.clear().string("data disk: ").string(seen[i]));
}
