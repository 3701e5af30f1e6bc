// Partitions: a range of a disk's sectors, read and written as a disk of its own, so the data
// disk can be a partition (a USB image made by `optios build --data 64M`: the ISO's own
// partitions, then a data partition; docs/storage.md).
//
//   sector 0: an MBR (bytes 510-511 = 55 AA), four entries of 16 bytes at 446:
//     type (byte 4), first sector (u32 at 8), sectors (u32 at 12); type 0xEE: the disk has a GPT
//   sector 1: the GPT header ("EFI PART"): where its entries are (u64 at 72), how many (u32 at
//     80), each one's size (u32 at 84); an entry: type GUID (16 bytes, zero: unused), first and
//     last sector (u64 at 32 and 40)
//
// A partition is only ever a candidate: data_disk.ts uses it when its own first two sectors
// hold a valid OptiOS superblock, whatever its type says, and never formats one.

import { physicalCopyIn } from "../arch/x86_64/machine";
import { BlockDevice, SECTOR_BYTES } from "./block_device";

const MBR_SIGNATURE_OFFSET: usize = 510;
const MBR_ENTRIES_OFFSET: usize = 446;
const MBR_ENTRY_BYTES: usize = 16;
const MBR_PROTECTIVE: u8 = 0xee;
const GPT_ENTRIES_MAX: u32 = 128;
/** Entries read at most: 128 of 128 bytes, 32 sectors. */
const GPT_READ_BYTES: u32 = GPT_ENTRIES_MAX * 128;

export class Partition extends BlockDevice {
  constructor(readonly whole: BlockDevice, readonly first: u64, count: u64, readonly number: i32) {
    super();
    this.sectors = count;
    this.flushes = whole.flushes;
    this.readOnly = whole.readOnly;
  }

  get name(): string {
    return this.whole.name + " partition " + this.number.toString();
  }

  get interruptLine(): u8 {
    return this.whole.interruptLine;
  }

  read(sector: u64, count: u32, buffer: u64): string {
    const refused = this.refusal(sector, count, false);
    const problem = refused.length > 0 ? refused : this.whole.read(this.first + sector, count, buffer);
    this.requests = this.whole.requests;
    return problem;
  }

  write(sector: u64, count: u32, buffer: u64): string {
    const refused = this.refusal(sector, count, true);
    const problem = refused.length > 0 ? refused : this.whole.write(this.first + sector, count, buffer);
    this.requests = this.whole.requests;
    return problem;
  }

  flush(): string {
    const problem = this.whole.flush();
    this.requests = this.whole.requests;
    return problem;
  }

  interrupt(): void {
    this.whole.interrupt();
  }

  completed(): bool {
    return this.whole.completed();
  }
}

const sector = new StaticArray<u8>(<i32>SECTOR_BYTES);
const entries = new StaticArray<u8>(<i32>GPT_READ_BYTES);

/**
 * The partitions `disk`'s MBR, or its GPT when the MBR is protective, lists (within the disk),
 * in table order; empty when it has no partition table. `buffer`: physical memory for
 * GPT_READ_BYTES.
 */
export function partitionsOf(disk: BlockDevice, buffer: u64): Partition[] {
  const found = new Array<Partition>();
  if (disk.read(0, 1, buffer).length > 0) return found;
  physicalCopyIn(changetype<usize>(sector), buffer, SECTOR_BYTES);
  const base = changetype<usize>(sector);
  if (load<u8>(base + MBR_SIGNATURE_OFFSET) != 0x55 || load<u8>(base + MBR_SIGNATURE_OFFSET + 1) != 0xaa) return found;
  let protective = false;
  for (let i: usize = 0; i < 4; i++) {
    const entry = base + MBR_ENTRIES_OFFSET + i * MBR_ENTRY_BYTES;
    const type = load<u8>(entry + 4);
    if (type == MBR_PROTECTIVE) protective = true;
    if (type == 0 || type == MBR_PROTECTIVE) continue;
    add(found, disk, <u64>load<u32>(entry + 8), <u64>load<u32>(entry + 12), <i32>i + 1);
  }
  if (protective) gptPartitions(disk, buffer, found);
  return found;
}

/** Adds the GPT's partitions to `found`. */
function gptPartitions(disk: BlockDevice, buffer: u64, found: Partition[]): void {
  if (disk.read(1, 1, buffer).length > 0) return;
  physicalCopyIn(changetype<usize>(sector), buffer, SECTOR_BYTES);
  const header = changetype<usize>(sector);
  if (load<u64>(header) != 0x5452415020494645) return; // "EFI PART"
  const entriesAt = load<u64>(header + 72);
  const count = min<u32>(load<u32>(header + 80), GPT_ENTRIES_MAX);
  const entryBytes = load<u32>(header + 84);
  if (entryBytes < 128 || entryBytes > 1024 || count == 0) return;
  const bytes = min<u32>(count * entryBytes, GPT_READ_BYTES);
  if (disk.read(entriesAt, (bytes + SECTOR_BYTES - 1) / SECTOR_BYTES, buffer).length > 0) return;
  physicalCopyIn(changetype<usize>(entries), buffer, bytes);
  for (let i: u32 = 0; i < bytes / entryBytes; i++) {
    const entry = changetype<usize>(entries) + <usize>(i * entryBytes);
    if (load<u64>(entry) == 0 && load<u64>(entry + 8) == 0) continue; // unused
    const first = load<u64>(entry + 32);
    const last = load<u64>(entry + 40);
    if (last >= first) add(found, disk, first, last - first + 1, <i32>i + 1);
  }
}

function add(found: Partition[], disk: BlockDevice, first: u64, count: u64, number: i32): void {
  if (first == 0 || count == 0 || first + count > disk.sectors) return;
  found.push(new Partition(disk, first, count, number));
}
