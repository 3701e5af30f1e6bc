// Virtio devices on PCI, through the legacy interface (virtio 1.0, §4.1.4.8 "Legacy
// Interfaces"; QEMU's virtio-*-pci devices are transitional by default, so they offer it):
// one I/O BAR of registers, and virtqueues in the legacy layout, in physical pages.
//
//   queue memory (size N, from the device), page-aligned, physically contiguous:
//     descriptors 16·N │ available ring 6 + 2·N │ pad to 4096 │ used ring 6 + 8·N
//
// The driver puts a chain of descriptors in the available ring and writes the queue's number
// to QUEUE_NOTIFY, unless the device said it needs no notification (the used ring's
// NO_NOTIFY); the device puts the chain's head in the used ring and raises its INTx line
// (unless the available ring's NO_INTERRUPT asks it not to); reading ISR_STATUS acknowledges
// it. x86 keeps stores in order, and every access here is a call into boot/ (volatile); the
// one place a load must not pass a store (the new index, then NO_NOTIFY) has a fence.

import { memoryFence, physicalFill32, physicalRead16, physicalRead32, physicalRead64, physicalWrite16, physicalWrite32, physicalWrite64, portRead16, portRead32,
  portRead8, portWrite16, portWrite32, portWrite8 } from "./machine";
import { PCI_COMMAND_BUS_MASTER, PCI_COMMAND_IO, PciDevice } from "./pci";
import { memoryAllocatePages } from "../../memory/memory";

export const VIRTIO_VENDOR: u16 = 0x1af4;

const DEVICE_FEATURES: u16 = 0x00;
const DRIVER_FEATURES: u16 = 0x04;
const QUEUE_ADDRESS: u16 = 0x08; // physical page number of the queue's memory
const QUEUE_SIZE: u16 = 0x0c;
const QUEUE_SELECT: u16 = 0x0e;
const QUEUE_NOTIFY: u16 = 0x10;
const DEVICE_STATUS: u16 = 0x12;
const ISR_STATUS: u16 = 0x13;
/** The device's own configuration, without MSI-X (which this driver does not enable). */
const DEVICE_CONFIG: u16 = 0x14;

const STATUS_ACKNOWLEDGE: u8 = 1;
const STATUS_DRIVER: u8 = 2;
const STATUS_DRIVER_OK: u8 = 4;
const STATUS_FAILED: u8 = 0x80;

export const DESCRIPTOR_NEXT: u16 = 1;
/** The device writes this buffer (a read's data, a status byte). */
export const DESCRIPTOR_WRITE: u16 = 2;

/** The available ring's flags: the driver does not want an interrupt when buffers are used. */
const AVAILABLE_NO_INTERRUPT: u16 = 1;
/** The used ring's flags: the device does not need to be notified of new buffers. */
const USED_NO_NOTIFY: u16 = 1;

const PAGE: u64 = 4096;
const QUEUE_SIZE_MAX: u32 = 1024;

export class VirtioDevice {
  /** Why open() or queue() failed, in words. */
  problem: string = "";

  constructor(readonly pci: PciDevice, readonly io: u16) {}

  /**
   * Resets the device and says hello (ACKNOWLEDGE, DRIVER), with I/O and bus mastering on;
   * null, with the reason, when BAR 0 is not the legacy interface's I/O registers.
   */
  static open(pci: PciDevice): VirtioDevice | null {
    const bar = pci.bar(0);
    if ((bar & 1) == 0) return null; // a modern-only device: no legacy registers
    pci.enable(PCI_COMMAND_IO | PCI_COMMAND_BUS_MASTER);
    const device = new VirtioDevice(pci, <u16>(bar & 0xfffc));
    portWrite8(device.io + DEVICE_STATUS, 0);
    portWrite8(device.io + DEVICE_STATUS, STATUS_ACKNOWLEDGE);
    portWrite8(device.io + DEVICE_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    return device;
  }

  get features(): u32 {
    return portRead32(this.io + DEVICE_FEATURES);
  }

  /** The features the driver uses (a subset of `features`). */
  accept(features: u32): void {
    portWrite32(this.io + DRIVER_FEATURES, features);
  }

  config8(offset: u16): u8 {
    return portRead8(this.io + DEVICE_CONFIG + offset);
  }

  config32(offset: u16): u32 {
    return portRead32(this.io + DEVICE_CONFIG + offset);
  }

  config64(offset: u16): u64 {
    return <u64>this.config32(offset) | (<u64>this.config32(offset + 4) << 32);
  }

  /** Sets up virtqueue `index` in fresh physical pages; null (see `problem`) when the device has none or memory is short. */
  queue(index: u16): Virtqueue | null {
    portWrite16(this.io + QUEUE_SELECT, index);
    const size = <u32>portRead16(this.io + QUEUE_SIZE);
    if (size == 0 || size > QUEUE_SIZE_MAX || (size & (size - 1)) != 0) {
      this.problem = "queue " + index.toString() + " has size " + size.toString();
      return null;
    }
    const bytes = queueBytes(size);
    const base = memoryAllocatePages(bytes / PAGE);
    if (base == 0) {
      this.problem = "no memory for queue " + index.toString();
      return null;
    }
    physicalFill32(base, 0, bytes / 4);
    portWrite32(this.io + QUEUE_ADDRESS, <u32>(base / PAGE));
    return new Virtqueue(this.io, index, <u16>size, base);
  }

  /** The driver is ready: the device may use its queues. */
  ready(): void {
    portWrite8(this.io + DEVICE_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK);
  }

  /** Tells the device the driver gave up on it. */
  fail(): void {
    portWrite8(this.io + DEVICE_STATUS, STATUS_FAILED);
  }

  /** Reads (and so acknowledges) the interrupt status: bit 0, a queue was used; bit 1, the configuration changed. */
  acknowledge(): u8 {
    return portRead8(this.io + ISR_STATUS);
  }
}

/**
 * A virtio device at `pci` for a driver that needs its interrupt: opened (see VirtioDevice.open),
 * or null with the reason in `why` (no legacy interface, or no interrupt line).
 */
export function openVirtioDevice(pci: PciDevice, why: StaticArray<string>): VirtioDevice | null {
  const device = VirtioDevice.open(pci);
  if (device == null) {
    why[0] = "it offers no legacy interface (a modern-only device; QEMU's default virtio-*-pci devices have one)";
    return null;
  }
  if (pci.interruptLine >= 16) {
    device.fail();
    why[0] = "it has no interrupt line";
    return null;
  }
  return device;
}

/** Bytes of a legacy virtqueue of `size` entries: descriptors and available ring, aligned, then the used ring. */
export function queueBytes(size: u32): u64 {
  return alignPage(16 * <u64>size + 6 + 2 * <u64>size) + alignPage(6 + 8 * <u64>size);
}

function alignPage(bytes: u64): u64 {
  return (bytes + PAGE - 1) & ~(PAGE - 1);
}

/** One virtqueue: chains of descriptors offered to the device, and the used ones taken back. */
export class Virtqueue {
  private readonly available: u64;
  private readonly used: u64;
  /** The first free descriptor; free descriptors are chained through their `next` fields. */
  private freeHead: u16 = 0;
  freeCount: u32;
  /** How far the driver has offered (available index) and taken back (used index). */
  private availableIndex: u16 = 0;
  private usedIndex: u16 = 0;

  constructor(readonly io: u16, readonly index: u16, readonly size: u16, readonly base: u64) {
    this.available = base + 16 * <u64>size;
    this.used = base + alignPage(16 * <u64>size + 6 + 2 * <u64>size);
    this.freeCount = size;
    for (let i: u32 = 0; i < <u32>size; i++) physicalWrite16(this.descriptor(<u16>i) + 14, <u16>((i + 1) % <u32>size));
  }

  /**
   * Offers a chain of `count` buffers (physical address, length, DESCRIPTOR_WRITE or 0) to the
   * device and notifies it; the chain's head, to match with take(), or -1 when the ring is full.
   */
  offer(count: i32, addresses: StaticArray<u64>, lengths: StaticArray<u32>, flags: StaticArray<u16>): i32 {
    if (<u32>count > this.freeCount || count == 0) return -1;
    const head = this.freeHead;
    let index = head;
    for (let i = 0; i < count; i++) {
      const descriptor = this.descriptor(index);
      const next = physicalRead16(descriptor + 14);
      physicalWrite64(descriptor, addresses[i]);
      physicalWrite32(descriptor + 8, lengths[i]);
      physicalWrite16(descriptor + 12, flags[i] | (i + 1 < count ? DESCRIPTOR_NEXT : 0));
      if (i + 1 < count) index = next;
      else this.freeHead = next;
    }
    this.freeCount -= <u32>count;
    physicalWrite16(this.available + 4 + 2 * <u64>(this.availableIndex % this.size), head);
    this.availableIndex++;
    physicalWrite16(this.available + 2, this.availableIndex); // after the entry: the device reads the index first
    // A device that is taking buffers anyway says so (the used ring's NO_NOTIFY); notifying it is
    // an exit to the hypervisor. The fence: the index must be visible before the flag is read,
    // or a device that just ran dry and asked to be told would not be.
    memoryFence();
    if ((physicalRead16(this.used) & USED_NO_NOTIFY) == 0) portWrite16(this.io + QUEUE_NOTIFY, this.index);
    return head;
  }

  /**
   * The device is not to interrupt when it uses this queue's buffers (the available ring's
   * NO_INTERRUPT): for a queue the driver looks at when it needs to, such as a NIC's transmit
   * queue, whose used buffers are taken back at the next send.
   */
  withoutInterrupts(): void {
    physicalWrite16(this.available, AVAILABLE_NO_INTERRUPT);
  }

  /** The bytes the device wrote into the chain take() returned last. */
  lastUsedLength: u32 = 0;

  /** Whether the device has finished chains take() has not returned yet. */
  get waiting(): bool {
    return physicalRead16(this.used + 2) != this.usedIndex;
  }

  /** The buffer address in descriptor `index` (a chain's head, from take(), before it is offered again). */
  bufferAddress(index: u16): u64 {
    return physicalRead64(this.descriptor(index));
  }

  /** The head of the next chain the device finished with (its descriptors freed), or -1 when none is waiting. */
  take(): i32 {
    if (!this.waiting) return -1;
    const entry = this.used + 4 + 8 * <u64>(this.usedIndex % this.size);
    const head = <u16>physicalRead32(entry);
    this.lastUsedLength = physicalRead32(entry + 4);
    this.usedIndex++;
    // Give the chain back to the free list: walk to its last descriptor, link it to the old head.
    let last = head;
    let count: u32 = 1;
    while ((physicalRead16(this.descriptor(last) + 12) & DESCRIPTOR_NEXT) != 0) {
      last = physicalRead16(this.descriptor(last) + 14);
      count++;
    }
    physicalWrite16(this.descriptor(last) + 12, 0);
    physicalWrite16(this.descriptor(last) + 14, this.freeHead);
    this.freeHead = head;
    this.freeCount += count;
    return head;
  }

  private descriptor(index: u16): u64 {
    return this.base + 16 * <u64>index;
  }
}
