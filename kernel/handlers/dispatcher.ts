// Handler dispatch: expire timers, run queued events in fair rounds (the kernel loop, loop.ts, calls it).
//
// A round gives every handler that may run at most one of its queued deliveries, starting
// one handler further on each round, and then returns: events emitted during a round wait
// for the next one, so the loop services input and lets a foreground program have its
// slice between rounds (loop.ts). No handler, and no set of handlers, can keep the others,
// the timers, input or the programs from running (docs/handlers.md, "Fair dispatch").
//
// A run is a transaction: when it traps or overruns, boot/ rolls back its memory and
// globals, the events it emitted are withdrawn, its log lines are marked "(rolled back)"
// (run_log.ts), and its event goes back to the front of its queue, to be retried once the
// handler's back-off has passed (or dropped if the handler is quarantined). The first
// failure of a streak is a warning; its retries are logged at debug level, and the run that
// ends the streak says how many there were. One run may emit at most EMITS_PER_RUN_MAX events.
//
// Tickless: after each round the kernel loop arms the local APIC for nextWake() — the
// earliest of the next timer deadline, the next back-off expiry or throttled turn of a
// handler with waiting events — or not at all. The timer interrupt only counts and
// acknowledges; all work happens in the loop, with interrupts off.

import { localApicArm, localApicArmWithin, localApicEndOfInterrupt } from "../arch/x86_64/local_apic";
import { readTsc } from "../arch/x86_64/machine";
import { moduleHandle, moduleRequestStop } from "../arch/x86_64/modules";
import { EVENT_TIMER } from "../events/event_queue";
import { EVENT_UPGRADE } from "../gate/interface";
import { stateLogCommitted } from "../storage/state_log";
import { dropPending } from "../storage/data_files";
import { recordFailure, recordSuccess, runnable, SupervisionPolicy } from "../events/supervision";
import { takeFailure } from "../gate/callers";
import { DIRTY_PAGES_MAX, TRAP_ABORT, TRAP_DIRTY_LIMIT, TRAP_MEMORY_LIMIT, TRAP_OVERRUN, trapText } from "../gate/interface";
import { Text } from "../console/text";
import { LEVEL_DEBUG, LEVEL_INFO, LEVEL_WARNING, line, log } from "../log/log";
import { runLogRelease } from "./run_log";
import { HANDLER_STOP_RETRY_NANOSECONDS, PAGE_BYTES } from "../params";
import { netEventFailed, netRunRolledBack } from "../gate/net_calls";
import { EVENT_UDP } from "../gate/interface";
import { moduleFootprint } from "../arch/x86_64/modules";
import { clockNanoseconds } from "../time/clock";
import { delivery, deliveryPayload, eventQueues, Handler, handlerReset, handlers, handlerTimers, postTo } from "./registry";
import { STORM_ENDED } from "../events/handler_queues";
import { EMITS_PER_RUN_MAX } from "../gate/interface";

const policy = new SupervisionPolicy();
/** The handler the next round starts with. */
let roundStart: i32 = 0;
/** Events the running handler's run has emitted so far. */
let runEmits: i32 = 0;
/** The handler running now (-1: none) and when its budget ends (nanoseconds since boot). */
export let runningHandler: i32 = -1;
let runningBudgetEnd: u64 = 0;
export let timerInterrupts: u64 = 0;

/**
 * The timer interrupt. Between runs it only wakes the loop. During a run whose budget is
 * over, boot/ is asked to stop the handler, and a short timer makes sure it is caught once
 * it is back in its own code; before that (the timer was armed for an earlier run, which
 * this one shares: runModule), it is armed again for the rest of the budget.
 */
export function dispatcherTimerInterrupt(): void {
  timerInterrupts++;
  localApicEndOfInterrupt();
  if (runningHandler < 0) return;
  const now = clockNanoseconds(readTsc());
  if (now < runningBudgetEnd) {
    localApicArm(runningBudgetEnd - now);
    return;
  }
  moduleRequestStop();
  localApicArm(HANDLER_STOP_RETRY_NANOSECONDS);
}

/** Posts an event for every timer due at `now`. */
export function expireTimers(now: u64): void {
  for (let due = handlerTimers.takeDue(now); due >= 0; due = handlerTimers.takeDue(now)) {
    postTo(handlerTimers.timer(due).handler, EVENT_TIMER, <u32>due, 0, now, 0, 0);
  }
}

/**
 * One round: every handler that may run now gets at most one of its queued deliveries, in
 * turn from `roundStart`. Returns how many runs happened.
 */
export function dispatch(): i32 {
  let runs = 0;
  const count = handlers.length;
  let now = clockNanoseconds(readTsc()); // read again after each run: a turn with no work reads no clock
  for (let turn = 0; turn < count; turn++) {
    const index = (roundStart + turn) % count;
    settleStorm(index, now);
    // A throttled storm waits for its turn (mayRun then takes that turn).
    if (!hasRunnableWork(index, now) || !eventQueues.mayRun(index, now)) continue;
    if (!eventQueues.take(index, delivery, changetype<usize>(deliveryPayload))) continue;
    runOne(index);
    runs++;
    // The network stack may take a few more (deliveriesPerRound), each its own run, while it has them and may run.
    now = clockNanoseconds(readTsc());
    for (let more = 1; more < handlers[index].deliveriesPerRound; more++) {
      if (!hasRunnableWork(index, now) || !eventQueues.mayRun(index, now)) break;
      if (!eventQueues.take(index, delivery, changetype<usize>(deliveryPayload))) break;
      runOne(index);
      runs++;
      now = clockNanoseconds(readTsc());
    }
  }
  if (count > 0) roundStart = (roundStart + 1) % count;
  return runs;
}

/** Whether handler `index` has deliveries and may run at `now` (not quarantined or backing off). */
function hasRunnableWork(index: i32, now: u64): bool {
  return runnable(handlers[index].health, now) && eventQueues.countFor(index) > 0;
}

/** Runs `delivery` on `module` as handler `index`'s transaction, within its budget; the trap that ended it (0: committed). */
function runModule(index: i32, module: i32): u32 {
  const budget = handlers[index].budget;
  runningHandler = index;
  runEmits = 0;
  runCallees.length = 0;
  runningBudgetEnd = clockNanoseconds(readTsc()) + budget;
  // The timer is left armed after the run: the next run (or the loop, before it sleeps) arms it only when it must.
  // Armed for the shortest budget, it serves every run that follows until it fires (a longer
  // budget takes the early interrupt and arms for its rest): one timer write per wake and per
  // shortest budget under load, not one per run (each write is an exit to the hypervisor).
  localApicArmWithin(budget, shortestBudget);
  const trap = moduleHandle(module, delivery.kind, delivery.source, delivery.name, delivery.timestamp, delivery.payloadLength);
  runningHandler = -1;
  return trap;
}

/** The shortest budget of any handler (the budget timer's arming, when a run must arm it: runModule). */
function shortestBudget(): u64 {
  let shortest = U64.MAX_VALUE;
  for (let i = 0; i < handlers.length; i++) shortest = min<u64>(shortest, handlers[i].budget);
  return shortest;
}

/**
 * A live upgrade's first run (handlers/upgrade.ts): `module`, the new version of handler
 * `index`, gets EVENT_UPGRADE with the previous version as payload, as a transaction of
 * its own. A trap withdraws what it emitted and posted and marks its log lines; the caller
 * then keeps the old version. Returns the trap (0: committed).
 */
export function runMigration(index: i32, module: i32, previousVersion: string): u32 {
  const firstEmitted = eventQueues.nextSequence;
  const length = String.UTF8.encodeUnsafe(changetype<usize>(previousVersion), previousVersion.length, changetype<usize>(deliveryPayload));
  delivery.kind = <u8>EVENT_UPGRADE;
  delivery.source = <u32>index;
  delivery.name = 0;
  delivery.timestamp = clockNanoseconds(readTsc());
  delivery.payloadLength = <i32>length;
  const trap = runModule(index, module);
  if (trap != 0) {
    eventQueues.discardPostedSince(firstEmitted);
    dropPending(0);
  }
  runLogRelease(handlers[index].name, trap != 0, false);
  return trap;
}

/** Runs `delivery` (just taken from handler `index`'s queue) as a transaction. */
function runOne(index: i32): void {
  const handler = handlers[index];
  const firstEmitted = eventQueues.nextSequence;
  const trap = runModule(index, handler.module);
  if (trap == 0) {
    runLogRelease(handler.name, false, false);
    // Durable before the next run (durability "commit"): this handler's changes, and those of every handler it called.
    stateLogCommitted(index);
    for (let i = 0; i < runCallees.length; i++) stateLogCommitted(runCallees[i]);
    const failedBefore = handler.health.consecutiveFailures;
    recordSuccess(handler.health);
    if (failedBefore > 1) {
      log(LEVEL_INFO, line.clear().string("handlers: '").string(handler.name).string("' ran again after ").decimal(failedBefore)
        .string(" failed runs (the repeats are logged at debug level: log debug)"));
    }
    return;
  }
  // The run never happened: what it emitted is withdrawn, and its event waits for the retry.
  eventQueues.discardPostedSince(firstEmitted);
  netRunRolledBack(firstEmitted);
  dropPending(0); // its file changes (and those of the handlers it called)
  if (!handler.transactional) {
    // No snapshot to roll back to (the network stack): its memory is as the trap left it, so it starts afresh.
    recordFailure(handler.health, policy, clockNanoseconds(readTsc()), trap);
    runLogRelease(handler.name, true, false);
    handler.lastFailure.set(describeFailure(handler, trap));
    log(LEVEL_WARNING, line.clear().string("handlers: '").string(handler.name).string("' ").kept(handler.lastFailure)
      .string("; it runs without snapshots, so it is reset: what it held is gone and it starts afresh"));
    handlerReset(index);
    return;
  }
  const quarantined = recordFailure(handler.health, policy, clockNanoseconds(readTsc()), trap);
  // One failure is news; the retries of the same streak are told at debug level, until the end of it.
  const repeat = handler.health.consecutiveFailures > 1 && !quarantined;
  runLogRelease(handler.name, true, repeat);
  // A network event is not retried: its datagram dropped, its connection reset (net_calls.ts).
  const dropped = netEventFailed(delivery.kind, delivery.source);
  if (!quarantined && !dropped) eventQueues.pushFront(delivery, changetype<usize>(deliveryPayload));
  handler.lastFailure.set(describeFailure(handler, trap));
  log(repeat ? LEVEL_DEBUG : LEVEL_WARNING, line.clear().string("handlers: '").string(handler.name).string("' ")
    .kept(handler.lastFailure).string("; run rolled back, state kept").string(dropped ? (delivery.kind == <u8>EVENT_UDP ? "; datagram dropped" :
      "; connection reset") : "").string(quarantined ? "; quarantined" : "; backing off"));
  if (quarantined) {
    eventQueues.discardFor(index);
    handlerTimers.stopFor(index);
  }
}

/** The handlers the running run called (each once): their changes commit with its own. */
const runCallees = new Array<i32>();

/** Notes that the running run called handler `index` (gate/module_calls.ts). */
export function noteCallee(index: i32): void {
  if (!runCallees.includes(index)) runCallees.push(index);
}

/** Which handler runs now: a synchronous call (gate/module_calls.ts) runs the callee inside the caller's run. */
export function setRunningHandler(index: i32): void {
  runningHandler = index;
}

/** Whether the running handler's run may emit one more event (and counts it). */
export function runMayEmit(): bool {
  if (runEmits >= EMITS_PER_RUN_MAX) return false;
  runEmits++;
  return true;
}

/** Logs the end of handler `index`'s storm, once a window passed without a refused emit. */
function settleStorm(index: i32, now: u64): void {
  if (eventQueues.settle(index, now) != STORM_ENDED) return;
  log(LEVEL_WARNING, line.clear().string("events: '").string(handlers[index].name)
    .string("' stopped flooding; no longer throttled"));
}

/** Whether some handler has a delivery it may run now (the loop then gives a program one slice and comes back). */
export function handlerWorkPending(now: u64): bool {
  for (let i = 0; i < handlers.length; i++) {
    if (hasRunnableWork(i, now) && eventQueues.turnDue(i, now)) return true;
  }
  return false;
}

/** The earliest moment anything can happen: a timer, or a backed-off handler with waiting events. */
export function nextWake(): u64 {
  let wake = handlerTimers.nextDeadline();
  for (let i = 0; i < handlers.length; i++) {
    const health = handlers[i].health;
    if (!health.quarantined && health.retryAt < wake && eventQueues.countFor(i) > 0) wake = health.retryAt;
  }
  return eventQueues.nextThrottledTurn(wake);
}

const failure = new Text();

/**
 * A failed run of `module` (by default the handler's) in words: what the module said when it
 * aborted, or which limit it hit. The text is this file's, valid until the next failure.
 */
export function describeFailure(handler: Handler, trap: u32, module: i32 = handler.module): Text {
  failure.clear();
  if (trap == TRAP_OVERRUN) failure.string("overran its ").duration(handler.budget).string(" budget");
  else if (trap == TRAP_ABORT) takeFailure(module, failure.string("aborted: "));
  else if (trap == TRAP_MEMORY_LIMIT) failure.string("memory limit ").size(moduleFootprint(module, 3)).string(" reached");
  else if (trap == TRAP_DIRTY_LIMIT) {
    failure.string("changed more than ").decimal(DIRTY_PAGES_MAX).string(" pages (").size(<u64>DIRTY_PAGES_MAX * PAGE_BYTES)
      .string(") in one run, the snapshot's dirty-page cap");
  } else failure.string("trapped (").string(trapText(trap)).string(")");
  return failure;
}
