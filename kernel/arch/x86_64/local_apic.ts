// Local APIC timer: one-shot countdowns to the next deadline (tickless), and end-of-interrupt.

import { mapDevice, physicalRead32, physicalWrite32, readMsr, readTsc } from "./machine";

// Registers, as offsets from the APIC base (Intel SDM vol. 3, table 11-1).
const END_OF_INTERRUPT: u64 = 0x0b0;
const SPURIOUS_VECTOR: u64 = 0x0f0;
const TIMER_VECTOR_TABLE: u64 = 0x320;
const TIMER_INITIAL_COUNT: u64 = 0x380;
const TIMER_CURRENT_COUNT: u64 = 0x390;
const TIMER_DIVIDE: u64 = 0x3e0;
const LOCAL_INTERRUPT_0: u64 = 0x350;

const APIC_BASE_MSR: u32 = 0x1b;
const APIC_BASE_ADDRESS_MASK: u64 = 0xffff_ffff_f000;
const SOFTWARE_ENABLE: u32 = 0x100;
const TIMER_MASKED: u32 = 0x10000;
const DIVIDE_BY_16: u32 = 0x3;
/** LINT0 delivers the 8259 PIC's interrupts as they are (virtual-wire mode), as firmware usually leaves it. */
const DELIVERY_EXTERNAL_INTERRUPT: u32 = 0x700;
const CALIBRATION_DIVISOR: u64 = 1000; // measure over 1 ms of TSC

/** Vector of the timer interrupt and of spurious APIC interrupts (low nibble must be 1111). */
export const TIMER_VECTOR: u32 = 32;
export const SPURIOUS_INTERRUPT_VECTOR: u32 = 47;

let base: u64 = 0;
/** Timer ticks (after the divider) per second, and the TSC's cycles per millisecond. */
let ticksPerSecond: u64 = 0;
let tscPerMillisecond: u64 = 0;
/** The TSC when the armed timer fires (0: not armed): kept as it is armed, so checking it costs no register access. */
let firesAt: u64 = 0;
/** Whether the timer's vector entry is unmasked already (arming then writes the count only). */
let vectorSet = false;

function write(register: u64, value: u32): void {
  physicalWrite32(base + register, value);
}

/** Enables the APIC and measures its timer against the TSC; returns the timer's ticks per second. */
export function localApicInitialize(tscHz: u64): u64 {
  base = readMsr(APIC_BASE_MSR) & APIC_BASE_ADDRESS_MASK;
  mapDevice(base, 4096); // a 4 KiB page of its own (boot/paging.c: a 2 MiB one widens QEMU's TLB flushes)
  write(SPURIOUS_VECTOR, SOFTWARE_ENABLE | SPURIOUS_INTERRUPT_VECTOR);
  write(LOCAL_INTERRUPT_0, DELIVERY_EXTERNAL_INTERRUPT);
  write(TIMER_DIVIDE, DIVIDE_BY_16);
  write(TIMER_VECTOR_TABLE, TIMER_MASKED | TIMER_VECTOR);
  write(TIMER_INITIAL_COUNT, 0xffff_ffff);
  const start = readTsc();
  while (readTsc() - start < tscHz / CALIBRATION_DIVISOR) {}
  const elapsed = 0xffff_ffff - physicalRead32(base + TIMER_CURRENT_COUNT);
  write(TIMER_INITIAL_COUNT, 0);
  ticksPerSecond = <u64>elapsed * CALIBRATION_DIVISOR;
  tscPerMillisecond = tscHz / 1000;
  return ticksPerSecond;
}

/**
 * Interrupt once after `nanoseconds` (at least one tick; longer than the counter can hold
 * is cut short, and the caller re-arms when it wakes with nothing due).
 */
export function localApicArm(nanoseconds: u64): void {
  let ticks = nanoseconds / 1000 * ticksPerSecond / 1_000_000;
  if (ticks == 0) ticks = 1;
  if (ticks > 0xffff_ffff) ticks = 0xffff_ffff;
  if (!vectorSet) write(TIMER_VECTOR_TABLE, TIMER_VECTOR);
  vectorSet = true;
  write(TIMER_INITIAL_COUNT, <u32>ticks);
  firesAt = readTsc() + ticks * tscPerMillisecond / (ticksPerSecond / 1000);
}

/**
 * Whether the armed timer fires within `nanoseconds` from now (and has not fired yet).
 * Read from what was armed, so asking costs no register access: under QEMU each access to
 * the timer is an exit to the hypervisor, costly, so callers that only need the timer to
 * fire soon enough (a run's budget, the loop's next deadline) keep an earlier arming. The
 * interrupt then comes early, and whoever takes it arms again for the rest.
 */
export function localApicFiresWithin(nanoseconds: u64): bool {
  const now = readTsc();
  if (firesAt <= now || tscPerMillisecond == 0) return false;
  return (firesAt - now) * 1000 / tscPerMillisecond * 1000 <= nanoseconds;
}

/**
 * Makes sure the timer fires within `nanoseconds`: when it is not armed to fire that soon
 * already, arms it for what `armFor` says (asked only then; at most `nanoseconds`, and
 * sooner lets the runs that follow share the arming: dispatcher.ts).
 */
export function localApicArmWithin(nanoseconds: u64, armFor: () => u64): void {
  if (!localApicFiresWithin(nanoseconds)) localApicArm(min<u64>(armFor(), nanoseconds));
}

/** localApicRemaining's answer when no timer is armed (or it already fired). */
export const LOCAL_APIC_NOT_ARMED: u64 = 0xffff_ffff_ffff_ffff;

/** Nanoseconds until the armed timer fires, or LOCAL_APIC_NOT_ARMED: so a wait that arms its own can put it back. */
export function localApicRemaining(): u64 {
  const ticks = <u64>physicalRead32(base + TIMER_CURRENT_COUNT);
  if (ticks == 0 || ticksPerSecond == 0) return LOCAL_APIC_NOT_ARMED;
  return ticks * 1_000_000 / ticksPerSecond * 1000;
}

export function localApicDisarm(): void {
  write(TIMER_INITIAL_COUNT, 0);
  firesAt = 0;
}

export function localApicEndOfInterrupt(): void {
  write(END_OF_INTERRUPT, 0);
}
