// HandlerQueues: one bounded event queue per handler, served round robin, with storm detection.
//
// Why per handler: with one shared queue, a handler that emits faster than it is served
// fills every slot, and the heartbeat's timer events, the shell's events and everyone
// else's are dropped. Here a handler's events can only fill its own queue (QUEUE_DEPTH, or
// the handler's `queue` in system.toml);
// posts to a full queue are refused and counted against the queue's owner, and the emitter
// gets ERROR_QUEUE_FULL.
//
// Fair service (handlers/dispatcher.ts): a dispatch round gives each runnable handler at
// most one delivery, starting one handler further on each round, so every handler with
// work runs once per round whatever the others do.
//
// Storms: a source whose emitted events are refused (its targets' queues full) at least
// STORM_REFUSALS times within one STORM_WINDOW is storming. It is throttled — it may run
// at most once per THROTTLE_INTERVAL — until a whole window passes without a refusal.
// The kernel logs the start and the end of each storm, naming the source.
//
// Order: every queue takes its sequence numbers from one shared counter, so "posted since
// sequence s" (a rolled-back run's emits) means the same thing in all of them.

import { Delivery, EventQueue, SequenceCounter } from "./event_queue";

/** Refused emits within one window that make a source a storm. */
export const STORM_REFUSALS: u32 = 64;
/** The window over which refusals are counted, in nanoseconds. */
export const STORM_WINDOW_NANOSECONDS: u64 = 1_000_000_000;
/** A throttled handler runs at most once per this many nanoseconds. */
export const THROTTLE_INTERVAL_NANOSECONDS: u64 = 100_000_000;

/** What recordRefusal/settle report: nothing changed, a storm began, or one ended. */
export const STORM_UNCHANGED: i32 = 0;
export const STORM_STARTED: i32 = 1;
export const STORM_ENDED: i32 = 2;

/** One handler's storm bookkeeping. */
export class StormState {
  /** Emits refused in the current window. */
  refusals: u32 = 0;
  /** Refusals over the handler's life, for reports. */
  totalRefusals: u64 = 0;
  windowStart: u64 = 0;
  throttled: bool = false;
  /** When a throttled handler may run next. */
  nextRun: u64 = 0;
}

export class HandlerQueues {
  private readonly queues: EventQueue[] = [];
  private readonly storms: StormState[] = [];
  private readonly counter: SequenceCounter = new SequenceCounter();

  constructor(readonly depth: i32, readonly payloadMax: i32) {}

  /**
   * Makes the queue of the next handler, `depth` deliveries deep and `payloadMax` bytes a payload
   * (the defaults unless given); returns its index (the handler's).
   */
  add(depth: i32 = 0, payloadMax: i32 = 0): i32 {
    this.queues.push(new EventQueue(depth > 0 ? depth : this.depth, payloadMax > 0 ? payloadMax : this.payloadMax, this.counter));
    this.storms.push(new StormState());
    return this.queues.length - 1;
  }

  get handlers(): i32 {
    return this.queues.length;
  }

  /** The sequence number the next posted delivery will get, in any queue. */
  get nextSequence(): u64 {
    return this.counter.next;
  }

  queue(handler: i32): EventQueue {
    return this.queues[handler];
  }

  storm(handler: i32): StormState {
    return this.storms[handler];
  }

  /** Queues one delivery for `handler`; false (counted as the queue's drop) when its queue is full. */
  post(handler: i32, kind: u8, source: u32, name: u32, timestamp: u64, payload: usize, payloadLength: i32): bool {
    return this.queues[handler].post(handler, kind, source, name, timestamp, payload, payloadLength);
  }

  /** Removes `handler`'s oldest delivery into `into` and `payload`; false when it has none. */
  take(handler: i32, into: Delivery, payload: usize): bool {
    return this.queues[handler].take(handler, into, payload);
  }

  /** Puts a failed run's delivery back at the front of its handler's queue. */
  pushFront(from: Delivery, payload: usize): bool {
    return this.queues[from.handler].pushFront(from, payload);
  }

  /** Drops every delivery posted at or after `sequence`, in every queue; returns how many. */
  discardPostedSince(sequence: u64): i32 {
    let discarded = 0;
    for (let i = 0; i < this.queues.length; i++) discarded += this.queues[i].discardPostedSince(sequence);
    return discarded;
  }

  countFor(handler: i32): i32 {
    return this.queues[handler].count;
  }

  discardFor(handler: i32): i32 {
    return this.queues[handler].discardFor(handler);
  }

  /**
   * Counts one of `source`'s emits refused for a full queue at `now`; STORM_STARTED when that
   * makes it a storm (it is throttled from now on).
   */
  recordRefusal(source: i32, now: u64): i32 {
    const storm = this.storms[source];
    this.roll(storm, now);
    storm.refusals++;
    storm.totalRefusals++;
    if (storm.throttled || storm.refusals < STORM_REFUSALS) return STORM_UNCHANGED;
    storm.throttled = true;
    storm.nextRun = now + THROTTLE_INTERVAL_NANOSECONDS;
    return STORM_STARTED;
  }

  /** Ends `handler`'s storm once a whole window passed without a refusal; STORM_ENDED then. */
  settle(handler: i32, now: u64): i32 {
    const storm = this.storms[handler];
    const wasThrottled = storm.throttled;
    this.roll(storm, now);
    return wasThrottled && !storm.throttled ? STORM_ENDED : STORM_UNCHANGED;
  }

  /** Whether `handler` may run at `now`: it is not throttled, or its throttled turn has come. */
  turnDue(handler: i32, now: u64): bool {
    const storm = this.storms[handler];
    return !storm.throttled || now >= storm.nextRun;
  }

  /** Takes `handler`'s turn if it is due (turnDue); a throttled handler's next turn is then one interval on. */
  mayRun(handler: i32, now: u64): bool {
    if (!this.turnDue(handler, now)) return false;
    const storm = this.storms[handler];
    if (storm.throttled) storm.nextRun = now + THROTTLE_INTERVAL_NANOSECONDS;
    return true;
  }

  /** The earliest moment a throttled handler with waiting deliveries may run, or `wake` if sooner. */
  nextThrottledTurn(wake: u64): u64 {
    for (let i = 0; i < this.queues.length; i++) {
      const storm = this.storms[i];
      if (storm.throttled && this.queues[i].count > 0 && storm.nextRun < wake) wake = storm.nextRun;
    }
    return wake;
  }

  /** Starts a new window when the current one is over; a storm ends with a window without refusals. */
  private roll(storm: StormState, now: u64): void {
    if (now - storm.windowStart < STORM_WINDOW_NANOSECONDS) return;
    if (storm.throttled && storm.refusals == 0) storm.throttled = false;
    storm.refusals = 0;
    storm.windowStart = now;
  }
}
