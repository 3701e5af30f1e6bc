// Host-test entry for the foreground scheduling policy (kernel/programs/scheduler.ts).

import { Scheduler } from "../../kernel/programs/scheduler";

let scheduler = new Scheduler(4);

export function create(slots: i32): void { scheduler = new Scheduler(slots); }
export function freeSlot(): i32 { return scheduler.freeSlot(); }
export function occupy(slot: i32): void { scheduler.occupy(slot); }
export function wait(slot: i32): void { scheduler.wait(slot); }
export function wake(slot: i32): void { scheduler.wake(slot); }
export function end(slot: i32): void { scheduler.end(slot); }
export function reap(slot: i32): void { scheduler.reap(slot); }
export function state(slot: i32): u8 { return scheduler.state(slot); }
export function pickNext(): i32 { return scheduler.pickNext(); }
export function needsTimeSlice(): bool { return scheduler.needsTimeSlice(); }
export function turns(slot: i32): u64 { return scheduler.turns[slot]; }
