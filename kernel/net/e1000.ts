// Intel 8254x (e1000): QEMU's default NIC on `-M pc` and the card of many PCs, driven through its
// memory-mapped registers with a receive and a transmit descriptor ring, interrupt-driven
// (Intel's PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's Manual).
//
//   reset ─► link up ─► MAC from RAL0/RAH0 (the EEPROM's, loaded at reset) ─► multicast table cleared
//   receive ring: RECEIVE_DESCRIPTORS × 16-byte descriptors, each a 2 KiB buffer; RDT is one behind
//     the next descriptor the driver will look at, so the card never fills the one being read
//   transmit ring: TRANSMIT_DESCRIPTORS legacy descriptors, each with its own 2 KiB buffer;
//     a descriptor is free again once the card has set its done bit
//   interrupts: a frame received (RXT0), the ring running low (RXDMT0), an overrun (RXO), link change;
//     reading ICR acknowledges them
//
// The card drops what it cannot take (a runt, a frame longer than 1,522 bytes without
// long-packet mode) and counts it in its statistics registers; service() adds those to the
// card's drops, so `net` shows them as it shows virtio-net's.

import { physicalCopyOut, physicalFill32, physicalRead16, physicalRead32, physicalRead64, physicalRead8, physicalWrite32, physicalWrite64, physicalWrite8 } from "../arch/x86_64/machine";
import { picUnmask } from "../arch/x86_64/pic8259";
import { PciDevice, registerSettles } from "../arch/x86_64/pci";
import { memoryAllocatePages } from "../memory/memory";
import { FrameSink, NetworkCard } from "./network_card";

export const INTEL_VENDOR: u16 = 0x8086;
/** 82540EM (QEMU's `e1000`), 82545EM, 82543GC, 82574L. */
export const E1000_IDS: u16[] = [0x100e, 0x100f, 0x1004, 0x10d3];

const CTRL: u64 = 0x0000;
const ICR: u64 = 0x00c0;
const IMS: u64 = 0x00d0;
const IMC: u64 = 0x00d8;
const RCTL: u64 = 0x0100;
const TCTL: u64 = 0x0400;
const TIPG: u64 = 0x0410;
const RDBAL: u64 = 0x2800;
const RDBAH: u64 = 0x2804;
const RDLEN: u64 = 0x2808;
const RDH: u64 = 0x2810;
const RDT: u64 = 0x2818;
const TDBAL: u64 = 0x3800;
const TDBAH: u64 = 0x3804;
const TDLEN: u64 = 0x3808;
const TDH: u64 = 0x3810;
const TDT: u64 = 0x3818;
const MTA: u64 = 0x5200;
const RAL0: u64 = 0x5400;
const RAH0: u64 = 0x5404;
/** Statistics, cleared when read: receive undersize, oversize; missed packets (no descriptor). */
const RUC: u64 = 0x40a4;
const ROC: u64 = 0x40ac;
const MPC: u64 = 0x4010;

const CTRL_SET_LINK_UP: u32 = 1 << 6;
const CTRL_RESET: u32 = 1 << 26;
const RCTL_ENABLE: u32 = 1 << 1;
const RCTL_BROADCAST: u32 = 1 << 15;
const RCTL_STRIP_CRC: u32 = 1 << 26; // BSIZE 00: 2,048-byte buffers
const TCTL_ENABLE: u32 = 1 << 1;
const TCTL_PAD_SHORT: u32 = 1 << 3;
const TCTL_COLLISION: u32 = (0x10 << 4) | (0x40 << 12);
const INTERRUPTS: u32 = (1 << 0) | (1 << 2) | (1 << 4) | (1 << 6) | (1 << 7); // TXDW, LSC, RXDMT0, RXO, RXT0
const DESCRIPTOR_DONE: u8 = 1 << 0;
const ICR_LINK_CHANGE: u32 = 1 << 2;

/**
 * 256 (one page of descriptors, 512 KiB of buffers): with 32, a burst of 150 datagrams lost
 * all but 32 at the card (QEMU's e1000, like a real one, drops what finds the ring full), and
 * the kernel leaves frames in the ring while the stack's queue is full (network.ts, frameRoom).
 */
const RECEIVE_DESCRIPTORS: u32 = 256;
/** A legacy transmit descriptor's command bits (8254x manual §3.3.3). */
const TX_END_OF_PACKET: u8 = 1 << 0;
const TX_INSERT_CRC: u8 = 1 << 1;
const TX_REPORT_STATUS: u8 = 1 << 3;
const TRANSMIT_DESCRIPTORS: u32 = 16;
/** The card's register space (BAR 0). */
const REGISTER_BYTES: u64 = 0x20000;
const BUFFER_BYTES: u64 = 2048;
const RESET_NANOSECONDS: u64 = 100_000_000;

export class E1000 extends NetworkCard {
  /** The receive descriptor the driver looks at next. */
  private next: u32 = 0;
  /** The transmit descriptor to fill next, and the oldest one the card may still be sending. */
  private sendNext: u32 = 0;
  private sendOldest: u32 = 0;

  constructor(readonly pci: PciDevice, readonly registers: u64, readonly receiveRing: u64, readonly transmitRing: u64, readonly buffers: u64) {
    super();
  }

  /** Resets and sets up the card at `pci`; null, with the reason in `why`, when it cannot be used. */
  static open(pci: PciDevice, why: StaticArray<string>): E1000 | null {
    const registers = pci.claimRegisters(0, REGISTER_BYTES, why);
    if (registers == 0) return null;
    const rings = memoryAllocatePages(2);
    const buffers = memoryAllocatePages(<u64>(RECEIVE_DESCRIPTORS + TRANSMIT_DESCRIPTORS) * BUFFER_BYTES / 4096);
    if (rings == 0 || buffers == 0) {
      why[0] = "no memory for its rings";
      return null;
    }
    const card = new E1000(pci, registers, rings, rings + 4096, buffers);
    const problem = card.setUp();
    if (problem.length > 0) {
      why[0] = problem;
      return null;
    }
    picUnmask(pci.interruptLine);
    return card;
  }

  get name(): string {
    return "e1000 " + this.pci.location;
  }

  get interruptLine(): u8 {
    return this.pci.interruptLine;
  }

  interrupt(): void {
    const cause = this.read(ICR); // reading acknowledges
    // The link came up (after the autonegotiation a reset starts): give the tail again, so a card
    // that held frames back while the link was down (QEMU's does) takes them now.
    if ((cause & ICR_LINK_CHANGE) != 0) this.write(RDT, (this.next + RECEIVE_DESCRIPTORS - 1) % RECEIVE_DESCRIPTORS);
    this.interrupts++;
  }

  get pending(): bool {
    return (physicalRead8(this.receiveDescriptor(this.next) + 12) & DESCRIPTOR_DONE) != 0;
  }

  service(sink: FrameSink, limit: i32): i32 {
    let taken = 0;
    while (taken < limit && this.pending) {
      const descriptor = this.receiveDescriptor(this.next);
      const length = <u32>physicalRead16(descriptor + 8);
      if (this.count(length)) sink(physicalRead64(descriptor), length);
      physicalWrite8(descriptor + 12, 0); // status: the card may fill it again
      this.write(RDT, this.next); // handed back: the tail is now this descriptor
      this.next = (this.next + 1) % RECEIVE_DESCRIPTORS;
      taken++;
    }
    // What the card dropped itself, by its statistics (each read clears them): frames too short,
    // too long, and missed for want of a free descriptor (the stack busy, the ring full).
    this.droppedTruncated += this.read(RUC);
    this.droppedOversize += this.read(ROC);
    this.droppedNoRoom += this.read(MPC);
    this.reclaimSends();
    return taken;
  }

  /** Sends one frame from the next transmit descriptor's buffer: end of packet, CRC added, status reported. */
  transmit(source: usize, length: u32): bool {
    this.reclaimSends();
    const following = (this.sendNext + 1) % TRANSMIT_DESCRIPTORS;
    if (following == this.sendOldest || <u64>length > BUFFER_BYTES) {
      this.sendsRefused++;
      return false;
    }
    const descriptor = this.transmitDescriptor(this.sendNext);
    const buffer = this.buffers + <u64>(RECEIVE_DESCRIPTORS + this.sendNext) * BUFFER_BYTES;
    physicalCopyOut(buffer, source, length);
    physicalWrite64(descriptor, buffer);
    physicalWrite64(descriptor + 8, <u64>length | (<u64>(TX_END_OF_PACKET | TX_INSERT_CRC | TX_REPORT_STATUS) << 24));
    this.sendNext = following;
    this.write(TDT, this.sendNext);
    this.countSent(length);
    return true;
  }

  /** Gives back the transmit descriptors the card has finished with. */
  private reclaimSends(): void {
    while (this.sendOldest != this.sendNext && (physicalRead8(this.transmitDescriptor(this.sendOldest) + 12) & DESCRIPTOR_DONE) != 0) {
      this.sendOldest = (this.sendOldest + 1) % TRANSMIT_DESCRIPTORS;
    }
  }

  private transmitDescriptor(index: u32): u64 {
    return this.transmitRing + <u64>index * 16;
  }

  private setUp(): string {
    this.write(IMC, 0xffffffff);
    this.write(CTRL, this.read(CTRL) | CTRL_RESET);
    if (!registerSettles(this.registers + CTRL, CTRL_RESET, 0, RESET_NANOSECONDS)) return "it did not come out of reset";
    this.write(IMC, 0xffffffff);
    this.write(CTRL, this.read(CTRL) | CTRL_SET_LINK_UP);
    const low = this.read(RAL0);
    const high = this.read(RAH0);
    for (let i = 0; i < 4; i++) this.mac[i] = <u8>(low >> (8 * i));
    for (let i = 0; i < 2; i++) this.mac[4 + i] = <u8>(high >> (8 * i));
    this.write(RAH0, high | (1 << 31)); // address valid: frames to this MAC are taken
    for (let i: u64 = 0; i < 128; i++) this.write(MTA + 4 * i, 0);
    physicalFill32(this.receiveRing, 0, 2048); // both rings
    for (let i: u32 = 0; i < RECEIVE_DESCRIPTORS; i++) physicalWrite64(this.receiveDescriptor(i), this.buffers + <u64>i * BUFFER_BYTES);
    this.write(RDBAL, <u32>this.receiveRing);
    this.write(RDBAH, <u32>(this.receiveRing >> 32));
    this.write(RDLEN, RECEIVE_DESCRIPTORS * 16);
    this.write(RDH, 0);
    this.write(RDT, RECEIVE_DESCRIPTORS - 1);
    this.write(RCTL, RCTL_ENABLE | RCTL_BROADCAST | RCTL_STRIP_CRC);
    this.write(TDBAL, <u32>this.transmitRing);
    this.write(TDBAH, <u32>(this.transmitRing >> 32));
    this.write(TDLEN, TRANSMIT_DESCRIPTORS * 16);
    this.write(TDH, 0);
    this.write(TDT, 0);
    this.write(TCTL, TCTL_ENABLE | TCTL_PAD_SHORT | TCTL_COLLISION);
    this.write(TIPG, 0x0060200a);
    this.read(RUC);
    this.read(ROC);
    this.read(MPC);
    this.read(ICR);
    this.write(IMS, INTERRUPTS);
    return "";
  }

  private receiveDescriptor(index: u32): u64 {
    return this.receiveRing + <u64>index * 16;
  }

  private read(register: u64): u32 {
    return physicalRead32(this.registers + register);
  }

  private write(register: u64, value: u32): void {
    physicalWrite32(this.registers + register, value);
  }
}
