// The TOML reader's place in the text: bounds-checked bytes, words, and what goes in messages.
//
// The text is `length` bytes at `base` in kernel memory. Bytes are read through byteAt(),
// which gives END outside [0, length), so no position a caller reaches reads past the text;
// strings are decoded only from ranges already walked that way. checkText() runs first and
// proves the text UTF-8 without stray control bytes, so any such range decodes. The line
// reader (toml.ts) and the value reader (toml_values.ts) share one cursor; fail() records
// what was expected and on which line, and both stop reading at the first failure.

import {
  CHARACTER_CARRIAGE_RETURN, CHARACTER_DELETE, CHARACTER_LINE_FEED, CHARACTER_SPACE, CHARACTER_TAB, END, hexByte,
  isBareKeyByte, isTokenByte,
} from "./toml_characters";
import { TomlDocument } from "./toml_document";

/** Longest piece of the input quoted in a message, in bytes; more is shown as "...". */
const QUOTED_MAX_BYTES: i32 = 40;

export class TomlCursor {
  position: i32 = 0;
  line: i32 = 1;

  constructor(readonly base: usize, readonly length: i32, readonly document: TomlDocument) {}

  byteAt(index: i32): i32 {
    return index >= 0 && index < this.length ? <i32>load<u8>(this.base + <usize>index) : END;
  }

  peek(): i32 { return this.byteAt(this.position); }

  fail(message: string): bool {
    this.document.error = message;
    this.document.errorLine = this.line;
    return false;
  }

  /** UTF-8 throughout, no control characters but tab, and CR only before LF. */
  checkText(): bool {
    let index = 0;
    while (index < this.length) {
      const byte = this.byteAt(index);
      if (byte >= 0x80) {
        const size = this.sequenceLength(index);
        if (size == 0) return this.failAt(index, "expected UTF-8 text, found byte " + hexByte(byte));
        index += size;
        continue;
      }
      if (byte == CHARACTER_LINE_FEED) this.line++;
      else if (byte == CHARACTER_CARRIAGE_RETURN && this.byteAt(index + 1) != CHARACTER_LINE_FEED) {
        return this.failAt(index, "expected a line feed after a carriage return, found " + this.describeAt(index + 1));
      } else if (byte != CHARACTER_CARRIAGE_RETURN && byte != CHARACTER_TAB && (byte < CHARACTER_SPACE || byte == CHARACTER_DELETE)) {
        return this.failAt(index, "expected text without control characters, found byte " + hexByte(byte));
      }
      index++;
    }
    this.line = 1;
    return true;
  }

  private failAt(index: i32, message: string): bool {
    this.position = index;
    return this.fail(message);
  }

  /** Bytes in the well-formed UTF-8 sequence starting at `index`, or 0 (overlong, surrogate, cut). */
  private sequenceLength(index: i32): i32 {
    const lead = this.byteAt(index);
    let size = 0;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) size = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      size = 3;
      if (lead == 0xe0) low = 0xa0;
      if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      size = 4;
      if (lead == 0xf0) low = 0x90;
      if (lead == 0xf4) high = 0x8f;
    } else return 0;
    for (let i = 1; i < size; i++) {
      const byte = this.byteAt(index + i);
      if (byte < low || byte > high) return 0;
      low = 0x80;
      high = 0xbf;
    }
    return size;
  }

  skipSpaces(): void {
    while (this.peek() == CHARACTER_SPACE || this.peek() == CHARACTER_TAB) this.position++;
  }

  readBareKey(): string {
    const start = this.position;
    while (isBareKeyByte(this.peek())) this.position++;
    return this.text(start, this.position);
  }

  /** Where the word starting at the position ends: at a space, ',', ']', '#' or the end of the line. */
  tokenEnd(): i32 {
    let end = this.position;
    while (isTokenByte(this.byteAt(end))) end++;
    return end;
  }

  matches(start: i32, end: i32, word: string): bool {
    if (end - start != word.length) return false;
    for (let i = 0; i < word.length; i++) if (this.byteAt(start + i) != word.charCodeAt(i)) return false;
    return true;
  }

  /** The input in [start, end) as a string (it is known to be well-formed UTF-8). */
  text(start: i32, end: i32): string {
    const clippedEnd = min(end, this.length);
    if (clippedEnd <= start) return "";
    return String.UTF8.decodeUnsafe(this.base + <usize>start, <usize>(clippedEnd - start));
  }

  /** The input in [start, end) quoted for a message, cut at QUOTED_MAX_BYTES. */
  quote(start: i32, end: i32): string {
    const cut = end - start > QUOTED_MAX_BYTES ? start + QUOTED_MAX_BYTES : end;
    return "'" + this.printable(start, cut) + (cut < end ? "...'" : "'");
  }

  /** The input in [start, end) with every byte outside printable ASCII shown as '?'. */
  printable(start: i32, end: i32): string {
    let shown = "";
    for (let index = start; index < end; index++) {
      const byte = this.byteAt(index);
      shown += byte >= CHARACTER_SPACE && byte < CHARACTER_DELETE ? String.fromCharCode(byte) : "?";
    }
    return shown;
  }

  /** What is at `index`, for "found ...". */
  describeAt(index: i32): string {
    const byte = this.byteAt(index);
    if (byte == END) return "the end of the file";
    if (byte == CHARACTER_LINE_FEED || byte == CHARACTER_CARRIAGE_RETURN) return "the end of the line";
    if (byte >= 0x80) return "a non-ASCII character";
    if (byte == CHARACTER_TAB) return "a tab";
    return "'" + String.fromCharCode(byte) + "'";
  }
}
