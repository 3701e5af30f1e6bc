// The kernel loop: thread 0's whole life after boot. Handler work first, then programs, then sleep.
//
//   ┌─► expire timers → run queued handler events (handlers/dispatcher.ts)
//   │   decode input into the consoles (input/input.ts); reap ended programs; wake readers
//   │   handler work due already, or input waiting? ─────────────────────────────── again
//   │   a runnable program? switch to it until an interrupt, its read or its end ── again
//   └── arm the APIC for the next deadline (or not at all), halt until an interrupt
//
// Everything here runs with interrupts off; they are on only while halted, while a handler
// runs (its budget timer must reach it) and while a program runs (preemption). Any device
// interrupt during a program brings the CPU back here, so pending handler events preempt
// the foreground at the next interrupt.

import { readTsc, waitForInterrupt } from "./arch/x86_64/machine";
import { localApicArm, localApicDisarm } from "./arch/x86_64/local_apic";
import { NO_DEADLINE } from "./events/timers";
import { dispatch, expireTimers, nextWake, timerInterrupts } from "./handlers/dispatcher";
import { inputPending, inputService } from "./input/input";
import { LEVEL_DEBUG, line, log } from "./log/log";
import { programsReap, programsRunNext, programsWake } from "./programs/programs";
import { clockNanoseconds } from "./time/clock";

/** Never returns: the system's main loop once booted. */
export function kernelLoop(): void {
  while (true) {
    expireTimers(clockNanoseconds(readTsc()));
    dispatch();
    inputService();
    programsReap();
    programsWake();
    const wake = nextWake();
    const now = clockNanoseconds(readTsc());
    if (wake <= now || inputPending()) continue;
    if (programsRunNext(wake == NO_DEADLINE ? NO_DEADLINE : wake - now)) continue;
    if (wake == NO_DEADLINE) localApicDisarm();
    else localApicArm(wake - now);
    waitForInterrupt();
    // loglevel=7 shows every wake: an idle machine should wake once per due timer, no more.
    log(LEVEL_DEBUG, line.clear().string("idle: woke; timer interrupts so far: ").decimal(timerInterrupts));
  }
}
