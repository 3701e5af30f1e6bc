// Storage on the host: the data disk's superblock as the kernel writes and reads it (against the
// toolchain's `optios disk create`), the virtqueue's ring bookkeeping, and virtio-blk requests
// against a device this test plays on the fake machine (docs/storage.md).
import { describe, expect, test } from "vitest";
import { encodeSuperblock } from "../../toolchain/src/disk.ts";
import { type FakeMachine, startKernel } from "./fake_machine";

async function storage() {
  const started = await startKernel(undefined, "storage_under_test");
  const memory = () => new Uint8Array(started.kernel.memory.buffer);
  return {
    kernel: started.kernel,
    machine: started.machine,
    put(bytes: Uint8Array, at = 0) {
      memory().set(bytes, started.kernel.inputPointer() + at);
    },
    input(length: number) {
      return Buffer.from(memory().subarray(started.kernel.inputPointer(), started.kernel.inputPointer() + length));
    },
    text(length: number) {
      return Buffer.from(memory().subarray(started.kernel.outputPointer(), started.kernel.outputPointer() + length)).toString("utf8");
    },
  };
}

describe("the data disk's superblock", () => {
  test("the kernel formats a disk byte for byte as optios disk create does", async () => {
    const { kernel, put, input } = await storage();
    put(Buffer.from("optios-data"), 1024);
    kernel.superblock(11, 7n, 131072n, 1_800_000_000n);
    expect(input(512)).toEqual(encodeSuperblock("optios-data", 7n, 131072n, 1_800_000_000n));
  });

  const copy = (label: string, sequence: bigint) => encodeSuperblock(label, sequence, 2048n, 0n);
  test.each([
    ["two valid copies: the higher sequence counts", [copy("a", 4n), copy("b", 5n)], "copy 0 valid, copy 1 valid, newest 1 'b'"],
    ["a copy torn by a power cut: the other counts", [copy("a", 6n).fill(0x55, 100, 300), copy("b", 5n)], "copy 0 foreign, copy 1 valid, newest 1 'b'"],
    ["a flipped bit (the CRC catches it)", [copy("a", 4n), Buffer.from(copy("b", 5n)).fill(1, 511)], "copy 0 valid, copy 1 foreign, newest 0 'a'"],
    ["a blank disk", [Buffer.alloc(512), Buffer.alloc(512)], "copy 0 blank, copy 1 blank, newest -1"],
    ["another format (a DOS boot sector)", [Buffer.concat([Buffer.from([0xeb, 0x3c, 0x90]), Buffer.from("MSDOS5.0"), Buffer.alloc(501)]), Buffer.alloc(512)],
      "copy 0 foreign, copy 1 blank, newest -1"],
  ])("%s", async (_, sectors, expected) => {
    const { kernel, put, text } = await storage();
    put(Buffer.concat(sectors as Buffer[]));
    expect(text(kernel.superblocks())).toBe(expected);
  });
});

const QUEUE = 0x200000;
const USED = QUEUE + 4096; // 16 entries: descriptors and available ring fit one page
const read16 = (machine: FakeMachine, address: number) => Buffer.from(machine.readPhysical(address, 2)).readUInt16LE();

/** The device's side of queue 0: the chains offered and not yet answered (each a list of [address, length, flags]). */
function offered(machine: FakeMachine, seen: number): Array<Array<[bigint, number, number]>> {
  const chains: Array<Array<[bigint, number, number]>> = [];
  const available = QUEUE + 16 * 16;
  for (let index = seen; index < read16(machine, available + 2); index++) {
    let descriptor = read16(machine, available + 4 + 2 * (index % 16));
    const chain: Array<[bigint, number, number]> = [];
    for (;;) {
      const bytes = Buffer.from(machine.readPhysical(QUEUE + 16 * descriptor, 16));
      chain.push([bytes.readBigUInt64LE(0), bytes.readUInt32LE(8), bytes.readUInt16LE(12)]);
      if ((bytes.readUInt16LE(12) & 1) === 0) break;
      descriptor = bytes.readUInt16LE(14);
    }
    chains.push(chain);
  }
  return chains;
}

/** The device finishing chain `head`: an entry in the used ring, then its index. */
function answer(machine: FakeMachine, head: number, written: number): void {
  const index = read16(machine, USED + 2);
  const entry = Buffer.alloc(8);
  entry.writeUInt32LE(head, 0);
  entry.writeUInt32LE(written, 4);
  machine.writePhysical(USED + 4 + 8 * (index % 16), entry);
  machine.writePhysical(USED + 2, Buffer.from([(index + 1) & 0xff, (index + 1) >> 8]));
}

describe("a virtqueue", () => {
  test("offers chains in the available ring, takes them back from the used ring, and reuses their descriptors", async () => {
    const { kernel, machine } = await storage();
    kernel.queueCreate(16, BigInt(QUEUE));
    const first = kernel.queueOffer(3);
    const second = kernel.queueOffer(2);
    expect(kernel.queueFree()).toBe(11);
    const chains = offered(machine, 0);
    expect(chains).toEqual([
      [[0x1000n, 1, 1], [0x2000n, 17, 1], [0x3000n, 33, 0]],
      [[0x1000n, 1, 1], [0x2000n, 17, 0]],
    ]);
    expect(machine.portWrites.filter((write) => write.port === 0xc010)).toHaveLength(2); // notified once per chain
    expect(kernel.queueTake()).toBe(-1); // nothing used yet
    answer(machine, second, 0);
    answer(machine, first, 0);
    expect([kernel.queueTake(), kernel.queueTake(), kernel.queueTake()]).toEqual([second, first, -1]);
    expect(kernel.queueFree()).toBe(16);
    for (let i = 0; i < 8; i++) expect(kernel.queueOffer(2)).toBeGreaterThanOrEqual(0); // 16 descriptors, all reusable
    expect(kernel.queueOffer(1)).toBe(-1); // full: refused, not overwritten
  });
});

describe("virtio-blk requests", () => {
  const HEADER = 0x300000;
  const BUFFER = 0x400000;

  /** Plays a virtio-blk device over `image` (512-byte sectors): answers each request as it is notified. */
  function playDisk(machine: FakeMachine, image: Buffer, log: string[], status = 0): void {
    let seen = 0;
    machine.onPortWrite = (port) => {
      if (port !== 0xc010) return;
      for (const chain of offered(machine, seen)) {
        seen++;
        const header = Buffer.from(machine.readPhysical(chain[0][0], 16));
        const [type, sector] = [header.readUInt32LE(0), Number(header.readBigUInt64LE(8))];
        const statusAt = chain[chain.length - 1][0];
        if (chain.length === 3) {
          const [address, length, flags] = chain[1];
          if (type === 0) {
            expect(flags & 2).toBe(2); // the device writes a read's buffer
            machine.writePhysical(address, image.subarray(sector * 512, sector * 512 + length));
          } else image.set(machine.readPhysical(address, length), sector * 512);
          log.push(`${type === 0 ? "read" : "write"} ${sector}+${length / 512}`);
        } else log.push(type === 4 ? "flush" : `type ${type}`);
        machine.writePhysical(statusAt, Buffer.from([status]));
        answer(machine, read16(machine, QUEUE + 16 * 16 + 4 + 2 * ((seen - 1) % 16)), 1);
      }
    };
  }

  test("a write, a flush and a read go to the device as header, data and status, and come back", async () => {
    const { kernel, machine, text } = await storage();
    const image = Buffer.alloc(64 * 512);
    const log: string[] = [];
    playDisk(machine, image, log);
    kernel.diskCreate(64n, true, BigInt(QUEUE), BigInt(HEADER));
    machine.writePhysical(BUFFER, Buffer.alloc(1024, 0x5a));
    expect(text(kernel.diskRequest(1, 10n, 2, BigInt(BUFFER)))).toBe("");
    expect(text(kernel.diskRequest(2, 0n, 0, 0n))).toBe("");
    machine.writePhysical(BUFFER, Buffer.alloc(1024));
    expect(text(kernel.diskRequest(0, 10n, 2, BigInt(BUFFER)))).toBe("");
    expect(Buffer.from(machine.readPhysical(BUFFER, 1024))).toEqual(Buffer.alloc(1024, 0x5a));
    expect(image.subarray(10 * 512, 12 * 512)).toEqual(Buffer.alloc(1024, 0x5a));
    expect(log).toEqual(["write 10+2", "flush", "read 10+2"]);
    expect(kernel.diskRequests()).toBe(3n);
  });

  test("a request past the end is refused before it reaches the device; a disk without a cache is not flushed", async () => {
    const { kernel, machine, text } = await storage();
    const log: string[] = [];
    playDisk(machine, Buffer.alloc(64 * 512), log);
    kernel.diskCreate(64n, false, BigInt(QUEUE), BigInt(HEADER));
    expect(text(kernel.diskRequest(0, 63n, 2, BigInt(BUFFER)))).toBe("sectors 63+2 lie past the disk's 64");
    expect(text(kernel.diskRequest(2, 0n, 0, 0n))).toBe("");
    expect(log).toEqual([]);
  });

  test("a device's I/O error is the request's error", async () => {
    const { kernel, machine, text } = await storage();
    playDisk(machine, Buffer.alloc(64 * 512), [], 1);
    kernel.diskCreate(64n, true, BigInt(QUEUE), BigInt(HEADER));
    expect(text(kernel.diskRequest(1, 0n, 1, BigInt(BUFFER)))).toBe("the disk reported an I/O error (status 1)");
  });
});
