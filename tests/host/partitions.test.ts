// Partition tables as the kernel reads them (kernel/storage/partition.ts), on a disk in memory:
// an MBR's entries, a GPT behind a protective MBR, and what is ignored. The data partition of
// `optios build --data` is found through them (tests/qemu/files.test.ts boots one).
import { describe, expect, test } from "vitest";
import { startKernel } from "./fake_machine";

const DISK_BASE = 0x2000000;
const SECTORS = 4096;

function mbr(entries: Array<[type: number, first: number, count: number]>): Buffer {
  const sector = Buffer.alloc(512);
  entries.forEach(([type, first, count], i) => {
    sector[446 + i * 16 + 4] = type;
    sector.writeUInt32LE(first, 446 + i * 16 + 8);
    sector.writeUInt32LE(count, 446 + i * 16 + 12);
  });
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** A GPT header at sector 1 and its entries from sector 2; an entry: [type's first byte (0: unused), first, last]. */
function gpt(entries: Array<[type: number, first: number, last: number]>): Buffer {
  const header = Buffer.alloc(512);
  header.write("EFI PART", 0, "latin1");
  header.writeBigUInt64LE(2n, 72);
  header.writeUInt32LE(entries.length, 80);
  header.writeUInt32LE(128, 84);
  const table = Buffer.alloc(Math.ceil((entries.length * 128) / 512) * 512);
  entries.forEach(([type, first, last], i) => {
    table[i * 128] = type;
    table.writeBigUInt64LE(BigInt(first), i * 128 + 32);
    table.writeBigUInt64LE(BigInt(last), i * 128 + 40);
  });
  return Buffer.concat([header, table]);
}

async function partitionsOf(image: Buffer) {
  const { kernel, machine } = await startKernel(undefined, "state_log_under_test");
  machine.writePhysical(DISK_BASE, Buffer.concat([image, Buffer.alloc(SECTORS * 512 - image.length)]));
  kernel.setUp(BigInt(SECTORS));
  const count = kernel.findPartitions(BigInt(SECTORS));
  return Array.from({ length: count }, (_, i) => [kernel.partitionNumber(i), Number(kernel.partitionFirst(i)), Number(kernel.partitionSectors(i))]);
}

describe("partition tables", () => {
  test("an MBR's entries, in order, numbered 1-4; empty entries and ones past the disk's end are left out", async () => {
    expect(await partitionsOf(mbr([[0x83, 64, 100], [0, 0, 0], [0xda, 200, 1000], [0x07, 4000, 500]]))).toEqual([[1, 64, 100], [3, 200, 1000]]);
  });

  test("behind a protective MBR, the GPT's entries (what optios build --data writes has both)", async () => {
    const image = Buffer.concat([mbr([[0xee, 1, SECTORS - 1], [0xda, 3000, 1000]]), gpt([[0xa2, 64, 127], [0, 0, 0], [0x28, 200, 1223]])]);
    expect(await partitionsOf(image)).toEqual([[2, 3000, 1000], [1, 64, 64], [3, 200, 1024]]);
  });

  test("no partition table (no 55 AA), or a GPT header that is not one: nothing", async () => {
    expect(await partitionsOf(Buffer.alloc(512))).toEqual([]);
    const damaged = gpt([[0xa2, 64, 127]]);
    damaged.write("EFI PARX", 0, "latin1");
    expect(await partitionsOf(Buffer.concat([mbr([[0xee, 1, SECTORS - 1]]), damaged]))).toEqual([]);
  });
});
