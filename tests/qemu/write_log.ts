// The dm-log-writes format QEMU's blklogwrites driver writes (block/blklogwrites.c; the format
// of Linux's dm-log-writes target): a super sector (magic, version, entries, sector size), then
// each write as an entry sector (sector, sector count, flags, data length) and its data; a flush
// is an entry with LOG_FLUSH and no data. Used by tests/qemu/write_log.test.ts to rebuild the
// disk a power cut would leave at any point of a run.

const WRITE_LOG_MAGIC = 0x6a736677736872n;
const LOG_FLUSH = 1n;
const LOG_DISCARD = 4n;

export interface LoggedWrite {
  /** In sectors of the log's sector size (512 here). */
  sector: number;
  flush: boolean;
  data: Buffer;
}

/**
 * The entries of a write log, in the order the guest's requests completed. The super sector
 * counts entries only up to the last flush, so reading goes on to the end of the file (a killed
 * QEMU leaves the entries after it whole or, at worst, one cut short: that one is dropped).
 */
export function readWriteLog(log: Buffer): LoggedWrite[] {
  if (log.length < 512 || log.readBigUInt64LE(0) !== WRITE_LOG_MAGIC) throw new Error("not a dm-log-writes log (no WRITELOG magic in its first sector)");
  const sectorSize = log.readUInt32LE(24);
  const entries: LoggedWrite[] = [];
  for (let at = sectorSize; at + sectorSize <= log.length;) {
    const sector = Number(log.readBigUInt64LE(at));
    const count = Number(log.readBigUInt64LE(at + 8));
    const flags = log.readBigUInt64LE(at + 16);
    if (count === 0 && (flags & LOG_FLUSH) === 0n) break; // past the last entry
    const dataBytes = (flags & LOG_DISCARD) !== 0n ? 0 : count * sectorSize;
    if (at + sectorSize + dataBytes > log.length) break;
    entries.push({ sector, flush: (flags & LOG_FLUSH) !== 0n, data: log.subarray(at + sectorSize, at + sectorSize + dataBytes) });
    at += sectorSize + dataBytes;
  }
  return entries;
}

/** `base` with `writes` applied in order (flushes change nothing). */
export function replay(base: Buffer, writes: readonly LoggedWrite[]): Buffer {
  const image = Buffer.from(base);
  for (const write of writes) write.data.copy(image, write.sector * 512);
  return image;
}
