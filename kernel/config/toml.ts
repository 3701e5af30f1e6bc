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
//
// The reader is four files: toml_document.ts (what it builds), toml_characters.ts (byte
// classes and UTF-8), toml_cursor.ts (bounds-checked reads and message text) and
// toml_values.ts (values); this one reads lines, [table] headers and `key = value`.

import {
  CHARACTER_BRACKET_CLOSE, CHARACTER_BRACKET_OPEN, CHARACTER_CARRIAGE_RETURN, CHARACTER_EQUALS, CHARACTER_HASH, CHARACTER_LINE_FEED,
  END, isBareKeyByte, isLineEnd,
} from "./toml_characters";
import { TomlCursor } from "./toml_cursor";
import { TomlDocument, TomlEntry, TomlTable } from "./toml_document";
import { readTomlValue } from "./toml_values";

export {
  describeTomlValue, TOML_ARRAY, TOML_BOOLEAN, TOML_INTEGER, TOML_STRING, TomlDocument, TomlEntry, TomlTable, TomlValue,
} from "./toml_document";

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

/** The line structure over a cursor: one table current at a time, each line read whole. */
class TomlReader extends TomlCursor {
  current: TomlTable;

  constructor(base: usize, length: i32, document: TomlDocument) {
    super(base, length, document);
    this.current = document.root;
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
    const value = readTomlValue(this, key);
    if (value == null) return false;
    this.current.entries.push(new TomlEntry(key, value));
    return this.endLine("=", key);
  }

  private failDefined(name: string, line: i32): bool {
    return this.fail("'" + name + "' is already defined on line " + line.toString() + "; expected each key and table name once");
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
}
