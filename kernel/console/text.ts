// Text: a fixed-capacity line builder with number formatting that never allocates.
//
// Every console and log line is built in a Text: strings are copied in as ASCII (anything
// else becomes '?'), numbers are formatted in place, and text beyond TEXT_CAPACITY is cut.
// Builder methods return `this` so a line reads as one expression.

import { TEXT_CAPACITY } from "../params";

const DIGITS = "0123456789abcdef";
const SIZE_UNITS: StaticArray<string> = ["KiB", "MiB", "GiB", "TiB"];

// Digits are produced lowest first into this scratch line, then copied out reversed.
// Shared by all Texts: formatting is never re-entered (interrupts do not format).
const scratch = new StaticArray<u8>(32);

/** Whether `value` (ASCII) equals the `length` bytes at `address` in kernel memory: names a caller passed as bytes. */
export function equalsBytes(value: string, address: usize, length: i32): bool {
  if (value.length != length) return false;
  for (let i = 0; i < length; i++) if (value.charCodeAt(i) != <i32>load<u8>(address + i)) return false;
  return true;
}

/**
 * A short text kept across calls (why a handler last failed, its last failed call) in bytes
 * of its own: set again and again without allocating, since the kernel's runtime never frees
 * (a string per failure grew the kernel's heap for good: about 120 bytes a second with the
 * default system's crasher). Longer text is cut.
 */
export class KeptText {
  readonly bytes: StaticArray<u8>;
  length: i32 = 0;
  constructor(capacity: i32) {
    this.bytes = new StaticArray<u8>(capacity);
  }

  get pointer(): usize {
    return changetype<usize>(this.bytes);
  }

  /** Keeps `length` bytes at `address` (as many as fit). */
  setRaw(address: usize, length: i32): KeptText {
    this.length = min<i32>(length, this.bytes.length);
    memory.copy(this.pointer, address, <usize>this.length);
    return this;
  }

  set(text: Text): KeptText {
    return this.setRaw(text.pointer, text.length);
  }

  /** Keeps an ASCII string (a fixed message). */
  setString(value: string): KeptText {
    this.length = min<i32>(value.length, this.bytes.length);
    for (let i = 0; i < this.length; i++) this.bytes[i] = <u8>value.charCodeAt(i);
    return this;
  }

  clear(): void {
    this.length = 0;
  }
}

export class Text {
  readonly bytes: StaticArray<u8>;
  length: i32 = 0;

  /** Room for `capacity` bytes (a log line by default; reports to programs use more). */
  constructor(readonly capacity: i32 = TEXT_CAPACITY) {
    this.bytes = new StaticArray<u8>(capacity);
  }

  clear(): Text {
    this.length = 0;
    return this;
  }

  /** Address of the first byte, for outputs that copy the line out. */
  get pointer(): usize {
    return changetype<usize>(this.bytes);
  }

  byteAt(index: i32): u8 {
    return this.bytes[index];
  }

  char(code: u32): Text {
    if (this.length < this.capacity) {
      this.bytes[this.length] = code < 0x80 ? <u8>code : 0x3f;
      this.length++;
    }
    return this;
  }

  string(value: string): Text {
    for (let i = 0; i < value.length; i++) this.char(value.charCodeAt(i));
    return this;
  }

  /** Appends a kept text. */
  kept(value: KeptText): Text {
    return this.raw(value.pointer, value.length);
  }

  /** Copies `length` raw bytes starting at `address` in kernel memory. */
  raw(address: usize, length: i32): Text {
    for (let i = 0; i < length; i++) this.char(load<u8>(address + i));
    return this;
  }

  /**
   * Copies `length` bytes from `address` with every control character (below 0x20, and DEL)
   * written as \xNN, so text from a module cannot start a line or drive the terminal.
   */
  escaped(address: usize, length: i32): Text {
    for (let i = 0; i < length; i++) {
      const byte = load<u8>(address + i);
      if (byte >= 0x20 && byte != 0x7f) this.char(byte);
      else this.string("\\x").hex(byte, 2);
    }
    return this;
  }

  /** `value` in a table column that ends at `column`: cut to leave one space, then padded to it. */
  column(value: string, column: i32): Text {
    const room = column - 1 - this.length;
    for (let i = 0; i < value.length && i < room; i++) this.char(value.charCodeAt(i));
    return this.padTo(column);
  }

  /** A duration as system.toml writes it: "10ms", "2s", "250us", "7ns" (the largest exact unit). */
  duration(nanoseconds: u64): Text {
    if (nanoseconds != 0 && nanoseconds % 1_000_000_000 == 0) return this.decimal(nanoseconds / 1_000_000_000).string("s");
    if (nanoseconds != 0 && nanoseconds % 1_000_000 == 0) return this.decimal(nanoseconds / 1_000_000).string("ms");
    if (nanoseconds != 0 && nanoseconds % 1_000 == 0) return this.decimal(nanoseconds / 1_000).string("us");
    return this.decimal(nanoseconds).string("ns");
  }

  text(other: Text): Text {
    for (let i = 0; i < other.length; i++) this.char(other.bytes[i]);
    return this;
  }

  decimal(value: u64): Text {
    return this.digits(value, 10, 1, false);
  }

  signed(value: i64): Text {
    if (value < 0) {
      this.char(0x2d);
      return this.decimal(<u64>(-value));
    }
    return this.decimal(<u64>value);
  }

  /** A decimal with comma thousands separators: 65,016. */
  grouped(value: u64): Text {
    return this.digits(value, 10, 1, true);
  }

  /** Lowercase hexadecimal, zero-padded to `width` digits, without a prefix. */
  hex(value: u64, width: i32 = 1): Text {
    return this.digits(value, 16, width, false);
  }

  /** numerator / denominator rounded to `decimals` places: fixed(127, 2, 1) is "63.5". */
  fixed(numerator: u64, denominator: u64, decimals: i32): Text {
    let scale: u64 = 1;
    for (let i = 0; i < decimals; i++) scale *= 10;
    const scaled = (numerator * scale + denominator / 2) / denominator;
    this.decimal(scaled / scale);
    if (decimals > 0) {
      this.char(0x2e);
      this.digits(scaled % scale, 10, decimals, false);
    }
    return this;
  }

  /** A byte count in the largest binary unit that keeps it ≥ 1, one decimal: "63.5 MiB". */
  size(bytes: u64): Text {
    if (bytes < 1024) return this.decimal(bytes).string(" B");
    let unit = 0;
    let divisor: u64 = 1024;
    while (unit < SIZE_UNITS.length - 1 && bytes >= divisor * 1024) {
      divisor *= 1024;
      unit++;
    }
    return this.fixed(bytes, divisor, 1).char(0x20).string(SIZE_UNITS[unit]);
  }

  /** Pads with spaces up to column `column` (no-op when already past it). */
  padTo(column: i32): Text {
    while (this.length < column && this.length < this.capacity) this.char(0x20);
    return this;
  }

  equals(value: string): bool {
    if (value.length != this.length) return false;
    for (let i = 0; i < this.length; i++) if (<u32>this.bytes[i] != <u32>value.charCodeAt(i)) return false;
    return true;
  }

  private digits(value: u64, base: u32, width: i32, grouped: bool): Text {
    let count = 0;
    do {
      if (grouped && count % 4 == 3) scratch[count++] = 0x2c;
      scratch[count++] = <u8>DIGITS.charCodeAt(<i32>(value % base));
      value /= base;
    } while (value != 0);
    while (count < width && count < 32) scratch[count++] = 0x30;
    while (count > 0) this.char(scratch[--count]);
    return this;
  }
}
