// Host-test entry for the network cards' rings (kernel/net/virtio_net.ts, e1000.ts): receive
// and transmit against devices tests/host/network.test.ts plays on the fake machine.

import { PciDevice } from "../../kernel/arch/x86_64/pci";
import { Virtqueue, VirtioDevice } from "../../kernel/arch/x86_64/virtio";
import { E1000 } from "../../kernel/net/e1000";
import { NetworkCard } from "../../kernel/net/network_card";
import { VirtioNet } from "../../kernel/net/virtio_net";
import { input, put } from "./exchange";
export { inputPointer, outputPointer } from "./exchange";

const IO: u16 = 0xc000;
let card: NetworkCard | null = null;

/** A virtio-net card: receive queue at `receiveBase` (32 entries), transmit queue at `sendBase` (64, as many as its buffers), buffers from `buffers`. */
export function virtioCreate(receiveBase: u64, sendBase: u64, buffers: u64): void {
  const device = new VirtioDevice(new PciDevice(0, 3, 0), IO);
  const nic = new VirtioNet(device, new Virtqueue(IO, 0, 32, receiveBase), new Virtqueue(IO, 1, 64, sendBase), buffers);
  nic.postReceiveBuffers();
  card = nic;
}

/** An e1000 with its registers at `registers` (plain memory here), rings at `rings` and `rings + 4096`, buffers from `buffers`. */
export function e1000Create(registers: u64, rings: u64, buffers: u64): void {
  card = new E1000(new PciDevice(0, 3, 0), registers, rings, rings + 4096, buffers);
}

/** Sends the first `length` bytes of the exchange's input; whether the card took it. */
export function transmit(length: u32): bool {
  return card!.transmit(changetype<usize>(input), length);
}

let received = "";

function sink(address: u64, length: u32): void {
  received += "0x" + address.toString(16) + "+" + length.toString() + " ";
}

/** Takes what arrived, at most `limit` frames: "frames N, to the stack: 0xADDRESS+LENGTH …". */
export function service(limit: i32): i32 {
  received = "";
  const taken = card!.service(sink, limit);
  return put("frames " + taken.toString() + ", to the stack: " + received.trimEnd());
}

/** The card's counters: "received F/B, dropped S/L/N, sent F/B, refused R" (short, long, no room). */
export function counters(): i32 {
  const nic = card!;
  return put("received " + nic.framesReceived.toString() + "/" + nic.bytesReceived.toString() + ", dropped " + nic.droppedTruncated.toString() +
    "/" + nic.droppedOversize.toString() + "/" + nic.droppedNoRoom.toString() + ", sent " + nic.framesSent.toString() + "/" + nic.bytesSent.toString() + ", refused " +
    nic.sendsRefused.toString());
}
