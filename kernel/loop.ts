// The kernel loop: thread 0's whole life after boot. Handler work first, then programs, then sleep.
//
//   ┌─► frames the NICs received, queued for the network stack (net/network.ts)
//   │   expire timers → one fair round of handler events (handlers/dispatcher.ts), and
//   │     more while they run something, no program is runnable and nothing was typed
//   │   decode input into the consoles (input/input.ts); a deploy (handlers/deploy.ts);
//   │   Ctrl-C stops a busy program;
//   │   reap ended programs; wake readers
//   │   input waiting? ──────────────────────────────────────────────────────────── again
//   │   a runnable program? switch to it for at most one slice while handlers have
//   │     work (frames waiting in a card are work), else until an interrupt, its
//   │     read or its end ───────────────────────────────────────────────────────── again
//   │   handler work, frames waiting or a deadline due already? ──────────────────── again
//   └── arm the APIC for the next deadline (or not at all), halt until an interrupt
//
// Between two rounds of handler work a runnable program always gets one time slice
// (PROGRAM_TIME_SLICE_NANOSECONDS): the foreground's guaranteed share, whatever handlers do.
//
// Everything here runs with interrupts off; they are on only while halted, while a handler
// runs (its budget timer must reach it) and while a program runs (preemption). Any device
// interrupt during a program brings the CPU back here, so pending handler events preempt
// the foreground at the next interrupt.

import { readTsc, waitForInterrupt } from "./arch/x86_64/machine";
import { localApicArm, localApicDisarm, localApicFiresWithin } from "./arch/x86_64/local_apic";
import { NO_DEADLINE } from "./events/timers";
import { dispatch, expireTimers, handlerWorkPending, nextWake, timerInterrupts } from "./handlers/dispatcher";
import { PROGRAM_TIME_SLICE_NANOSECONDS } from "./params";
import { inputPending, inputService } from "./input/input";
import { deployService } from "./handlers/deploy";
import { networkPending, networkService } from "./net/network";
import { stateLogFlushDue, stateLogService } from "./storage/state_log";
import { LEVEL_DEBUG, line, log, logShows } from "./log/log";
import { programsInterrupt, programsReap, programsRunnable, programsRunNext, programsWake } from "./programs/programs";
import { clockNanoseconds } from "./time/clock";

/** Rounds of handler work one pass of the loop may run while no program is runnable. */
const DISPATCH_ROUNDS_PER_PASS = 4;

/** Whether frames arrived since the loop last slept (see sleepTimer). */
let trafficSinceSleep = false;

/** Never returns: the system's main loop once booted. */
export function kernelLoop(): void {
  while (true) {
    if (networkService() > 0) trafficSinceSleep = true;       // frames received (queued for the stack, which runs now) and sent
    expireTimers(clockNanoseconds(readTsc()));
    dispatchRounds();
    inputService();
    deployService();                                           // a new handler version, swapped between rounds
    stateLogService(clockNanoseconds(readTsc()));              // group commits whose interval is up, flushed
    programsInterrupt();                                       // Ctrl-C stops a busy program
    programsReap();
    programsWake();
    if (inputPending()) continue;                              // typed since its service: take it now
    const now = clockNanoseconds(readTsc());
    // Frames waiting in a card (networkPending) are handler work too: under a flood there always
    // are some, and the foreground still gets its slice between rounds.
    const work = handlerWorkPending(now) || networkPending();
    const wake = min<u64>(nextWake(), stateLogFlushDue());
    const slice = work ? PROGRAM_TIME_SLICE_NANOSECONDS : wake == NO_DEADLINE ? NO_DEADLINE : wake > now ? wake - now : 0;
    if (slice > 0 && programsRunNext(slice)) continue;
    if (work || wake <= now) continue;
    sleepTimer(wake, now);
    waitForInterrupt();
    // loglevel=7 shows every wake: an idle machine should wake once per due timer, no more. Not
    // into the log ring otherwise: under load a line a wake would push everything else out of it.
    if (logShows(LEVEL_DEBUG)) log(LEVEL_DEBUG, line.clear().string("idle: woke; timer interrupts so far: ").decimal(timerInterrupts));
  }
}

/**
 * The pass's handler work: one round, and more (up to DISPATCH_ROUNDS_PER_PASS) while each
 * runs something and no program is runnable and nothing was typed, timers expiring between
 * them. A run's send then reaches the stack in the same pass: an echo's datagram, its run and
 * the stack's run that sends the reply take one pass instead of two or three, and a pass
 * costs its services (cards, input, deploy, state log, programs) each time (10% of the
 * guest's share of an echo: 89k cycles against 99k, six alternating runs).
 */
function dispatchRounds(): void {
  for (let round = 1; dispatch() > 0 && round < DISPATCH_ROUNDS_PER_PASS; round++) {
    if (programsRunnable() || inputPending()) return;
    expireTimers(clockNanoseconds(readTsc()));
  }
}

/**
 * Arms the timer for the loop's next deadline `wake` (or disarms it) before it sleeps.
 * After traffic, a timer a run armed for its budget is left as it is when it fires no later
 * than `wake`: the next frame's runs then need no timer write of their own (each is an exit
 * to the hypervisor in a VM), and when no frame comes, it wakes the loop once, early, which
 * arms for `wake` then. A wake without traffic arms for `wake`: an idle machine wakes once
 * per due timer.
 */
function sleepTimer(wake: u64, now: u64): void {
  const keep = trafficSinceSleep && localApicFiresWithin(wake - now);
  trafficSinceSleep = false;
  if (keep) return;
  if (wake == NO_DEADLINE) localApicDisarm();
  else localApicArm(wake - now);
}
