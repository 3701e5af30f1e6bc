// A network card, whatever drives it: what network.ts needs of virtio-net and e1000 alike.
//
// Received frames are checked the same way for every card: shorter than an Ethernet header
// or longer than ETHERNET_FRAME_MAX_BYTES, a frame is dropped and counted by its reason.

/** 1,500 bytes of payload, the 14-byte header and a 4-byte 802.1Q tag: more cannot be one frame. */
export const ETHERNET_FRAME_MAX_BYTES: u32 = 1518;
export const ETHERNET_HEADER_BYTES: u32 = 14;

/** Where service() hands each good frame: its physical address and length (network.ts copies it out at once). */
export type FrameSink = (address: u64, length: u32) => void;

export abstract class NetworkCard {
  readonly mac: StaticArray<u8> = new StaticArray<u8>(6);
  framesReceived: u64 = 0;
  bytesReceived: u64 = 0;
  /** Frames dropped on arrival, by reason. */
  droppedTruncated: u64 = 0;
  droppedOversize: u64 = 0;
  /** Frames the card missed for want of a free receive buffer (e1000's MPC; virtio-net does not say). */
  droppedNoRoom: u64 = 0;
  framesSent: u64 = 0;
  bytesSent: u64 = 0;
  /** Frames refused for sending because the transmit ring was full. */
  sendsRefused: u64 = 0;
  interrupts: u64 = 0;

  /** "virtio-net 00:03.0", "e1000 00:03.0". */
  abstract get name(): string;
  abstract get interruptLine(): u8;
  /** The interrupt: acknowledged at the card; service() takes what arrived. */
  abstract interrupt(): void;
  /**
   * Takes what arrived, at most `limit` frames (each good one to `sink`; the rest wait in the
   * receive ring, where the card holds them), and every sent buffer back; how many frames.
   */
  abstract service(sink: FrameSink, limit: i32): i32;
  /** Copies `length` bytes at `source` (kernel memory) into a transmit buffer and starts sending; false when the ring is full. */
  abstract transmit(source: usize, length: u32): bool;
  /** Whether frames or sent buffers wait for service(). */
  abstract get pending(): bool;

  /** Counts one frame of `length` bytes as received, or as dropped and why; whether it is good. */
  count(length: u32): bool {
    if (length < ETHERNET_HEADER_BYTES) this.droppedTruncated++;
    else if (length > ETHERNET_FRAME_MAX_BYTES) this.droppedOversize++;
    else {
      this.framesReceived++;
      this.bytesReceived += length;
      return true;
    }
    return false;
  }

  /** Counts a frame handed to the card for sending. */
  countSent(length: u32): void {
    this.framesSent++;
    this.bytesSent += length;
  }
}
