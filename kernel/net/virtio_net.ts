// virtio-net: an Ethernet NIC on PCI (QEMU `-nic …,model=virtio-net-pci`), interrupt-driven
// receive and transmit rings (virtio 1.0 §5.1), through virtio's legacy interface.
//
//   queue 0, receive: RECEIVE_BUFFERS buffers of 2 KiB posted for the device to fill; each
//     arrives as the 10-byte virtio-net header, then the frame
//   queue 1, transmit: TRANSMIT_BUFFERS buffers of 2 KiB, each a zeroed header + one frame,
//     taken back (and free again) when the device has sent it
//
// The interrupt only acknowledges; the kernel loop takes what arrived (networkService), counts
// it, checks it is a whole Ethernet frame (a shorter one is dropped and counted), hands it to
// network.ts (which copies it into the stack's queue) and posts the buffer again.

import { picUnmask } from "../arch/x86_64/pic8259";
import { PciDevice } from "../arch/x86_64/pci";
import { physicalCopyOut, physicalFill32 } from "../arch/x86_64/machine";
import { DESCRIPTOR_WRITE, openVirtioDevice, Virtqueue, VirtioDevice } from "../arch/x86_64/virtio";
import { memoryAllocatePages } from "../memory/memory";
import { FrameSink, NetworkCard } from "./network_card";

export const VIRTIO_NET_ID: u16 = 0x1000;
export const VIRTIO_NET_MODERN_ID: u16 = 0x1041;
const FEATURE_MAC: u32 = 1 << 5;
/** The legacy virtio-net header without VIRTIO_NET_F_MRG_RXBUF. */
const HEADER_BYTES: u32 = 10;
const BUFFER_BYTES: u32 = 2048;
const RECEIVE_BUFFERS: i32 = 32;
/**
 * QEMU takes sent frames in its own thread, later: 16 overflowed in bursts (about 1,000 of
 * 8,000 echoes a second refused), and 64 when 200 datagrams came at once (a sixth of the
 * echoes refused). 256 is QEMU's transmit queue: every descriptor it offers.
 */
const TRANSMIT_BUFFERS: i32 = 256;

export class VirtioNet extends NetworkCard {
  private readonly addresses: StaticArray<u64> = new StaticArray<u64>(1);
  private readonly lengths: StaticArray<u32> = new StaticArray<u32>(1);
  private readonly flags: StaticArray<u16> = new StaticArray<u16>(1);

  /** Transmit buffers not in the ring: a stack of their indexes. */
  private readonly freeSends: StaticArray<i32> = new StaticArray<i32>(TRANSMIT_BUFFERS);
  private freeSendCount: i32 = TRANSMIT_BUFFERS;

  constructor(readonly device: VirtioDevice, readonly receive: Virtqueue, readonly sends: Virtqueue, readonly buffers: u64) {
    super();
    for (let i = 0; i < TRANSMIT_BUFFERS; i++) this.freeSends[i] = i;
    sends.withoutInterrupts(); // sent buffers are taken back at the next send, or by the loop's service: no interrupt for each
  }

  /** Sets the NIC at `pci` up with its receive buffers posted; null, with the reason in `why`, when it cannot be used. */
  static open(pci: PciDevice, why: StaticArray<string>): VirtioNet | null {
    const device = openVirtioDevice(pci, why);
    if (device == null) return null;
    const offered = device.features;
    device.accept(offered & FEATURE_MAC);
    const receive = device.queue(0);
    const sends: Virtqueue | null = receive == null ? null : device.queue(1);
    const buffers = memoryAllocatePages(<u64>(RECEIVE_BUFFERS + TRANSMIT_BUFFERS) * BUFFER_BYTES / 4096 + 1);
    if (receive == null || sends == null || buffers == 0) {
      device.fail();
      why[0] = receive == null || sends == null ? device.problem : "no memory for its buffers";
      return null;
    }
    const nic = new VirtioNet(device, receive, sends, buffers);
    for (let i: u16 = 0; i < 6; i++) nic.mac[i] = (offered & FEATURE_MAC) != 0 ? device.config8(i) : 0;
    nic.postReceiveBuffers();
    device.ready();
    picUnmask(pci.interruptLine);
    return nic;
  }

  get name(): string {
    return "virtio-net " + this.device.pci.location;
  }

  get interruptLine(): u8 {
    return this.device.pci.interruptLine;
  }

  /** The interrupt: acknowledged at the device; netService takes what arrived. */
  interrupt(): void {
    this.device.acknowledge();
    this.interrupts++;
  }

  /** Takes up to `limit` frames that arrived, counting and checking each, and posts its buffer again; how many. */
  service(sink: FrameSink, limit: i32): i32 {
    let taken = 0;
    for (let head = taken < limit ? this.receive.take() : -1; head >= 0; head = taken < limit ? this.receive.take() : -1) {
      const buffer = this.receive.bufferAddress(<u16>head);
      const length = this.receive.lastUsedLength > HEADER_BYTES ? this.receive.lastUsedLength - HEADER_BYTES : 0;
      if (this.count(length)) sink(buffer + HEADER_BYTES, length);
      this.post(<i32>((buffer - this.buffers) / BUFFER_BYTES));
      taken++;
    }
    this.reclaimSends();
    return taken;
  }

  /** Sends one frame: a zeroed virtio-net header and the frame in one transmit buffer. */
  transmit(source: usize, length: u32): bool {
    this.reclaimSends();
    if (this.freeSendCount == 0 || length + HEADER_BYTES > BUFFER_BYTES) {
      this.sendsRefused++;
      return false;
    }
    const index = this.freeSends[--this.freeSendCount];
    const buffer = this.sendBuffer(index);
    physicalFill32(buffer, 0, 3); // the 10-byte header (and 2 bytes the frame overwrites)
    physicalCopyOut(buffer + HEADER_BYTES, source, length);
    this.addresses[0] = buffer;
    this.lengths[0] = length + HEADER_BYTES;
    this.flags[0] = 0;
    if (this.sends.offer(1, this.addresses, this.lengths, this.flags) < 0) {
      this.freeSends[this.freeSendCount++] = index;
      this.sendsRefused++;
      return false;
    }
    this.countSent(length);
    return true;
  }

  /** Whether frames or sent buffers wait to be taken. */
  get pending(): bool {
    return this.receive.waiting || this.sends.waiting;
  }

  private reclaimSends(): void {
    for (let head = this.sends.take(); head >= 0; head = this.sends.take()) {
      this.freeSends[this.freeSendCount++] = <i32>((this.sends.bufferAddress(<u16>head) - this.sendBuffer(0)) / BUFFER_BYTES);
    }
  }

  private sendBuffer(index: i32): u64 {
    return this.buffers + <u64>(RECEIVE_BUFFERS + index) * BUFFER_BYTES;
  }

  /** Offers every receive buffer to the device (at setup). */
  postReceiveBuffers(): void {
    for (let i = 0; i < RECEIVE_BUFFERS; i++) this.post(i);
  }

  private post(index: i32): void {
    this.addresses[0] = this.buffers + <u64>index * BUFFER_BYTES;
    this.lengths[0] = BUFFER_BYTES;
    this.flags[0] = DESCRIPTOR_WRITE;
    this.receive.offer(1, this.addresses, this.lengths, this.flags);
  }
}
