// Host-test entry for the real-time clock and the wall clock (kernel/arch/x86_64/mc146818_rtc.ts).
import { rtcUnixSeconds, unixSeconds } from "../../kernel/arch/x86_64/mc146818_rtc";

export function rtcRead(): i64 { return rtcUnixSeconds(); }
export function civilToUnix(year: i32, month: i32, day: i32, hours: i32, minutes: i32, seconds: i32): i64 {
  return unixSeconds(year, month, day, hours, minutes, seconds);
}
