// Host-test entry for the per-handler event queues and storm detection (kernel/events/handler_queues.ts).
import { Delivery } from "../../kernel/events/event_queue";
import { HandlerQueues } from "../../kernel/events/handler_queues";

let queues = new HandlerQueues(4, 16);
const taken = new Delivery();
const payload = new StaticArray<u8>(16);

export function queuesCreate(handlers: i32, depth: i32): void {
  queues = new HandlerQueues(depth, 16);
  for (let i = 0; i < handlers; i++) queues.add();
}
/** Adds one more handler whose queue is `depth` deep (system.toml queue); its index. */
export function queuesAdd(depth: i32): i32 { return queues.add(depth); }
export function queuesPost(handler: i32, source: u32): bool { return queues.post(handler, 3, source, 0, 0, changetype<usize>(payload), 0); }
export function queuesCount(handler: i32): i32 { return queues.countFor(handler); }
export function queuesDropped(handler: i32): u64 { return queues.queue(handler).dropped; }
/** The source of `handler`'s oldest delivery, taken; -1 when it has none. */
export function queuesTake(handler: i32): i64 { return queues.take(handler, taken, changetype<usize>(payload)) ? <i64>taken.source : -1; }
export function queuesNextSequence(): u64 { return queues.nextSequence; }
export function queuesDiscardPostedSince(sequence: u64): i32 { return queues.discardPostedSince(sequence); }
export function queuesRecordRefusal(source: i32, now: u64): i32 { return queues.recordRefusal(source, now); }
export function queuesSettle(handler: i32, now: u64): i32 { return queues.settle(handler, now); }
export function queuesMayRun(handler: i32, now: u64): bool { return queues.mayRun(handler, now); }
export function queuesThrottled(handler: i32): bool { return queues.storm(handler).throttled; }
