// Host-test entry for storage: the data disk's superblock (kernel/storage/data_disk.ts), the
// virtqueue (kernel/arch/x86_64/virtio.ts) and virtio-blk requests (kernel/storage/virtio_blk.ts)
// against a device the test plays on the fake machine, driven by tests/host/storage.test.ts.

import { PciDevice } from "../../kernel/arch/x86_64/pci";
import { Virtqueue, VirtioDevice } from "../../kernel/arch/x86_64/virtio";
import { classify, encodeSuperblock, labelOf, newestCopy } from "../../kernel/storage/data_disk";
import { VirtioBlock } from "../../kernel/storage/virtio_blk";
import { input, put } from "./exchange";
export { inputPointer, outputPointer } from "./exchange";

/** A superblock copy, as the kernel formats one, into input[0..512) (the label is in input[1024..]). */
export function superblock(labelLength: i32, sequence: u64, sectors: u64, createdSeconds: u64): void {
  const label = String.UTF8.decodeUnsafe(changetype<usize>(input) + 1024, labelLength);
  encodeSuperblock(changetype<usize>(input), label, sequence, sectors, createdSeconds);
}

/** What the kernel makes of the two sectors in input[0..1024): "copy 0 …, copy 1 …, newest N 'label'". */
export function superblocks(): i32 {
  const base = changetype<usize>(input);
  const names = ["valid", "blank", "foreign"];
  const newest = newestCopy(base);
  return put("copy 0 " + names[classify(base, 0)] + ", copy 1 " + names[classify(base, 1)] + ", newest " + newest.toString() +
    (newest >= 0 ? " '" + labelOf(base, newest) + "'" : ""));
}

const IO: u16 = 0xc000;
let queue: Virtqueue | null = null;
let disk: VirtioBlock | null = null;

/** A virtqueue of `size` entries at physical `base`, its device's registers at port 0xc000. */
export function queueCreate(size: u16, base: u64): void {
  queue = new Virtqueue(IO, 0, size, base);
}

/** Offers a chain of `count` buffers (addresses 0x1000·i, lengths 16·i+1); its head or -1. */
export function queueOffer(count: i32): i32 {
  const addresses = new StaticArray<u64>(count);
  const lengths = new StaticArray<u32>(count);
  const flags = new StaticArray<u16>(count);
  for (let i = 0; i < count; i++) {
    addresses[i] = 0x1000 * <u64>(i + 1);
    lengths[i] = 16 * <u32>i + 1;
  }
  return queue!.offer(count, addresses, lengths, flags);
}

export function queueTake(): i32 {
  return queue!.take();
}

export function queueFree(): u32 {
  return queue!.freeCount;
}

/** A virtio-blk disk of `sectors`, its queue at `queueBase`, request header at `header` (the test plays the device). */
export function diskCreate(sectors: u64, flushes: bool, queueBase: u64, header: u64): void {
  const device = new VirtioDevice(new PciDevice(0, 4, 0), IO);
  disk = new VirtioBlock(device, new Virtqueue(IO, 0, 16, queueBase), header);
  disk!.sectors = sectors;
  disk!.flushes = flushes;
}

/** 0 read, 1 write, 2 flush of `count` sectors at `sector` through physical `buffer`: "" or the error. */
export function diskRequest(kind: i32, sector: u64, count: u32, buffer: u64): i32 {
  const outcome = kind == 0 ? disk!.read(sector, count, buffer) : kind == 1 ? disk!.write(sector, count, buffer) : disk!.flush();
  return put(outcome);
}

export function diskRequests(): u64 {
  return disk!.requests;
}
