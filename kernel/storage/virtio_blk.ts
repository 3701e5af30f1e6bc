// virtio-blk: a disk on PCI (QEMU `-device virtio-blk-pci`), read, written and flushed through
// one virtqueue, interrupt-driven (virtio 1.0 §5.2).
//
// A request is a chain of three buffers: the header (type, sector), the data, and a status
// byte the device writes. Requests are synchronous: the caller offers one and halts until
// the device's interrupt says it is done (sti; hlt: no polling), or until DISK_TIMEOUT
// passes, which fails the request and the disk with it.

import { localApicArm, localApicDisarm } from "../arch/x86_64/local_apic";
import { physicalRead8, physicalWrite32, physicalWrite64, physicalWrite8, readTsc, waitForInterrupt } from "../arch/x86_64/machine";
import { picEndOfInterrupt, picUnmask } from "../arch/x86_64/pic8259";
import { PciDevice } from "../arch/x86_64/pci";
import { DESCRIPTOR_WRITE, Virtqueue, VirtioDevice } from "../arch/x86_64/virtio";
import { memoryAllocatePages } from "../memory/memory";
import { clockNanoseconds } from "../time/clock";

/** The transitional virtio-blk device's PCI id (its modern-only id, 0x1042, has no legacy registers). */
export const VIRTIO_BLOCK_ID: u16 = 0x1001;
export const SECTOR_BYTES: u32 = 512;
/** A request the device has not finished by then fails (and the disk is not used again). */
const DISK_TIMEOUT_NANOSECONDS: u64 = 5_000_000_000;

const FEATURE_READ_ONLY: u32 = 1 << 5;
const FEATURE_FLUSH: u32 = 1 << 9;
const REQUEST_IN: u32 = 0;
const REQUEST_OUT: u32 = 1;
const REQUEST_FLUSH: u32 = 4;
const STATUS_OK: u8 = 0;
const STATUS_UNSUPPORTED: u8 = 2;
const STATUS_PENDING: u8 = 0xff;

export class VirtioBlock {
  /** Capacity, in 512-byte sectors. */
  sectors: u64 = 0;
  /** Whether the device has a write cache to flush (VIRTIO_BLK_F_FLUSH); without one, writes are durable when done. */
  flushes: bool = false;
  readOnly: bool = false;
  /** Why the last request failed, or why the disk is not usable. */
  problem: string = "";
  /** Requests done, and the interrupts that said so. */
  requests: u64 = 0;
  interrupts: u64 = 0;
  private broken: bool = false;
  private readonly addresses: StaticArray<u64> = new StaticArray<u64>(3);
  private readonly lengths: StaticArray<u32> = new StaticArray<u32>(3);
  private readonly flags: StaticArray<u16> = new StaticArray<u16>(3);

  constructor(readonly device: VirtioDevice, readonly queue: Virtqueue, readonly header: u64) {}

  /** Sets the disk at `pci` up; null, with the reason in `why`, when it cannot be used. */
  static open(pci: PciDevice, why: StaticArray<string>): VirtioBlock | null {
    const device = VirtioDevice.open(pci);
    if (device == null) {
      why[0] = "it offers no legacy interface (a modern-only device; QEMU's default virtio-blk-pci has one)";
      return null;
    }
    if (pci.interruptLine >= 16) {
      device.fail();
      why[0] = "it has no interrupt line";
      return null;
    }
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

  /** The device's interrupt: acknowledged here; the waiting request sees its used ring. */
  interrupt(): void {
    this.device.acknowledge();
    this.interrupts++;
    picEndOfInterrupt(this.device.pci.interruptLine);
  }

  /** Reads `count` sectors from `sector` into physical `buffer`; "" or what went wrong. */
  read(sector: u64, count: u32, buffer: u64): string {
    return this.request(REQUEST_IN, sector, buffer, count * SECTOR_BYTES);
  }

  /** Writes `count` sectors from physical `buffer` at `sector`; "" or what went wrong. Durable only after flush(). */
  write(sector: u64, count: u32, buffer: u64): string {
    if (this.readOnly) return "the disk is read-only";
    return this.request(REQUEST_OUT, sector, buffer, count * SECTOR_BYTES);
  }

  /** Makes every completed write durable (the device's cache written out); "" or what went wrong. */
  flush(): string {
    return this.flushes ? this.request(REQUEST_FLUSH, 0, 0, 0) : "";
  }

  private request(type: u32, sector: u64, buffer: u64, bytes: u32): string {
    if (this.broken) return this.problem;
    if (type != REQUEST_FLUSH && sector + bytes / SECTOR_BYTES > this.sectors) {
      return "sectors " + sector.toString() + "+" + (bytes / SECTOR_BYTES).toString() + " lie past the disk's " + this.sectors.toString();
    }
    physicalWrite32(this.header, type);
    physicalWrite32(this.header + 4, 0);
    physicalWrite64(this.header + 8, sector);
    physicalWrite8(this.header + 16, STATUS_PENDING);
    let count = 0;
    this.chain(count++, this.header, 16, 0);
    if (bytes > 0) this.chain(count++, buffer, bytes, type == REQUEST_IN ? DESCRIPTOR_WRITE : 0);
    this.chain(count++, this.header + 16, 1, DESCRIPTOR_WRITE);
    if (this.queue.offer(count, this.addresses, this.lengths, this.flags) < 0) return "its queue is full";
    const deadline = clockNanoseconds(readTsc()) + DISK_TIMEOUT_NANOSECONDS;
    while (this.queue.take() < 0) {
      const now = clockNanoseconds(readTsc());
      if (now >= deadline) {
        this.broken = true;
        this.problem = "the disk did not answer within " + (DISK_TIMEOUT_NANOSECONDS / 1_000_000_000).toString() + " s";
        return this.problem;
      }
      localApicArm(deadline - now); // the wait ends at the device's interrupt, or at the deadline
      waitForInterrupt();
    }
    localApicDisarm();
    this.requests++;
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
