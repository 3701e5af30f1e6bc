// Host-test entry for the local APIC's timer (kernel/arch/x86_64/local_apic.ts): arming, and
// arming only when the timer would fire too late, against registers in the fake machine's memory.
import { localApicArm, localApicArmWithin, localApicDisarm, localApicFiresWithin, localApicInitialize } from "../../kernel/arch/x86_64/local_apic";

export function initialize(tscHz: u64): u64 {
  return localApicInitialize(tscHz);
}

export function arm(nanoseconds: u64): void {
  localApicArm(nanoseconds);
}

let armForNanoseconds: u64 = 0;
/** How often armWithin asked how long to arm for. */
let armForAsked: i32 = 0;

function armFor(): u64 {
  armForAsked++;
  return armForNanoseconds;
}

export function armWithin(nanoseconds: u64, armForThat: u64): void {
  armForNanoseconds = armForThat;
  localApicArmWithin(nanoseconds, armFor);
}

export function timesAsked(): i32 {
  return armForAsked;
}

export function firesWithin(nanoseconds: u64): bool {
  return localApicFiresWithin(nanoseconds);
}

export function disarm(): void {
  localApicDisarm();
}
