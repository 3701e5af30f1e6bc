// Host-test entry for the xHCI driver's transfer rings (kernel/usb/xhci.ts): TRBs written
// into the fake machine's memory, read back by tests/host/usb.test.ts as the controller would.

import { TrbRing, queueNormal } from "../../kernel/usb/xhci";

let ring: TrbRing | null = null;

/** A ring in the page at `base`. */
export function ringCreate(base: u64): void {
  ring = new TrbRing(base);
}

/** One TRB; `more` when its TD goes on. Its address. */
export function ringPush(parameter: u64, status: u32, control: u32, more: bool): u64 {
  return ring!.push(parameter, status, control, more);
}

/** The next TRB's address with the ring's cycle in bit 0. */
export function ringDequeue(): u64 {
  return ring!.dequeue;
}

/** A bulk TD of `length` bytes at `buffer`; its last TRB's address. */
export function ringQueueNormal(buffer: u64, length: u32, maxPacket: u32): u64 {
  return queueNormal(ring!, buffer, length, maxPacket);
}
