// Durations as written in system.toml ("250ms", "2s", "1m"), in nanoseconds.
//
// Grammar: a whole number followed by one unit: ns, us, ms, s, m, h. No spaces, no
// fractions, no sign; zero is allowed only where the caller accepts it. Returns -1 for
// anything else so the caller can name the field and the expected form.

const NANOSECONDS_PER_MICROSECOND: i64 = 1_000;
const NANOSECONDS_PER_MILLISECOND: i64 = 1_000_000;
const NANOSECONDS_PER_SECOND: i64 = 1_000_000_000;
const MAXIMUM_DIGITS = 15;

export function parseDuration(text: string): i64 {
  let digits = 0;
  let value: i64 = 0;
  while (digits < text.length) {
    const code = text.charCodeAt(digits);
    if (code < 0x30 || code > 0x39) break;
    if (digits == MAXIMUM_DIGITS) return -1;
    value = value * 10 + (code - 0x30);
    digits++;
  }
  if (digits == 0) return -1;
  const unit = text.substring(digits);
  if (unit == "ns") return value;
  if (unit == "us") return value * NANOSECONDS_PER_MICROSECOND;
  if (unit == "ms") return value * NANOSECONDS_PER_MILLISECOND;
  if (unit == "s") return value * NANOSECONDS_PER_SECOND;
  if (unit == "m") return value * 60 * NANOSECONDS_PER_SECOND;
  if (unit == "h") return value * 3600 * NANOSECONDS_PER_SECOND;
  return -1;
}
