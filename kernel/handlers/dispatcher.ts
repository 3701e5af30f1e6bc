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
import { recordFailure, recordSuccess, runnable, SupervisionPolicy, TRAP_OVERRUN } from "../events/supervision";
import { LEVEL_WARNING, line, log } from "../log/log";
import { trapName } from "../panic";
import { HANDLER_STOP_RETRY_NANOSECONDS, HANDLERS_MAX } from "../params";
import { clockNanoseconds } from "../time/clock";
import { delivery, deliveryPayload, eventQueue, handlers, handlerTimers, postTo } from "./registry";

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
    log(LEVEL_WARNING, line.clear().string("handlers: '").string(handler.name).string("' ")
      .string(trap == TRAP_OVERRUN ? "overran its budget" : "trapped (").string(trap == TRAP_OVERRUN ? "" : trapName(trap))
      .string(trap == TRAP_OVERRUN ? "" : ")").string("; run rolled back, state kept")
      .string(quarantined ? "; quarantined" : "; backing off"));
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
