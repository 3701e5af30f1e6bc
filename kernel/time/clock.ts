// The kernel's clock: the TSC (measured at boot, conversions) and wall time.

import { measureTscHz } from "../arch/x86_64/pit8254";
import { Text } from "../console/text";

let tscHz: u64 = 0;
/** The wall-clock time at `wallTsc`, in seconds since the Unix epoch; -1 when unknown. */
let wallSeconds: i64 = -1;
let wallTsc: u64 = 0;

/** Measures the TSC frequency against the PIT; 0 if that failed (times then print as cycles). */
export function clockCalibrate(): u64 {
  tscHz = measureTscHz();
  return tscHz;
}

export function clockTscHz(): u64 {
  return tscHz;
}

/** Appends `cycles` as milliseconds with two decimals ("1.92 ms"), or as cycles if uncalibrated. */
export function appendMilliseconds(text: Text, cycles: u64): Text {
  if (tscHz == 0) return text.grouped(cycles).string(" cycles");
  return text.fixed(cycles * 1000, tscHz, 2).string(" ms");
}

/** Like appendMilliseconds but the bare number, for lists that share one unit. */
export function appendMillisecondsNumber(text: Text, cycles: u64): Text {
  if (tscHz == 0) return text.grouped(cycles);
  return text.fixed(cycles * 1000, tscHz, 2);
}

let bootTsc: u64 = 0;

/** Marks time zero for clockNanoseconds() (the kernel entry's TSC). */
export function clockSetBoot(tsc: u64): void {
  bootTsc = tsc;
}

/** Nanoseconds since kernel entry; 0 before calibration. */
export function clockNanoseconds(tsc: u64): u64 {
  if (tscHz == 0) return 0;
  const cycles = tsc - bootTsc;
  return (cycles / tscHz) * 1_000_000_000 + ((cycles % tscHz) * 1_000_000_000) / tscHz;
}

/** Records the wall-clock time (seconds since the Unix epoch, -1 if unknown) read at TSC `tsc`. */
export function clockSetWall(unixSeconds: i64, tsc: u64): void {
  wallSeconds = unixSeconds;
  wallTsc = tsc;
}

/** Nanoseconds since the Unix epoch at TSC `tsc`, or -1 when the wall-clock time is unknown. */
export function clockWallNanoseconds(tsc: u64): i64 {
  if (wallSeconds < 0 || tscHz == 0) return -1;
  const elapsed = tsc - wallTsc;
  return wallSeconds * 1_000_000_000 + <i64>(elapsed / tscHz * 1_000_000_000 + elapsed % tscHz * 1_000_000_000 / tscHz);
}
