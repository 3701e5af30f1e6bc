// Data disks, host side: `optios disk create` and the disk `optios run` attaches (docs/storage.md).
//
// A data disk is a raw image whose sectors 0 and 1 hold the DataSuperblock (interface/optios.ts)
// twice; the kernel recognises it by that label, formats a blank disk the same way, and
// leaves any other disk alone (kernel/storage/data_disk.ts). A disk image for a real PC can
// carry one as a partition: `optios build --data 64M` (imageWithDataPartition).
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { crc32 } from "node:zlib";
import { DATA_FORMAT, DATA_MAGIC, limit, LOG_START_SECTOR, recordLayout, recordNamed } from "../../interface/optios.ts";

export const SECTOR_BYTES = 512;
/** The data disk `optios run` attaches, relative to the project root; made on first use. */
export const runDataDiskPath = "build/data.img";
export const DEFAULT_DATA_DISK_BYTES = 64 * 1024 * 1024;
export const DEFAULT_LABEL = "optios-data";
/** The smallest disk worth formatting: the superblock's two sectors and room for a log. */
export const MINIMUM_DATA_DISK_BYTES = 1024 * 1024;

/** One superblock copy: the 512-byte sector, as the kernel writes it when it formats a blank disk. */
export function encodeSuperblock(label: string, sequence: bigint, sectors: bigint, createdSeconds: bigint): Buffer {
  const labelBytes = Buffer.from(label, "utf8");
  if (labelBytes.length === 0 || labelBytes.length > limit("DATA_LABEL_MAX_BYTES")) {
    throw new Error(`a data disk's label is 1 to ${limit("DATA_LABEL_MAX_BYTES")} bytes of UTF-8; got ${labelBytes.length}`);
  }
  const { offsets, bytes } = recordLayout(recordNamed("DataSuperblock"));
  const sector = Buffer.alloc(SECTOR_BYTES);
  sector.writeUInt32LE(DATA_MAGIC, offsets.get("magic")!);
  sector.writeUInt32LE(DATA_FORMAT, offsets.get("format")!);
  sector.writeBigUInt64LE(sequence, offsets.get("sequence")!);
  sector.writeBigUInt64LE(sectors, offsets.get("sectors")!);
  sector.writeBigUInt64LE(createdSeconds, offsets.get("createdSeconds")!);
  sector.writeBigUInt64LE(BigInt(LOG_START_SECTOR), offsets.get("logTail")!); // an empty state log
  sector.writeBigUInt64LE(1n, offsets.get("logSequence")!);
  sector.writeUInt32LE(labelBytes.length, offsets.get("labelBytes")!);
  labelBytes.copy(sector, bytes);
  sector.writeUInt32LE(crc32(sector), offsets.get("checksum")!);
  return sector;
}

/** "64M", "64MiB", "1G" → bytes; null when it is not a size. */
export function parseDiskSize(text: string): number | null {
  const match = /^(\d+)\s*(K|KiB|M|MiB|G|GiB)?$/i.exec(text.trim());
  if (!match) return null;
  const unit = (match[2] ?? "").charAt(0).toUpperCase();
  const scale = unit === "K" ? 1024 : unit === "M" ? 1024 ** 2 : unit === "G" ? 1024 ** 3 : 1;
  return Number(match[1]) * scale;
}

/**
 * Makes `path`, a sparse raw image of `bytes` (a whole number of sectors, at least 1 MiB)
 * labelled as an OptiOS data disk. Refuses to overwrite a file that exists.
 */
export function createDataDisk(path: string, bytes: number, label = DEFAULT_LABEL, now = new Date()): void {
  if (!Number.isInteger(bytes) || bytes % SECTOR_BYTES !== 0 || bytes < MINIMUM_DATA_DISK_BYTES) {
    throw new Error(`a data disk is a whole number of ${SECTOR_BYTES}-byte sectors, at least ${MINIMUM_DATA_DISK_BYTES / 1024 / 1024} MiB; got ${bytes} bytes`);
  }
  if (existsSync(path)) throw new Error(`${path} exists; not overwriting it (remove it first to start afresh)`);
  const sectors = BigInt(bytes / SECTOR_BYTES);
  const created = BigInt(Math.floor(now.getTime() / 1000));
  mkdirSync(dirname(path), { recursive: true });
  const file = openSync(path, "wx");
  try {
    ftruncateSync(file, bytes);
    writeSync(file, Buffer.concat([encodeSuperblock(label, 1n, sectors, created), encodeSuperblock(label, 2n, sectors, created)]), 0, 2 * SECTOR_BYTES, 0);
  } finally {
    closeSync(file);
  }
}

/** The image `optios build --data` writes, relative to the project root: the ISO with a data partition. */
export const dataImagePath = "build/optios-data.img";
/** The data partition's MBR type: 0xDA, "non-file-system data". The kernel goes by the label inside, not by this. */
const DATA_PARTITION_TYPE = "0xda";

/**
 * Writes `output`: the hybrid ISO `iso` (bootable from a USB stick or disk by BIOS and UEFI)
 * with a labelled data partition of `bytes` appended after its own (xorriso's
 * -append_partition: an MBR entry, and a GPT entry beside the EFI partition's). Written to
 * a stick or disk with dd, it boots as the ISO does and the kernel finds the data partition
 * by its label. Replaces `output` (it is a build product); the partition starts empty.
 */
export function imageWithDataPartition(iso: string, output: string, bytes: number, label = DEFAULT_LABEL): void {
  const partition = `${output}.partition`;
  const staging = `${output}.new`;
  rmSync(partition, { force: true });
  rmSync(staging, { force: true });
  try {
    createDataDisk(partition, bytes, label);
    execFileSync("xorriso", ["-indev", iso, "-outdev", staging, "-boot_image", "any", "replay",
      "-append_partition", "3", DATA_PARTITION_TYPE, partition, "-commit"], { stdio: ["ignore", "ignore", "pipe"] });
    renameSync(staging, output);
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`writing ${output} with a data partition failed: ${stderr || (error as Error).message}`);
  } finally {
    rmSync(partition, { force: true });
    rmSync(staging, { force: true });
  }
}
