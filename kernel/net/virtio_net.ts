// virtio-net: an Ethernet NIC on PCI (QEMU `-nic …,model=virtio-net-pci`), interrupt-driven
// receive and transmit rings (virtio 1.0 §5.1), through virtio's legacy interface.
//
//   queue 0, receive: RECEIVE_BUFFERS buffers of 2 KiB posted for the device to fill; each
//     arrives as the 10-byte virtio-net header, then the frame
//   queue 1, transmit: header + frame, one descriptor, taken back when sent
//
// The interrupt only acknowledges; the kernel loop takes what arrived (netService), counts
// it, checks it is a whole Ethernet frame (a shorter one is dropped and counted), and posts
// the buffer again. The frames go nowhere yet: the TCP/IP stack (lwIP, #10) is next.

import { picUnmask } from "../arch/x86_64/pic8259";
import { PciDevice } from "../arch/x86_64/pci";
import { DESCRIPTOR_WRITE, openVirtioDevice, Virtqueue, VirtioDevice } from "../arch/x86_64/virtio";
import { memoryAllocatePages } from "../memory/memory";
import { NetworkCard } from "./network_card";

export const VIRTIO_NET_ID: u16 = 0x1000;
export const VIRTIO_NET_MODERN_ID: u16 = 0x1041;
const FEATURE_MAC: u32 = 1 << 5;
/** The legacy virtio-net header without VIRTIO_NET_F_MRG_RXBUF. */
const HEADER_BYTES: u32 = 10;
const BUFFER_BYTES: u32 = 2048;
const RECEIVE_BUFFERS: i32 = 32;

export class VirtioNet extends NetworkCard {
  private readonly addresses: StaticArray<u64> = new StaticArray<u64>(1);
  private readonly lengths: StaticArray<u32> = new StaticArray<u32>(1);
  private readonly flags: StaticArray<u16> = new StaticArray<u16>(1);

  constructor(readonly device: VirtioDevice, readonly receive: Virtqueue, readonly transmit: Virtqueue, readonly buffers: u64) {
    super();
  }

  /** Sets the NIC at `pci` up with its receive buffers posted; null, with the reason in `why`, when it cannot be used. */
  static open(pci: PciDevice, why: StaticArray<string>): VirtioNet | null {
    const device = openVirtioDevice(pci, why);
    if (device == null) return null;
    const offered = device.features;
    device.accept(offered & FEATURE_MAC);
    const receive = device.queue(0);
    const transmit: Virtqueue | null = receive == null ? null : device.queue(1);
    const buffers = memoryAllocatePages(<u64>RECEIVE_BUFFERS * BUFFER_BYTES / 4096 + 1);
    if (receive == null || transmit == null || buffers == 0) {
      device.fail();
      why[0] = receive == null || transmit == null ? device.problem : "no memory for its buffers";
      return null;
    }
    const nic = new VirtioNet(device, receive, transmit, buffers);
    for (let i: u16 = 0; i < 6; i++) nic.mac[i] = (offered & FEATURE_MAC) != 0 ? device.config8(i) : 0;
    for (let i = 0; i < RECEIVE_BUFFERS; i++) nic.post(i);
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

  /** Takes every frame that arrived, counting and checking it, and posts its buffer again; how many. */
  service(): i32 {
    let taken = 0;
    for (let head = this.receive.take(); head >= 0; head = this.receive.take()) {
      const buffer = this.receive.bufferAddress(<u16>head);
      this.count(this.receive.lastUsedLength > HEADER_BYTES ? this.receive.lastUsedLength - HEADER_BYTES : 0);
      this.post(<i32>((buffer - this.buffers) / BUFFER_BYTES));
      taken++;
    }
    while (this.transmit.take() >= 0) this.framesSent++;
    return taken;
  }

  /** Whether frames or sent buffers wait to be taken. */
  get pending(): bool {
    return this.receive.waiting || this.transmit.waiting;
  }

  private post(index: i32): void {
    this.addresses[0] = this.buffers + <u64>index * BUFFER_BYTES;
    this.lengths[0] = BUFFER_BYTES;
    this.flags[0] = DESCRIPTOR_WRITE;
    this.receive.offer(1, this.addresses, this.lengths, this.flags);
  }
}
