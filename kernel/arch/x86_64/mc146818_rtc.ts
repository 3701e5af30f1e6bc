// Motorola MC146818 real-time clock (the PC's CMOS clock): the date and time, read once at boot.
//
//   port 0x70  index (bit 7 masks NMI; kept clear)     register 0x00 seconds  0x02 minutes  0x04 hours
//   port 0x71  data                                    register 0x07 day      0x08 month    0x09 year (00-99)
//                                                      register 0x0a status A (bit 7: update in progress)
//                                                      register 0x0b status B (bit 1: 24-hour, bit 2: binary)
// Values are BCD unless status B says binary; in 12-hour mode bit 7 of the hour means PM.
// The clock is read while no update is in progress, twice until two reads agree, so a
// second rolling over mid-read cannot give a torn time. The RTC keeps UTC (QEMU's default;
// PCs running other systems may keep local time — documented).

import { portRead8, portWrite8 } from "./machine";

const INDEX_PORT: u16 = 0x70;
const DATA_PORT: u16 = 0x71;
const REGISTER_SECONDS: u8 = 0x00;
const REGISTER_MINUTES: u8 = 0x02;
const REGISTER_HOURS: u8 = 0x04;
const REGISTER_DAY: u8 = 0x07;
const REGISTER_MONTH: u8 = 0x08;
const REGISTER_YEAR: u8 = 0x09;
const REGISTER_STATUS_A: u8 = 0x0a;
const REGISTER_STATUS_B: u8 = 0x0b;
const STATUS_A_UPDATE_IN_PROGRESS: u8 = 0x80;
const STATUS_B_24_HOUR: u8 = 0x02;
const STATUS_B_BINARY: u8 = 0x04;
const HOUR_PM: u8 = 0x80;
/** Reads of status A before giving up on a clock that never leaves its update. */
const UPDATE_WAIT_POLLS: i32 = 100_000;
/** The RTC keeps two year digits; this kernel reads them as 2000-2099. */
const CENTURY: i32 = 2000;

function read(register: u8): u8 {
  portWrite8(INDEX_PORT, register);
  return portRead8(DATA_PORT);
}

/** Seconds since 1970-01-01 00:00 UTC of a calendar date (Howard Hinnant's days_from_civil). */
export function unixSeconds(year: i32, month: i32, day: i32, hours: i32, minutes: i32, seconds: i32): i64 {
  const y = month <= 2 ? year - 1 : year;
  const era = (y >= 0 ? y : y - 399) / 400;
  const yearOfEra = y - era * 400;
  const dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
  const days = <i64>era * 146097 + <i64>dayOfEra - 719468;
  return days * 86400 + <i64>(hours * 3600 + minutes * 60 + seconds);
}

class Reading {
  seconds: u8 = 0;
  minutes: u8 = 0;
  hours: u8 = 0;
  day: u8 = 0;
  month: u8 = 0;
  year: u8 = 0;

  same(other: Reading): bool {
    return this.seconds == other.seconds && this.minutes == other.minutes && this.hours == other.hours &&
      this.day == other.day && this.month == other.month && this.year == other.year;
  }
}

/** Waits out an update in progress, then reads every field once; false when the clock never settles. */
function readOnce(into: Reading): bool {
  let polls = 0;
  while ((read(REGISTER_STATUS_A) & STATUS_A_UPDATE_IN_PROGRESS) != 0) if (++polls == UPDATE_WAIT_POLLS) return false;
  into.seconds = read(REGISTER_SECONDS);
  into.minutes = read(REGISTER_MINUTES);
  into.hours = read(REGISTER_HOURS);
  into.day = read(REGISTER_DAY);
  into.month = read(REGISTER_MONTH);
  into.year = read(REGISTER_YEAR);
  return true;
}

/** A register's value as a number: BCD unless the clock says binary. */
function decode(field: u8, binary: bool): i32 {
  return binary ? <i32>field : <i32>(field & 0x0f) + <i32>(field >> 4) * 10;
}

/** The RTC's date and time in seconds since the Unix epoch, or -1 when there is no RTC or it reads nonsense. */
export function rtcUnixSeconds(): i64 {
  const first = new Reading();
  const second = new Reading();
  if (!readOnce(first)) return -1;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (!readOnce(second)) return -1;
    if (first.same(second)) break;
    if (!readOnce(first)) return -1;
  }
  const status = read(REGISTER_STATUS_B);
  const binary = (status & STATUS_B_BINARY) != 0;
  let hours = decode(first.hours & ~HOUR_PM, binary);
  if ((status & STATUS_B_24_HOUR) == 0) hours = hours % 12 + ((first.hours & HOUR_PM) != 0 ? 12 : 0);
  const seconds = decode(first.seconds, binary);
  const minutes = decode(first.minutes, binary);
  const day = decode(first.day, binary);
  const month = decode(first.month, binary);
  const year = CENTURY + decode(first.year, binary);
  if (seconds > 59 || minutes > 59 || hours > 23 || day < 1 || day > 31 || month < 1 || month > 12) return -1;
  return unixSeconds(year, month, day, hours, minutes, seconds);
}
