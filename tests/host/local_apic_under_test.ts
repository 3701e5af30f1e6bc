// Host-test entry for the local APIC's timer (kernel/arch/x86_64/local_apic.ts): arming, and
// arming only when the timer would fire too late, against registers in the fake machine's memory.
import { localApicArm, localApicArmWithin, localApicDisarm, localApicFiresWithin, localApicInitialize } from "../../kernel/arch/x86_64/local_apic";

export function initialize(tscHz: u64): u64 {
  return localApicInitialize(tscHz);
}

export function arm(nanoseconds: u64): void {
  localApicArm(nanoseconds);
}

export function armWithin(nanoseconds: u64, armFor: u64): void {
  localApicArmWithin(nanoseconds, armFor);
}

export function firesWithin(nanoseconds: u64): bool {
  return localApicFiresWithin(nanoseconds);
}

export function disarm(): void {
  localApicDisarm();
}
