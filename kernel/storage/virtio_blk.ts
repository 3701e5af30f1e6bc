// virtio-blk: a disk on PCI (QEMU `-device virtio-blk-pci`), read, written and flushed through
// one virtqueue, interrupt-driven (virtio 1.0 §5.2).
//
// A request is a chain of three buffers: the header (type, sector), the data, and a status
// byte the device writes. The wait is BlockDevice.awaitCompletion's.

import { physicalRead8, physicalWrite32, physicalWrite64, physicalWrite8 } from "../arch/x86_64/machine";
import { picUnmask } from "../arch/x86_64/pic8259";
import { PciDevice } from "../arch/x86_64/pci";
import { DESCRIPTOR_WRITE, openVirtioDevice, Virtqueue, VirtioDevice } from "../arch/x86_64/virtio";
import { memoryAllocatePages } from "../memory/memory";
import { BlockDevice, SECTOR_BYTES } from "./block_device";

/** The transitional virtio-blk device's PCI id (its modern-only id, 0x1042, has no legacy registers). */
export const VIRTIO_BLOCK_ID: u16 = 0x1001;
export const VIRTIO_BLOCK_MODERN_ID: u16 = 0x1042;

const FEATURE_READ_ONLY: u32 = 1 << 5;
const FEATURE_FLUSH: u32 = 1 << 9;
const REQUEST_IN: u32 = 0;
const REQUEST_OUT: u32 = 1;
const REQUEST_FLUSH: u32 = 4;
const STATUS_OK: u8 = 0;
const STATUS_UNSUPPORTED: u8 = 2;
const STATUS_PENDING: u8 = 0xff;

export class VirtioBlock extends BlockDevice {
  private readonly addresses: StaticArray<u64> = new StaticArray<u64>(3);
  private readonly lengths: StaticArray<u32> = new StaticArray<u32>(3);
  private readonly flags: StaticArray<u16> = new StaticArray<u16>(3);
  private head: i32 = -1;

  constructor(readonly device: VirtioDevice, readonly queue: Virtqueue, readonly header: u64) {
    super();
  }

  /** Sets the disk at `pci` up; null, with the reason in `why`, when it cannot be used. */
  static open(pci: PciDevice, why: StaticArray<string>): VirtioBlock | null {
    const device = openVirtioDevice(pci, why);
    if (device == null) return null;
    const offered = device.features;
    device.accept(offered & (FEATURE_FLUSH | FEATURE_READ_ONLY));
    const queue = device.queue(0);
    const header = memoryAllocatePages(1);
    if (queue == null || header == 0) {
      device.fail();
      why[0] = queue == null ? device.problem : "no memory for its requests";
      return null;
    }
    const disk = new VirtioBlock(device, queue, header);
    disk.sectors = device.config64(0);
    disk.flushes = (offered & FEATURE_FLUSH) != 0;
    disk.readOnly = (offered & FEATURE_READ_ONLY) != 0;
    device.ready();
    picUnmask(pci.interruptLine);
    return disk;
  }

  get name(): string {
    return "virtio-blk " + this.device.pci.location;
  }

  get interruptLine(): u8 {
    return this.device.pci.interruptLine;
  }

  interrupt(): void {
    this.device.acknowledge();
    this.interrupts++;
  }

  completed(): bool {
    return this.queue.take() >= 0;
  }

  read(sector: u64, count: u32, buffer: u64): string {
    const refused = this.refusal(sector, count, false);
    return refused.length > 0 ? refused : this.request(REQUEST_IN, sector, buffer, count * SECTOR_BYTES);
  }

  write(sector: u64, count: u32, buffer: u64): string {
    const refused = this.refusal(sector, count, true);
    return refused.length > 0 ? refused : this.request(REQUEST_OUT, sector, buffer, count * SECTOR_BYTES);
  }

  flush(): string {
    if (this.broken) return this.problem;
    return this.flushes ? this.request(REQUEST_FLUSH, 0, 0, 0) : "";
  }

  private request(type: u32, sector: u64, buffer: u64, bytes: u32): string {
    physicalWrite32(this.header, type);
    physicalWrite32(this.header + 4, 0);
    physicalWrite64(this.header + 8, sector);
    physicalWrite8(this.header + 16, STATUS_PENDING);
    let count = 0;
    this.chain(count++, this.header, 16, 0);
    if (bytes > 0) this.chain(count++, buffer, bytes, type == REQUEST_IN ? DESCRIPTOR_WRITE : 0);
    this.chain(count++, this.header + 16, 1, DESCRIPTOR_WRITE);
    if (this.queue.offer(count, this.addresses, this.lengths, this.flags) < 0) return "its queue is full";
    const waited = this.awaitCompletion();
    if (waited.length > 0) return waited;
    const status = physicalRead8(this.header + 16);
    if (status == STATUS_OK) return "";
    return status == STATUS_UNSUPPORTED ? "the disk does not support the request" : "the disk reported an I/O error (status " + status.toString() + ")";
  }

  private chain(index: i32, address: u64, length: u32, flags: u16): void {
    this.addresses[index] = address;
    this.lengths[index] = length;
    this.flags[index] = flags;
  }
}
