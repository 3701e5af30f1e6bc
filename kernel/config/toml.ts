// A reader for the TOML subset the toolchain writes (/etc/system.toml), over bytes in kernel memory.
//
// The subset: comments, blank lines, `[table]` and `[[array of tables]]` headers with bare
// names, and `key = value` lines with bare keys (letters, digits, '_', '-'), where a value is
// a basic string ("..." with \b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX), a decimal integer
// (optional sign, '_' between digits), true, false, or a list of strings and integers on one
// line. Everything else TOML has (literal and multi-line strings, floats, dates, inline tables,
// dotted and quoted keys, lists over several lines) is an error naming the line and what was
// expected. The text must be UTF-8 without control characters other than tab, CR LF and LF.
//
// Invariants: the reader never traps, whatever the bytes: every read is checked against the
// length, integers are checked for overflow, nothing recurses and escaped strings are decoded
// into a buffer no longer than their source. It allocates the document (a few small objects
// per key) and its strings; it runs once, at boot, under the kernel's never-freeing runtime.

export const TOML_STRING: u8 = 1;
export const TOML_INTEGER: u8 = 2;
export const TOML_BOOLEAN: u8 = 3;
export const TOML_ARRAY: u8 = 4;

const END: i32 = -1;
const CHARACTER_TAB: i32 = 0x09;
const CHARACTER_LINE_FEED: i32 = 0x0a;
const CHARACTER_CARRIAGE_RETURN: i32 = 0x0d;
const CHARACTER_SPACE: i32 = 0x20;
const CHARACTER_QUOTE: i32 = 0x22;
const CHARACTER_HASH: i32 = 0x23;
const CHARACTER_PLUS: i32 = 0x2b;
const CHARACTER_COMMA: i32 = 0x2c;
const CHARACTER_MINUS: i32 = 0x2d;
const CHARACTER_ZERO: i32 = 0x30;
const CHARACTER_EQUALS: i32 = 0x3d;
const CHARACTER_BRACKET_OPEN: i32 = 0x5b;
const CHARACTER_BACKSLASH: i32 = 0x5c;
const CHARACTER_BRACKET_CLOSE: i32 = 0x5d;
const CHARACTER_UNDERSCORE: i32 = 0x5f;
const CHARACTER_DELETE: i32 = 0x7f;

/** Longest piece of the input quoted in a message, in bytes; more is shown as "...". */
const QUOTED_MAX_BYTES: i32 = 40;
const VALUE_FORM = "(a \"string\", an integer, true, false or a [list] on one line)";
const ITEM_FORM = "a \"string\" or an integer";

const NO_ITEMS = new Array<TomlValue>();

/** One value and the line it is written on; which fields count depends on `kind`. */
export class TomlValue {
  kind: u8;
  line: i32;
  text: string = "";
  integer: i64 = 0;
  boolean: bool = false;
  /** A list's items, each a string or an integer; other kinds share one empty list, never added to. */
  items: TomlValue[];

  constructor(kind: u8, line: i32) {
    this.kind = kind;
    this.line = line;
    this.items = kind == TOML_ARRAY ? new Array<TomlValue>() : NO_ITEMS;
  }
}

export class TomlEntry {
  constructor(public key: string, public value: TomlValue) {}
}

/** The root table, a `[table]`, or one element of an `[[array of tables]]`. */
export class TomlTable {
  entries: TomlEntry[] = [];

  /** `name` is "" for the root table; `line` is its header's line (0 for the root). */
  constructor(public name: string, public isArrayElement: bool, public line: i32) {}

  /** The value of `key` in this table, or null. */
  get(key: string): TomlValue | null {
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i].key == key) return this.entries[i].value;
    }
    return null;
  }
}

/** What readToml found: `error` is "" when the whole text was read, else what was expected at `errorLine`. */
export class TomlDocument {
  error: string = "";
  errorLine: i32 = 0;
  /** The root table first, then every [table] and [[array]] element in the order written. */
  tables: TomlTable[] = [new TomlTable("", false, 0)];

  get root(): TomlTable { return this.tables[0]; }

  /** The `[name]` table, or the first `[[name]]` element (see isArrayElement), or null. */
  table(name: string): TomlTable | null {
    for (let i = 1; i < this.tables.length; i++) {
      if (this.tables[i].name == name) return this.tables[i];
    }
    return null;
  }
}

/** Reads the `length` bytes at `address` in kernel memory; check the result's `error`. */
export function readToml(address: usize, length: u32): TomlDocument {
  const document = new TomlDocument();
  if (length > <u32>i32.MAX_VALUE) {
    document.error = "expected at most " + i32.MAX_VALUE.toString() + " bytes, found " + length.toString();
    return document;
  }
  const reader = new TomlReader(address, <i32>length, document);
  if (reader.checkText()) reader.readLines();
  return document;
}

/** How a value reads in a message: "seven", 7, true, or "a list". */
export function describeTomlValue(value: TomlValue): string {
  if (value.kind == TOML_STRING) return "\"" + value.text + "\"";
  if (value.kind == TOML_INTEGER) return value.integer.toString();
  if (value.kind == TOML_BOOLEAN) return value.boolean ? "true" : "false";
  return "a list";
}

class TomlReader {
  position: i32 = 0;
  line: i32 = 1;
  current: TomlTable;

  constructor(private base: usize, private length: i32, private document: TomlDocument) {
    this.current = document.root;
  }

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

  readLines(): void {
    while (this.position < this.length) {
      this.skipSpaces();
      const byte = this.peek();
      let read = true;
      if (byte == CHARACTER_BRACKET_OPEN) read = this.readHeader();
      else if (isBareKeyByte(byte)) read = this.readKeyValue();
      else if (byte != CHARACTER_HASH && !isLineEnd(byte)) {
        read = this.fail("expected a key, a [table] or a [[table]] header, found " + this.describeAt(this.position));
      } else read = this.endLine(null, "");
      if (!read) return;
    }
  }

  private readHeader(): bool {
    this.position++;
    const isArray = this.peek() == CHARACTER_BRACKET_OPEN;
    if (isArray) this.position++;
    this.skipSpaces();
    const name = this.readBareKey();
    if (name.length == 0) {
      return this.fail("expected a table name (letters, digits, '_' or '-') after '" + (isArray ? "[[" : "[") + "', found " +
        this.describeAt(this.position));
    }
    this.skipSpaces();
    if (this.peek() != CHARACTER_BRACKET_CLOSE || (isArray && this.byteAt(this.position + 1) != CHARACTER_BRACKET_CLOSE)) {
      const found = this.peek() == CHARACTER_BRACKET_CLOSE ? this.position + 1 : this.position;
      return this.fail("expected '" + (isArray ? "]]" : "]") + "' after the table name '" + name + "', found " + this.describeAt(found));
    }
    this.position += isArray ? 2 : 1;
    const value = this.document.root.get(name);
    if (value != null) return this.failDefined(name, value.line);
    const earlier = this.document.table(name);
    if (earlier != null && !(isArray && earlier.isArrayElement)) return this.failDefined(name, earlier.line);
    this.current = new TomlTable(name, isArray, this.line);
    this.document.tables.push(this.current);
    return this.endLine(isArray ? "[[" : "[", name);
  }

  private readKeyValue(): bool {
    const key = this.readBareKey();
    this.skipSpaces();
    if (this.peek() != CHARACTER_EQUALS) {
      return this.fail("expected '=' after the key '" + key + "', found " + this.describeAt(this.position));
    }
    this.position++;
    const earlier = this.current.get(key);
    if (earlier != null) return this.failDefined(key, earlier.line);
    this.skipSpaces();
    const value = this.readValue(key);
    if (value == null) return false;
    this.current.entries.push(new TomlEntry(key, value));
    return this.endLine("=", key);
  }

  private failDefined(name: string, line: i32): bool {
    return this.fail("'" + name + "' is already defined on line " + line.toString() + "; expected each key and table name once");
  }

  private readValue(key: string): TomlValue | null {
    const byte = this.peek();
    if (byte == CHARACTER_QUOTE) return this.readString(key);
    if (byte == CHARACTER_BRACKET_OPEN) return this.readList(key);
    if (isTokenByte(byte)) {
      const start = this.position;
      const end = this.tokenEnd();
      if (this.matches(start, end, "true") || this.matches(start, end, "false")) {
        const value = new TomlValue(TOML_BOOLEAN, this.line);
        value.boolean = end - start == 4;
        this.position = end;
        return value;
      }
      if (looksNumeric(this.byteAt(start), this.byteAt(start + 1))) return this.readInteger(key, start, end);
      this.fail("expected a value for '" + key + "' " + VALUE_FORM + ", found " + this.quote(start, end));
      return null;
    }
    this.fail("expected a value for '" + key + "' " + VALUE_FORM + ", found " + this.describeAt(this.position));
    return null;
  }

  /** A decimal integer in [start, end): optional sign, digits, '_' only between digits, no leading zero. */
  private readInteger(key: string, start: i32, end: i32): TomlValue | null {
    let index = start;
    const sign = this.byteAt(index);
    const negative = sign == CHARACTER_MINUS;
    if (sign == CHARACTER_MINUS || sign == CHARACTER_PLUS) index++;
    const limit: u64 = negative ? 0x8000000000000000 : 0x7fffffffffffffff;
    let magnitude: u64 = 0;
    let afterDigit = false;
    if (this.byteAt(index) == CHARACTER_ZERO && index + 1 < end) {
      this.failInteger(key, start, end);
      return null;
    }
    for (; index < end; index++) {
      const byte = this.byteAt(index);
      if (byte == CHARACTER_UNDERSCORE && afterDigit && isDigit(this.byteAt(index + 1)) && index + 1 < end) {
        afterDigit = false;
        continue;
      }
      if (!isDigit(byte)) {
        this.failInteger(key, start, end);
        return null;
      }
      const digit = <u64>(byte - CHARACTER_ZERO);
      if (magnitude > (limit - digit) / 10) {
        this.fail("expected an integer for '" + key + "' from " + i64.MIN_VALUE.toString() + " to " + i64.MAX_VALUE.toString() +
          ", found " + this.quote(start, end));
        return null;
      }
      magnitude = magnitude * 10 + digit;
      afterDigit = true;
    }
    const value = new TomlValue(TOML_INTEGER, this.line);
    value.integer = negative ? <i64>(0 - magnitude) : <i64>magnitude;
    this.position = end;
    return value;
  }

  private failInteger(key: string, start: i32, end: i32): void {
    this.fail("expected a decimal integer for '" + key + "' (digits, an optional sign, '_' between digits, no leading zero), found " +
      this.quote(start, end));
  }

  /** A basic string on one line; the position is at its opening quote. */
  private readString(key: string): TomlValue | null {
    if (this.byteAt(this.position + 1) == CHARACTER_QUOTE && this.byteAt(this.position + 2) == CHARACTER_QUOTE) {
      this.fail("expected a string on one line for '" + key + "', found '\"\"\"' (multi-line strings are not read)");
      return null;
    }
    const start = this.position + 1;
    let end = start;
    let escaped = false;
    for (;;) {
      let byte = this.byteAt(end);
      if (byte == CHARACTER_BACKSLASH) {
        escaped = true;
        end++;
        byte = this.byteAt(end);
        if (!isLineEnd(byte)) {
          end++;
          continue;
        }
      }
      if (isLineEnd(byte)) {
        this.position = end;
        this.fail("expected '\"' to close the string of '" + key + "' before the end of the line");
        return null;
      }
      if (byte == CHARACTER_QUOTE) break;
      end++;
    }
    const value = new TomlValue(TOML_STRING, this.line);
    if (escaped) {
      const text = this.unescape(key, start, end);
      if (text == null) return null;
      value.text = text;
    } else {
      value.text = String.UTF8.decodeUnsafe(this.base + <usize>start, <usize>(end - start));
    }
    this.position = end + 1;
    return value;
  }

  /** The string in [start, end) with its escapes decoded; each escape is longer than its UTF-8. */
  private unescape(key: string, start: i32, end: i32): string | null {
    const buffer = new StaticArray<u8>(end - start);
    const output = changetype<usize>(buffer);
    let written = 0;
    let index = start;
    while (index < end) {
      const byte = this.byteAt(index);
      if (byte != CHARACTER_BACKSLASH) {
        store<u8>(output + <usize>written, <u8>byte);
        written++;
        index++;
        continue;
      }
      const escape = this.byteAt(index + 1);
      let code: i32 = simpleEscape(escape);
      let size = 2;
      if (escape == 0x75 || escape == 0x55) {
        const digits = escape == 0x75 ? 4 : 8;
        code = this.readHex(index + 2, min(index + 2 + digits, end), digits);
        size = 2 + digits;
        const shown = this.printable(index, min(index + 2 + digits, end));
        if (code == -1) {
          this.fail("expected " + digits.toString() + " hex digits after '\\" + String.fromCharCode(escape) + "' in the string of '" +
            key + "', found '" + shown + "'");
          return null;
        }
        if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
          this.fail("expected a Unicode scalar value in the string of '" + key + "', found '" + shown + "'");
          return null;
        }
      } else if (code < 0) {
        this.fail("expected an escape (\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX or \\UXXXXXXXX) in the string of '" + key +
          "', found '" + this.printable(index, index + 2) + "'");
        return null;
      }
      written += encodeUtf8(output + <usize>written, code);
      index += size;
    }
    return String.UTF8.decodeUnsafe(output, <usize>written);
  }

  /** The `digits` hex digits in [start, end) as a number, or -1 when there are fewer or one is not hex. */
  private readHex(start: i32, end: i32, digits: i32): i32 {
    if (end - start != digits) return -1;
    let value: i64 = 0;
    for (let index = start; index < end; index++) {
      const digit = hexDigit(this.byteAt(index));
      if (digit < 0) return -1;
      value = (value << 4) | <i64>digit;
    }
    return value > 0x7fffffff ? 0x7fffffff : <i32>value;
  }

  /** A list of strings and integers, all on this line; the position is at its '['. */
  private readList(key: string): TomlValue | null {
    const list = new TomlValue(TOML_ARRAY, this.line);
    this.position++;
    this.skipSpaces();
    while (this.peek() != CHARACTER_BRACKET_CLOSE) {
      const byte = this.peek();
      let item: TomlValue | null = null;
      if (byte == CHARACTER_QUOTE) item = this.readString(key);
      else if (byte == CHARACTER_HASH || isLineEnd(byte)) this.failUnclosed(key);
      else if (isTokenByte(byte) && looksNumeric(byte, this.byteAt(this.position + 1))) {
        item = this.readInteger(key, this.position, this.tokenEnd());
      } else {
        const shown = isTokenByte(byte) ? this.quote(this.position, this.tokenEnd()) : this.describeAt(this.position);
        this.fail("expected " + ITEM_FORM + " in the list of '" + key + "', found " + shown);
      }
      if (item == null) return null;
      list.items.push(item);
      this.skipSpaces();
      const next = this.peek();
      if (next == CHARACTER_COMMA) {
        this.position++;
        this.skipSpaces();
      } else if (next == CHARACTER_HASH || isLineEnd(next)) {
        this.failUnclosed(key);
        return null;
      } else if (next != CHARACTER_BRACKET_CLOSE) {
        this.fail("expected ',' or ']' after an item in the list of '" + key + "', found " + this.describeAt(this.position));
        return null;
      }
    }
    this.position++;
    return list;
  }

  private failUnclosed(key: string): void {
    this.fail("expected ']' to close the list of '" + key + "' on the same line, found " + this.describeAt(this.position));
  }

  /**
   * Spaces, then a comment, then the end of the line, which is consumed. What came before is
   * `kind` "[" or "[[" (a header named `name`), "=" (the value of `name`) or null (nothing).
   */
  private endLine(kind: string | null, name: string): bool {
    this.skipSpaces();
    if (this.peek() == CHARACTER_HASH) {
      while (this.peek() != CHARACTER_LINE_FEED && this.peek() != END) this.position++;
    }
    if (this.peek() == CHARACTER_CARRIAGE_RETURN) this.position++;
    const byte = this.peek();
    if (byte == CHARACTER_LINE_FEED) {
      this.position++;
      this.line++;
      return true;
    }
    if (byte == END) return true;
    const after = kind == null ? "the start of the line"
      : kind == "=" ? "the value of '" + name + "'"
        : "the header " + kind + name + (kind == "[[" ? "]]" : "]");
    return this.fail("expected the end of the line after " + after + ", found " + this.describeAt(this.position));
  }

  private skipSpaces(): void {
    while (this.peek() == CHARACTER_SPACE || this.peek() == CHARACTER_TAB) this.position++;
  }

  private readBareKey(): string {
    const start = this.position;
    while (isBareKeyByte(this.peek())) this.position++;
    return this.text(start, this.position);
  }

  /** Where the word starting at the position ends: at a space, ',', ']', '#' or the end of the line. */
  private tokenEnd(): i32 {
    let end = this.position;
    while (isTokenByte(this.byteAt(end))) end++;
    return end;
  }

  private matches(start: i32, end: i32, word: string): bool {
    if (end - start != word.length) return false;
    for (let i = 0; i < word.length; i++) if (this.byteAt(start + i) != word.charCodeAt(i)) return false;
    return true;
  }

  /** The input in [start, end) as a string (it is known to be well-formed UTF-8). */
  private text(start: i32, end: i32): string {
    const clippedEnd = min(end, this.length);
    if (clippedEnd <= start) return "";
    return String.UTF8.decodeUnsafe(this.base + <usize>start, <usize>(clippedEnd - start));
  }

  /** The input in [start, end) quoted for a message, cut at QUOTED_MAX_BYTES. */
  private quote(start: i32, end: i32): string {
    const cut = end - start > QUOTED_MAX_BYTES ? start + QUOTED_MAX_BYTES : end;
    return "'" + this.printable(start, cut) + (cut < end ? "...'" : "'");
  }

  /** The input in [start, end) with every byte outside printable ASCII shown as '?'. */
  private printable(start: i32, end: i32): string {
    let shown = "";
    for (let index = start; index < end; index++) {
      const byte = this.byteAt(index);
      shown += byte >= CHARACTER_SPACE && byte < CHARACTER_DELETE ? String.fromCharCode(byte) : "?";
    }
    return shown;
  }

  /** What is at `index`, for "found ...". */
  private describeAt(index: i32): string {
    const byte = this.byteAt(index);
    if (byte == END) return "the end of the file";
    if (byte == CHARACTER_LINE_FEED || byte == CHARACTER_CARRIAGE_RETURN) return "the end of the line";
    if (byte >= 0x80) return "a non-ASCII character";
    if (byte == CHARACTER_TAB) return "a tab";
    return "'" + String.fromCharCode(byte) + "'";
  }
}

function isDigit(byte: i32): bool {
  return byte >= CHARACTER_ZERO && byte <= 0x39;
}

function isBareKeyByte(byte: i32): bool {
  return isDigit(byte) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) ||
    byte == CHARACTER_UNDERSCORE || byte == CHARACTER_MINUS;
}

/** Bytes of a word value (true, 42, or a mistake to quote): all but spaces, ',', ']', '#' and line ends. */
function isTokenByte(byte: i32): bool {
  return byte != END && byte != CHARACTER_SPACE && byte != CHARACTER_TAB && byte != CHARACTER_COMMA &&
    byte != CHARACTER_BRACKET_CLOSE && byte != CHARACTER_HASH && !isLineEnd(byte) &&
    byte != CHARACTER_QUOTE && byte != CHARACTER_BRACKET_OPEN;
}

function isLineEnd(byte: i32): bool {
  return byte == END || byte == CHARACTER_LINE_FEED || byte == CHARACTER_CARRIAGE_RETURN;
}

/** Whether a word starting with `first`, `second` is meant as a number: a digit, or a sign and a digit. */
function looksNumeric(first: i32, second: i32): bool {
  return isDigit(first) || ((first == CHARACTER_PLUS || first == CHARACTER_MINUS) && isDigit(second));
}

/** The character a one-letter escape stands for, or -1 (u and U are read apart). */
function simpleEscape(escape: i32): i32 {
  if (escape == 0x62) return 0x08; // \b
  if (escape == 0x74) return 0x09; // \t
  if (escape == 0x6e) return 0x0a; // \n
  if (escape == 0x66) return 0x0c; // \f
  if (escape == 0x72) return 0x0d; // \r
  if (escape == CHARACTER_QUOTE || escape == CHARACTER_BACKSLASH) return escape;
  return -1;
}

function hexDigit(byte: i32): i32 {
  if (isDigit(byte)) return byte - CHARACTER_ZERO;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  return -1;
}

/** Writes the scalar value `code` as UTF-8 at `output`; returns the bytes written (1 to 4). */
function encodeUtf8(output: usize, code: i32): i32 {
  if (code < 0x80) {
    store<u8>(output, <u8>code);
    return 1;
  }
  if (code < 0x800) {
    store<u8>(output, <u8>(0xc0 | (code >> 6)));
    store<u8>(output + 1, <u8>(0x80 | (code & 0x3f)));
    return 2;
  }
  if (code < 0x10000) {
    store<u8>(output, <u8>(0xe0 | (code >> 12)));
    store<u8>(output + 1, <u8>(0x80 | ((code >> 6) & 0x3f)));
    store<u8>(output + 2, <u8>(0x80 | (code & 0x3f)));
    return 3;
  }
  store<u8>(output, <u8>(0xf0 | (code >> 18)));
  store<u8>(output + 1, <u8>(0x80 | ((code >> 12) & 0x3f)));
  store<u8>(output + 2, <u8>(0x80 | ((code >> 6) & 0x3f)));
  store<u8>(output + 3, <u8>(0x80 | (code & 0x3f)));
  return 4;
}

function hexByte(byte: i32): string {
  const digits = "0123456789abcdef";
  return "0x" + digits.charAt((byte >> 4) & 0xf) + digits.charAt(byte & 0xf);
}
