// The TOML reader's values: basic strings with escapes, decimal integers, booleans, one-line lists.
//
// Each reader starts at the value's first byte and, on success, leaves the cursor just past
// it, for the line reader (toml.ts) to check what follows. On failure it records the message
// (naming `key`) through cursor.fail() and returns null. Integers are checked for overflow
// against the sign's limit before each digit is added. An escaped string is decoded into a
// buffer the size of its source, which every escape outgrows: \uXXXX and \UXXXXXXXX are 6
// and 10 bytes for at most 4 of UTF-8, the one-letter escapes 2 bytes for 1. Lists hold
// strings and integers only, so reading one never recurses.

import {
  CHARACTER_BACKSLASH, CHARACTER_BRACKET_CLOSE, CHARACTER_BRACKET_OPEN, CHARACTER_COMMA, CHARACTER_HASH, CHARACTER_MINUS,
  CHARACTER_PLUS, CHARACTER_QUOTE, CHARACTER_UNDERSCORE, CHARACTER_ZERO, encodeUtf8, hexDigit, isDigit, isLineEnd,
  isTokenByte, looksNumeric, simpleEscape,
} from "./toml_characters";
import { TomlCursor } from "./toml_cursor";
import { TOML_ARRAY, TOML_BOOLEAN, TOML_INTEGER, TOML_STRING, TomlValue } from "./toml_document";

const VALUE_FORM = "(a \"string\", an integer, true, false or a [list] on one line)";
const ITEM_FORM = "a \"string\" or an integer";

/** The value of `key`, starting at the cursor's position (after '=' and spaces); null once it has failed. */
export function readTomlValue(cursor: TomlCursor, key: string): TomlValue | null {
  const byte = cursor.peek();
  if (byte == CHARACTER_QUOTE) return readString(cursor, key);
  if (byte == CHARACTER_BRACKET_OPEN) return readList(cursor, key);
  if (isTokenByte(byte)) {
    const start = cursor.position;
    const end = cursor.tokenEnd();
    if (cursor.matches(start, end, "true") || cursor.matches(start, end, "false")) {
      const value = new TomlValue(TOML_BOOLEAN, cursor.line);
      value.boolean = end - start == 4;
      cursor.position = end;
      return value;
    }
    if (looksNumeric(cursor.byteAt(start), cursor.byteAt(start + 1))) return readInteger(cursor, key, start, end);
    cursor.fail("expected a value for '" + key + "' " + VALUE_FORM + ", found " + cursor.quote(start, end));
    return null;
  }
  cursor.fail("expected a value for '" + key + "' " + VALUE_FORM + ", found " + cursor.describeAt(cursor.position));
  return null;
}

/** A decimal integer in [start, end): optional sign, digits, '_' only between digits, no leading zero. */
function readInteger(cursor: TomlCursor, key: string, start: i32, end: i32): TomlValue | null {
  let index = start;
  const sign = cursor.byteAt(index);
  const negative = sign == CHARACTER_MINUS;
  if (sign == CHARACTER_MINUS || sign == CHARACTER_PLUS) index++;
  const limit: u64 = negative ? 0x8000000000000000 : 0x7fffffffffffffff;
  let magnitude: u64 = 0;
  let afterDigit = false;
  if (cursor.byteAt(index) == CHARACTER_ZERO && index + 1 < end) {
    failInteger(cursor, key, start, end);
    return null;
  }
  for (; index < end; index++) {
    const byte = cursor.byteAt(index);
    if (byte == CHARACTER_UNDERSCORE && afterDigit && isDigit(cursor.byteAt(index + 1)) && index + 1 < end) {
      afterDigit = false;
      continue;
    }
    if (!isDigit(byte)) {
      failInteger(cursor, key, start, end);
      return null;
    }
    const digit = <u64>(byte - CHARACTER_ZERO);
    if (magnitude > (limit - digit) / 10) {
      cursor.fail("expected an integer for '" + key + "' from " + i64.MIN_VALUE.toString() + " to " + i64.MAX_VALUE.toString() +
        ", found " + cursor.quote(start, end));
      return null;
    }
    magnitude = magnitude * 10 + digit;
    afterDigit = true;
  }
  const value = new TomlValue(TOML_INTEGER, cursor.line);
  value.integer = negative ? <i64>(0 - magnitude) : <i64>magnitude;
  cursor.position = end;
  return value;
}

function failInteger(cursor: TomlCursor, key: string, start: i32, end: i32): void {
  cursor.fail("expected a decimal integer for '" + key + "' (digits, an optional sign, '_' between digits, no leading zero), found " +
    cursor.quote(start, end));
}

/** A basic string on one line; the position is at its opening quote. */
function readString(cursor: TomlCursor, key: string): TomlValue | null {
  if (cursor.byteAt(cursor.position + 1) == CHARACTER_QUOTE && cursor.byteAt(cursor.position + 2) == CHARACTER_QUOTE) {
    cursor.fail("expected a string on one line for '" + key + "', found '\"\"\"' (multi-line strings are not read)");
    return null;
  }
  const start = cursor.position + 1;
  let end = start;
  let escaped = false;
  for (;;) {
    let byte = cursor.byteAt(end);
    if (byte == CHARACTER_BACKSLASH) {
      escaped = true;
      end++;
      byte = cursor.byteAt(end);
      if (!isLineEnd(byte)) {
        end++;
        continue;
      }
    }
    if (isLineEnd(byte)) {
      cursor.position = end;
      cursor.fail("expected '\"' to close the string of '" + key + "' before the end of the line");
      return null;
    }
    if (byte == CHARACTER_QUOTE) break;
    end++;
  }
  const value = new TomlValue(TOML_STRING, cursor.line);
  if (escaped) {
    const text = unescape(cursor, key, start, end);
    if (text == null) return null;
    value.text = text;
  } else {
    value.text = String.UTF8.decodeUnsafe(cursor.base + <usize>start, <usize>(end - start));
  }
  cursor.position = end + 1;
  return value;
}

/** The string in [start, end) with its escapes decoded; each escape is longer than its UTF-8. */
function unescape(cursor: TomlCursor, key: string, start: i32, end: i32): string | null {
  const buffer = new StaticArray<u8>(end - start);
  const output = changetype<usize>(buffer);
  let written = 0;
  let index = start;
  while (index < end) {
    const byte = cursor.byteAt(index);
    if (byte != CHARACTER_BACKSLASH) {
      store<u8>(output + <usize>written, <u8>byte);
      written++;
      index++;
      continue;
    }
    const escape = cursor.byteAt(index + 1);
    let code: i32 = simpleEscape(escape);
    let size = 2;
    if (escape == 0x75 || escape == 0x55) {
      const digits = escape == 0x75 ? 4 : 8;
      code = readHex(cursor, index + 2, min(index + 2 + digits, end), digits);
      size = 2 + digits;
      const shown = cursor.printable(index, min(index + 2 + digits, end));
      if (code == -1) {
        cursor.fail("expected " + digits.toString() + " hex digits after '\\" + String.fromCharCode(escape) + "' in the string of '" +
          key + "', found '" + shown + "'");
        return null;
      }
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        cursor.fail("expected a Unicode scalar value in the string of '" + key + "', found '" + shown + "'");
        return null;
      }
    } else if (code < 0) {
      cursor.fail("expected an escape (\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX or \\UXXXXXXXX) in the string of '" + key +
        "', found '" + cursor.printable(index, index + 2) + "'");
      return null;
    }
    written += encodeUtf8(output + <usize>written, code);
    index += size;
  }
  return String.UTF8.decodeUnsafe(output, <usize>written);
}

/** The `digits` hex digits in [start, end) as a number, or -1 when there are fewer or one is not hex. */
function readHex(cursor: TomlCursor, start: i32, end: i32, digits: i32): i32 {
  if (end - start != digits) return -1;
  let value: i64 = 0;
  for (let index = start; index < end; index++) {
    const digit = hexDigit(cursor.byteAt(index));
    if (digit < 0) return -1;
    value = (value << 4) | <i64>digit;
  }
  return value > 0x7fffffff ? 0x7fffffff : <i32>value;
}

/** A list of strings and integers, all on this line; the position is at its '['. */
function readList(cursor: TomlCursor, key: string): TomlValue | null {
  const list = new TomlValue(TOML_ARRAY, cursor.line);
  cursor.position++;
  cursor.skipSpaces();
  while (cursor.peek() != CHARACTER_BRACKET_CLOSE) {
    const byte = cursor.peek();
    let item: TomlValue | null = null;
    if (byte == CHARACTER_QUOTE) item = readString(cursor, key);
    else if (byte == CHARACTER_HASH || isLineEnd(byte)) failUnclosed(cursor, key);
    else if (isTokenByte(byte) && looksNumeric(byte, cursor.byteAt(cursor.position + 1))) {
      item = readInteger(cursor, key, cursor.position, cursor.tokenEnd());
    } else {
      const shown = isTokenByte(byte) ? cursor.quote(cursor.position, cursor.tokenEnd()) : cursor.describeAt(cursor.position);
      cursor.fail("expected " + ITEM_FORM + " in the list of '" + key + "', found " + shown);
    }
    if (item == null) return null;
    list.items.push(item);
    cursor.skipSpaces();
    const next = cursor.peek();
    if (next == CHARACTER_COMMA) {
      cursor.position++;
      cursor.skipSpaces();
    } else if (next == CHARACTER_HASH || isLineEnd(next)) {
      failUnclosed(cursor, key);
      return null;
    } else if (next != CHARACTER_BRACKET_CLOSE) {
      cursor.fail("expected ',' or ']' after an item in the list of '" + key + "', found " + cursor.describeAt(cursor.position));
      return null;
    }
  }
  cursor.position++;
  return list;
}

function failUnclosed(cursor: TomlCursor, key: string): void {
  cursor.fail("expected ']' to close the list of '" + key + "' on the same line, found " + cursor.describeAt(cursor.position));
}
