// A disk, whatever drives it: what the data disk (data_disk.ts) needs of virtio-blk and AHCI alike.
//
// Requests are synchronous: a driver starts one, then awaitCompletion() halts (sti; hlt) until
// the device's interrupt says it is done, or until DISK_TIMEOUT passes, which fails the
// request and the disk with it. No polling: between interrupts the CPU sleeps. The local APIC
// timer the wait arms for its deadline is given back to whoever had it (a handler's budget, a
// program's time slice), less the time waited.

import { LOCAL_APIC_NOT_ARMED, localApicArm, localApicDisarm, localApicRemaining } from "../arch/x86_64/local_apic";
import { readTsc, waitForInterrupt } from "../arch/x86_64/machine";
import { holdPreemption, releasePreemption } from "../programs/preemption";
import { clockNanoseconds } from "../time/clock";

export const SECTOR_BYTES: u32 = 512;
/** A request the device has not finished by then fails (and the disk is not used again). */
export const DISK_TIMEOUT_NANOSECONDS: u64 = 5_000_000_000;

export abstract class BlockDevice {
  /** Capacity, in 512-byte sectors. */
  sectors: u64 = 0;
  /** Whether the device has a write cache to flush; without one, a write is durable when it is done. */
  flushes: bool = false;
  readOnly: bool = false;
  /** Requests done, and interrupts taken. */
  requests: u64 = 0;
  interrupts: u64 = 0;
  /** Set when the device stopped answering: every later request fails with `problem`. */
  broken: bool = false;
  problem: string = "";

  /** "virtio-blk 00:04.0", "ahci 00:1f.2 port 0": how the log and df name it. */
  abstract get name(): string;
  /** The legacy interrupt line (0-15) its interrupts come on. */
  abstract get interruptLine(): u8;
  /** Reads `count` sectors from `sector` into physical `buffer`; "" or what went wrong. */
  abstract read(sector: u64, count: u32, buffer: u64): string;
  /** Writes `count` sectors from physical `buffer` at `sector`; "" or what went wrong. Durable only after flush(). */
  abstract write(sector: u64, count: u32, buffer: u64): string;
  /** Makes every completed write durable; "" or what went wrong. */
  abstract flush(): string;
  /** The device's interrupt: acknowledge it at the device (the request waiting sees it done); the PIC's EOI is the caller's. */
  abstract interrupt(): void;
  /** Whether the request in flight is done. */
  abstract completed(): bool;

  /** Why a request of `count` sectors at `sector` cannot be made, or "". */
  refusal(sector: u64, count: u32, writing: bool): string {
    if (this.broken) return this.problem;
    if (writing && this.readOnly) return "the disk is read-only";
    if (sector + <u64>count > this.sectors) {
      return "sectors " + sector.toString() + "+" + count.toString() + " lie past the disk's " + this.sectors.toString();
    }
    return "";
  }

  /** Halts until completed() or the timeout, and counts the request; "" or the timeout's message (the disk is then broken). */
  awaitCompletion(): string {
    const problem = this.awaitDevice();
    if (problem.length == 0) this.requests++;
    return problem;
  }

  /** Halts until completed() or the timeout; "" or the timeout's message (the disk is then broken). A step of a request (USB's). */
  awaitDevice(): string {
    const began = clockNanoseconds(readTsc());
    const deadline = began + DISK_TIMEOUT_NANOSECONDS;
    // The timer armed before (a running handler's budget, a program's time slice) is put back after the wait.
    const remaining = localApicRemaining();
    // A program's call may be waiting here: the kernel thread must not take the CPU (and the disk) meanwhile.
    holdPreemption();
    let problem = "";
    while (!this.completed()) {
      const now = clockNanoseconds(readTsc());
      if (now >= deadline) {
        this.broken = true;
        this.problem = problem = "the disk did not answer within " + (DISK_TIMEOUT_NANOSECONDS / 1_000_000_000).toString() + " s";
        break;
      }
      localApicArm(deadline - now); // the wait ends at the device's interrupt, or at the deadline
      waitForInterrupt();
    }
    if (remaining == LOCAL_APIC_NOT_ARMED) localApicDisarm();
    else {
      const waited = clockNanoseconds(readTsc()) - began;
      localApicArm(remaining > waited ? remaining - waited : 1); // already due: it fires at once
    }
    releasePreemption();
    return problem;
  }
}
