// EventQueue: a bounded FIFO of deliveries with copied payloads; overflow drops and counts.
//
// A delivery is one event for one handler. Each handler has its own EventQueue
// (events/handler_queues.ts, QUEUE_DEPTH slots), all numbered from one SequenceCounter.
// Slots and payload space are allocated once, so posting never allocates and a full queue
// can only refuse, never corrupt:
//
//   slot i: ┌ handler ┬ kind ┬ source ┬ name ┬ timestamp ┬ payload length ┬ sequence ┐ + PAYLOAD_MAX bytes
//           └ i32     ┴ u8   ┴ u32    ┴ u32  ┴ u64       ┴ i32            ┴ u64      ┘   at i × PAYLOAD_MAX
//
// Order: deliveries leave in the order they were posted. `pushFront` puts a failed run's
// delivery back at the head, to be retried before anything posted after it;
// `discardPostedSince` drops a rolled-back run's emits by sequence number.

import { EVENT_APP as APP, EVENT_BOOT as BOOT, EVENT_CALL as CALL, EVENT_MESSAGE as MESSAGE, EVENT_TIMER as TIMER } from "../gate/interface";

// Event kinds, as interface/optios.ts numbers them.
export const EVENT_BOOT: u8 = <u8>BOOT;
export const EVENT_TIMER: u8 = <u8>TIMER;
export const EVENT_APP: u8 = <u8>APP;
export const EVENT_MESSAGE: u8 = <u8>MESSAGE;
export const EVENT_CALL: u8 = <u8>CALL;

export class Delivery {
  handler: i32 = -1;
  kind: u8 = 0;
  source: u32 = 0;
  name: u32 = 0;
  timestamp: u64 = 0;
  payloadLength: i32 = 0;
  /** Order of posting; smaller was posted earlier. */
  sequence: u64 = 0;

  copyFrom(other: Delivery): void {
    this.handler = other.handler;
    this.kind = other.kind;
    this.source = other.source;
    this.name = other.name;
    this.timestamp = other.timestamp;
    this.payloadLength = other.payloadLength;
    this.sequence = other.sequence;
  }
}

/** Where posting order comes from: one counter shared by every queue that must agree on "posted before". */
export class SequenceCounter {
  next: u64 = 0;
}

export class EventQueue {
  private readonly slots: StaticArray<Delivery>;
  private readonly payloads: StaticArray<u8>;
  private head: i32 = 0;
  count: i32 = 0;
  /** Deliveries refused because the queue was full. */
  dropped: u64 = 0;

  constructor(readonly capacity: i32, readonly payloadMax: i32, private readonly counter: SequenceCounter = new SequenceCounter()) {
    const slots = new StaticArray<Delivery>(capacity);
    for (let i = 0; i < capacity; i++) slots[i] = new Delivery();
    this.slots = slots;
    this.payloads = new StaticArray<u8>(capacity * payloadMax);
  }

  /** Queues one delivery; false (and `dropped` counted) when full or the payload is too long. */
  post(handler: i32, kind: u8, source: u32, name: u32, timestamp: u64, payload: usize, payloadLength: i32): bool {
    if (this.count == this.capacity || payloadLength < 0 || payloadLength > this.payloadMax) {
      this.dropped++;
      return false;
    }
    const index = (this.head + this.count) % this.capacity;
    const slot = this.slots[index];
    slot.handler = handler;
    slot.kind = kind;
    slot.source = source;
    slot.name = name;
    slot.timestamp = timestamp;
    slot.payloadLength = payloadLength;
    slot.sequence = this.counter.next++;
    memory.copy(this.payloadAddress(index), payload, payloadLength);
    this.count++;
    return true;
  }

  /** The sequence number the next posted delivery will get. */
  get nextSequence(): u64 {
    return this.counter.next;
  }

  /** The oldest delivery (without removing it), or null when empty. */
  peek(): Delivery | null {
    return this.count == 0 ? null : this.slots[this.head];
  }

  /**
   * Removes the oldest delivery for `handler` (any handler when -1), copying it into `into`
   * and its payload to `payload`; false when there is none. Later deliveries keep their order.
   */
  take(handler: i32, into: Delivery, payload: usize): bool {
    for (let offset = 0; offset < this.count; offset++) {
      const index = (this.head + offset) % this.capacity;
      const slot = this.slots[index];
      if (handler != -1 && slot.handler != handler) continue;
      into.copyFrom(slot);
      memory.copy(payload, this.payloadAddress(index), slot.payloadLength);
      this.removeAt(offset);
      return true;
    }
    return false;
  }

  /**
   * Puts a delivery back at the front (a failed run's event, to be retried before anything
   * posted after it); false (and counted as dropped) when the queue is full.
   */
  pushFront(from: Delivery, payload: usize): bool {
    if (this.count == this.capacity) {
      this.dropped++;
      return false;
    }
    this.head = (this.head + this.capacity - 1) % this.capacity;
    this.slots[this.head].copyFrom(from);
    memory.copy(this.payloadAddress(this.head), payload, from.payloadLength);
    this.count++;
    return true;
  }

  /** Drops every delivery posted at or after `sequence` (a rolled-back run's emits); returns how many. */
  discardPostedSince(sequence: u64): i32 {
    let discarded = 0;
    let offset = 0;
    while (offset < this.count) {
      if (this.slots[(this.head + offset) % this.capacity].sequence >= sequence) {
        this.removeAt(offset);
        discarded++;
      } else offset++;
    }
    return discarded;
  }

  /** Number of queued deliveries for `handler`. */
  countFor(handler: i32): i32 {
    let found = 0;
    for (let offset = 0; offset < this.count; offset++) {
      if (this.slots[(this.head + offset) % this.capacity].handler == handler) found++;
    }
    return found;
  }

  /** Drops every delivery for `handler` (a quarantined or removed handler); returns how many. */
  discardFor(handler: i32): i32 {
    let discarded = 0;
    let offset = 0;
    while (offset < this.count) {
      if (this.slots[(this.head + offset) % this.capacity].handler == handler) {
        this.removeAt(offset);
        discarded++;
      } else offset++;
    }
    return discarded;
  }

  private payloadAddress(index: i32): usize {
    return changetype<usize>(this.payloads) + <usize>(index * this.payloadMax);
  }

  /** Closes the gap at `offset` by moving the older deliveries one slot towards the tail. */
  private removeAt(offset: i32): void {
    for (let i = offset; i > 0; i--) {
      const to = (this.head + i) % this.capacity;
      const from = (this.head + i - 1) % this.capacity;
      this.slots[to].copyFrom(this.slots[from]);
      memory.copy(this.payloadAddress(to), this.payloadAddress(from), this.slots[from].payloadLength);
    }
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }
}
