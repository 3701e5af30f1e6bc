// The state log's record headers in a data disk image, host side (docs/storage.md): each record's
// sector, kind, sequence, size, writer and (files) path. Tests damage a chosen record with it; the bench sums a handler's space.
import { DATA_MAGIC, LOG_MAGIC, LOG_START_SECTOR, recordLayout, recordNamed } from "../../interface/optios.ts";

const SECTOR = 512;
const NAME_FIELD = 32;
const VERSION_FIELD = 64;

export interface LogRecordHeader {
  sector: number;
  kind: number;
  sequence: bigint;
  sectors: number;
  writer: string;
  /** A LOG_FILE record's path; "" for others. */
  path: string;
}

/** Every sector of `image` that starts with a record header (stale ones included), in disk order. */
export function logRecords(image: Buffer): LogRecordHeader[] {
  const { offsets, bytes } = recordLayout(recordNamed("LogRecord"));
  const field = (at: number, name: string) => image.readUInt32LE(at + offsets.get(name)!);
  const records: LogRecordHeader[] = [];
  for (let sector = LOG_START_SECTOR; (sector + 1) * SECTOR <= image.length; sector++) {
    const at = sector * SECTOR;
    if (image.readUInt32LE(at) !== LOG_MAGIC) continue;
    const kind = field(at, "kind");
    const writer = image.toString("utf8", at + bytes, at + bytes + Math.min(field(at, "nameBytes"), NAME_FIELD));
    const pathAt = at + bytes + NAME_FIELD + VERSION_FIELD;
    const path = kind === 4 ? image.toString("latin1", pathAt, pathAt + field(at, "pageCount")) : "";
    records.push({ sector, kind, sequence: image.readBigUInt64LE(at + offsets.get("sequence")!), sectors: field(at, "sectors"), writer, path });
  }
  return records;
}

/**
 * The records the kernel would read at boot: from the tail the newest superblock copy names,
 * each with the next sequence number (stale records before the tail, or left from before a
 * wrap, are not among them). A whole-log count for the bench, not a checker: checksums are
 * the kernel's.
 */
export function liveLogRecords(image: Buffer): LogRecordHeader[] {
  const { offsets } = recordLayout(recordNamed("DataSuperblock"));
  let tail = LOG_START_SECTOR;
  let sequence = 1n;
  let newest = -1n;
  for (const copy of [0, 1]) {
    const at = copy * SECTOR;
    if (image.readUInt32LE(at + offsets.get("magic")!) !== DATA_MAGIC) continue;
    const copySequence = image.readBigUInt64LE(at + offsets.get("sequence")!);
    if (copySequence <= newest) continue;
    newest = copySequence;
    tail = Number(image.readBigUInt64LE(at + offsets.get("logTail")!));
    sequence = image.readBigUInt64LE(at + offsets.get("logSequence")!);
  }
  const bySector = new Map(logRecords(image).map((record) => [record.sector, record]));
  const live: LogRecordHeader[] = [];
  for (let sector = tail; ;) {
    const record = bySector.get(sector);
    if (record === undefined || record.sequence !== sequence) break;
    if (record.kind === 3) { // LOG_WRAP: the log goes on at its first sector
      sector = LOG_START_SECTOR;
    } else {
      live.push(record);
      sector += record.sectors;
    }
    sequence++;
  }
  return live;
}