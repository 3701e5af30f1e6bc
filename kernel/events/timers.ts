// Timers for handlers: one-shot ("after") and periodic ("every"), tickless by design.
//
// Times are nanoseconds since boot. The kernel asks `nextDeadline()` and programs the
// hardware timer for exactly that moment (nothing when there is no timer), so an idle
// machine takes one interrupt per due timer and none in between. `takeDue(now)` hands out
// the due timers one at a time. A periodic timer that fell behind (the machine was busy)
// fires once and skips the periods it missed, counting them, instead of firing in a burst.

export const NO_DEADLINE: u64 = u64.MAX_VALUE;

export class Timer {
  handler: i32 = -1;
  /** 0 for a one-shot timer. */
  period: u64 = 0;
  deadline: u64 = NO_DEADLINE;
  active: bool = false;
  /** Periods skipped because the timer was serviced late. */
  missed: u64 = 0;
  fired: u64 = 0;
}

export class TimerSet {
  private readonly timers: StaticArray<Timer>;
  count: i32 = 0;

  constructor(readonly capacity: i32) {
    const timers = new StaticArray<Timer>(capacity);
    for (let i = 0; i < capacity; i++) timers[i] = new Timer();
    this.timers = timers;
  }

  /** Adds a timer first due at `now + delay`; returns its index, or -1 when the set is full. */
  add(handler: i32, now: u64, delay: u64, period: u64): i32 {
    if (this.count == this.capacity) return -1;
    const timer = this.timers[this.count];
    timer.handler = handler;
    timer.period = period;
    timer.deadline = now + delay;
    timer.active = true;
    timer.missed = 0;
    timer.fired = 0;
    return this.count++;
  }

  timer(index: i32): Timer {
    return this.timers[index];
  }

  /** The earliest deadline of any active timer, or NO_DEADLINE. */
  nextDeadline(): u64 {
    let earliest = NO_DEADLINE;
    for (let i = 0; i < this.count; i++) {
      const timer = this.timers[i];
      if (timer.active && timer.deadline < earliest) earliest = timer.deadline;
    }
    return earliest;
  }

  /** The index of a timer due at `now`, advanced past `now` (or retired if one-shot); -1 if none. */
  takeDue(now: u64): i32 {
    for (let i = 0; i < this.count; i++) {
      const timer = this.timers[i];
      if (!timer.active || timer.deadline > now) continue;
      timer.fired++;
      if (timer.period == 0) {
        timer.active = false;
        timer.deadline = NO_DEADLINE;
      } else {
        const late = (now - timer.deadline) / timer.period;
        timer.missed += late;
        timer.deadline += (late + 1) * timer.period;
      }
      return i;
    }
    return -1;
  }

  /** Stops every timer of `handler` (quarantine); returns how many were active. */
  stopFor(handler: i32): i32 {
    let stopped = 0;
    for (let i = 0; i < this.count; i++) {
      if (this.timers[i].handler == handler && this.timers[i].active) {
        this.timers[i].active = false;
        stopped++;
      }
    }
    return stopped;
  }

  /** Starts `handler`'s periodic timers again, first due a period from `now` (a reset after quarantine). */
  restartFor(handler: i32, now: u64): void {
    for (let i = 0; i < this.count; i++) {
      const timer = this.timers[i];
      if (timer.handler != handler || timer.period == 0 || timer.active) continue;
      timer.active = true;
      timer.deadline = now + timer.period;
    }
  }
}
