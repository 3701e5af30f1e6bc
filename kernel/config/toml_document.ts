// What readToml (toml.ts) builds: tables of keys, each value tagged with its kind and line.
//
// The document is plain data, made once at boot and never freed. Tables keep the order they
// are written in, the root table first; a table's entries keep theirs. The reader checks
// that each key and table name is defined once, so get() and table() return the only match
// (or, for an [[array of tables]], its first element).

export const TOML_STRING: u8 = 1;
export const TOML_INTEGER: u8 = 2;
export const TOML_BOOLEAN: u8 = 3;
export const TOML_ARRAY: u8 = 4;

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

/** How a value reads in a message: "seven", 7, true, or "a list". */
export function describeTomlValue(value: TomlValue): string {
  if (value.kind == TOML_STRING) return "\"" + value.text + "\"";
  if (value.kind == TOML_INTEGER) return value.integer.toString();
  if (value.kind == TOML_BOOLEAN) return value.boolean ? "true" : "false";
  return "a list";
}
