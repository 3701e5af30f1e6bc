// The foreground scheduling policy: which program's thread runs next, round robin.
//
// One slot per virtual console (the configuration's `[foreground] max`). A slot is free,
// runnable, waiting for input, or ended (its thread is done and waits to be reaped). The
// kernel loop asks pickNext() whenever the CPU is free of handler work:
//
//   slots:   [ runnable ] [ waiting ] [ runnable ] [ free ]
//                 ▲ last                  ▲ next
//
// the search starts after the slot that ran last, so runnable programs take turns; a
// waiting program is skipped until its console has a line (wake()). With more than one
// runnable, the one chosen gets a time slice; alone, it runs until an interrupt brings the
// kernel work. Pure policy: no hardware, so tests/host drive it directly.

export const SLOT_FREE: u8 = 0;
export const SLOT_RUNNABLE: u8 = 1;
export const SLOT_WAITING: u8 = 2;
export const SLOT_ENDED: u8 = 3;

export class Scheduler {
  private readonly states: StaticArray<u8>;
  /** The slot chosen last (-1 before the first). */
  last: i32 = -1;
  /** How often each slot was chosen. */
  readonly turns: StaticArray<u64>;

  constructor(readonly slots: i32) {
    this.states = new StaticArray<u8>(slots);
    this.turns = new StaticArray<u64>(slots);
  }

  state(slot: i32): u8 {
    return this.states[slot];
  }

  /** The first free slot, or -1 when every slot is taken. */
  freeSlot(): i32 {
    for (let slot = 0; slot < this.slots; slot++) if (this.states[slot] == SLOT_FREE) return slot;
    return -1;
  }

  occupy(slot: i32): void {
    this.states[slot] = SLOT_RUNNABLE;
    this.turns[slot] = 0;
  }

  /** The program in `slot` asked for input and there was none. */
  wait(slot: i32): void {
    if (this.states[slot] == SLOT_RUNNABLE) this.states[slot] = SLOT_WAITING;
  }

  /** Input arrived for `slot`. */
  wake(slot: i32): void {
    if (this.states[slot] == SLOT_WAITING) this.states[slot] = SLOT_RUNNABLE;
  }

  /** The program in `slot` is done (returned, trapped or stopped); reap() frees the slot. */
  end(slot: i32): void {
    if (this.states[slot] != SLOT_FREE) this.states[slot] = SLOT_ENDED;
  }

  reap(slot: i32): void {
    this.states[slot] = SLOT_FREE;
  }

  /** The program in `slot` ended and the one that waited for it there runs again. */
  resume(slot: i32): void {
    this.states[slot] = SLOT_RUNNABLE;
  }

  runnableCount(): i32 {
    let count = 0;
    for (let slot = 0; slot < this.slots; slot++) if (this.states[slot] == SLOT_RUNNABLE) count++;
    return count;
  }

  /** The next runnable slot after the last one chosen, which becomes the last; -1 when none is runnable. */
  pickNext(): i32 {
    for (let step = 1; step <= this.slots; step++) {
      const slot = (this.last + step + this.slots) % this.slots;
      if (this.states[slot] != SLOT_RUNNABLE) continue;
      this.last = slot;
      this.turns[slot]++;
      return slot;
    }
    return -1;
  }

  /** Whether the slot about to run must be preempted after a time slice (someone else is runnable too). */
  needsTimeSlice(): bool {
    return this.runnableCount() > 1;
  }
}
