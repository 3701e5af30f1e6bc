// The state log's record headers in a data disk image, host side (docs/storage.md): each record's
// sector, kind, sequence, size, writer and (files) path. Tests damage a chosen record with it; the bench sums a handler's space.
import { LOG_MAGIC, LOG_START_SECTOR, recordLayout, recordNamed } from "../../interface/optios.ts";

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
