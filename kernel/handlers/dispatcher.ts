// Handler dispatch: expire timers, run runnable handlers in posting order (the kernel loop, loop.ts, calls it).
//
// A run is a transaction: when it traps or overruns, boot/ rolls back its memory and
// globals, the events it emitted are withdrawn, and its event goes back to the front of the
// queue, to be retried once the handler's back-off has passed (or dropped if the handler is
// quarantined).
//
// Tickless: after each round the kernel loop arms the local APIC for nextWake() — the
// earliest of the next timer deadline and the next back-off expiry of a handler with
// waiting events — or not at all. The timer interrupt only counts and acknowledges; all
// work happens in the loop, with interrupts off.

import { localApicArm, localApicDisarm, localApicEndOfInterrupt } from "../arch/x86_64/local_apic";
import { readTsc } from "../arch/x86_64/machine";
import { moduleHandle, moduleRequestStop } from "../arch/x86_64/modules";
import { EVENT_TIMER } from "../events/event_queue";
import { recordFailure, recordSuccess, runnable, SupervisionPolicy } from "../events/supervision";
import { takeFailure } from "../gate/callers";
import { DIRTY_PAGES_MAX, HANDLERS_MAX, TRAP_ABORT, TRAP_DIRTY_LIMIT, TRAP_MEMORY_LIMIT, TRAP_OVERRUN, trapText } from "../gate/interface";
import { Text } from "../console/text";
import { LEVEL_WARNING, line, log } from "../log/log";
import { HANDLER_STOP_RETRY_NANOSECONDS, PAGE_BYTES } from "../params";
import { moduleFootprint } from "../arch/x86_64/modules";
import { clockNanoseconds } from "../time/clock";
import { delivery, deliveryPayload, eventQueue, Handler, handlers, handlerTimers, postTo } from "./registry";

const policy = new SupervisionPolicy();
const allowed = new StaticArray<bool>(HANDLERS_MAX);
/** The handler running now (-1: none) and when its budget ends (nanoseconds since boot). */
export let runningHandler: i32 = -1;
let runningBudgetEnd: u64 = 0;
export let timerInterrupts: u64 = 0;

/**
 * The timer interrupt. Between runs it only wakes the loop. During a run it means the
 * budget is over: boot/ is asked to stop the handler, and a short timer makes sure it is
 * caught once it is back in its own code.
 */
export function dispatcherTimerInterrupt(): void {
  timerInterrupts++;
  localApicEndOfInterrupt();
  if (runningHandler < 0) return;
  if (clockNanoseconds(readTsc()) >= runningBudgetEnd) moduleRequestStop();
  localApicArm(HANDLER_STOP_RETRY_NANOSECONDS);
}

/** Posts an event for every timer due at `now`. */
export function expireTimers(now: u64): void {
  for (let due = handlerTimers.takeDue(now); due >= 0; due = handlerTimers.takeDue(now)) {
    postTo(handlerTimers.timer(due).handler, EVENT_TIMER, <u32>due, 0, now, 0, 0);
  }
}

/** Runs queued events of runnable handlers until none is left; returns how many runs happened. */
export function dispatch(): i32 {
  let runs = 0;
  const now = clockNanoseconds(readTsc());
  for (let i = 0; i < handlers.length; i++) allowed[i] = runnable(handlers[i].health, now);
  while (eventQueue.takeAllowed(allowed, delivery, changetype<usize>(deliveryPayload))) {
    const index = delivery.handler;
    const handler = handlers[index];
    const firstEmitted = eventQueue.nextSequence;
    runningHandler = index;
    runningBudgetEnd = clockNanoseconds(readTsc()) + handler.budget;
    localApicArm(handler.budget);
    const trap = moduleHandle(handler.module, delivery.kind, delivery.source, delivery.name, delivery.timestamp,
      delivery.payloadLength);
    localApicDisarm();
    runningHandler = -1;
    runs++;
    if (trap == 0) {
      recordSuccess(handler.health);
      continue;
    }
    allowed[index] = false;
    // The run never happened: what it emitted is withdrawn, and its event waits for the retry.
    eventQueue.discardPostedSince(firstEmitted);
    const quarantined = recordFailure(handler.health, policy, clockNanoseconds(readTsc()), trap);
    if (!quarantined) eventQueue.pushFront(delivery, changetype<usize>(deliveryPayload));
    handler.lastFailure = describeFailure(handler, trap);
    log(LEVEL_WARNING, line.clear().string("handlers: '").string(handler.name).string("' ").string(handler.lastFailure)
      .string("; run rolled back, state kept").string(quarantined ? "; quarantined" : "; backing off"));
    if (quarantined) {
      eventQueue.discardFor(index);
      handlerTimers.stopFor(index);
    }
  }
  return runs;
}

/** The earliest moment anything can happen: a timer, or a backed-off handler with waiting events. */
export function nextWake(): u64 {
  let wake = handlerTimers.nextDeadline();
  for (let i = 0; i < handlers.length; i++) {
    const health = handlers[i].health;
    if (!health.quarantined && health.retryAt < wake && eventQueue.countFor(i) > 0) wake = health.retryAt;
  }
  return wake;
}

const failure = new Text();

/** A failed run in words: what the module said when it aborted, or which limit it hit. */
export function describeFailure(handler: Handler, trap: u32): string {
  failure.clear();
  if (trap == TRAP_OVERRUN) failure.string("overran its ").duration(handler.budget).string(" budget");
  else if (trap == TRAP_ABORT) failure.string("aborted: ").string(takeFailure(handler.module));
  else if (trap == TRAP_MEMORY_LIMIT) failure.string("memory limit ").size(moduleFootprint(handler.module, 3)).string(" reached");
  else if (trap == TRAP_DIRTY_LIMIT) {
    failure.string("changed more than ").decimal(DIRTY_PAGES_MAX).string(" pages (").size(<u64>DIRTY_PAGES_MAX * PAGE_BYTES)
      .string(") in one run, the snapshot's dirty-page cap");
  } else failure.string("trapped (").string(trapText(trap)).string(")");
  return String.UTF8.decodeUnsafe(failure.pointer, failure.length);
}
