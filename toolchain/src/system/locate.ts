// Finds the line of each key and table header in a TOML source, for error messages.
//
// smol-toml reports positions for syntax errors but not for the keys of a valid document,
// so this scanner walks the text once more, line by line, and records where each key is
// set. It understands exactly what system.toml needs: `[table]`, `[[array of tables]]`
// (counted: the second [[handlers]] is "handlers.1"), bare, quoted and dotted keys, and
// values that span lines (arrays, inline tables, multi-line strings), whose inner lines
// are skipped so that `x = 1` inside a string is not taken for a key. It runs only on
// documents smol-toml already accepted, so it need not detect malformed TOML.

/** Line numbers (1-based) by key path: "system", "system.hostname", "handlers.1.every". */
export type KeyLines = ReadonlyMap<string, number>;

const KEY_PATTERN = /^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=/;
const ARRAY_HEADER_PATTERN = /^\s*\[\[\s*([^\]]+?)\s*\]\]/;
const TABLE_HEADER_PATTERN = /^\s*\[\s*([^\]]+?)\s*\]/;

/** "a . \"b c\"" → ["a", "b c"]. */
function splitDottedKey(text: string): string[] {
  const segments: string[] = [];
  for (const match of text.matchAll(/[A-Za-z0-9_-]+|"([^"]*)"|'([^']*)'/g)) {
    segments.push(match[1] ?? match[2] ?? match[0]);
  }
  return segments;
}

/**
 * How much a line opens (+) or closes (−) arrays and inline tables, ignoring strings and
 * comments, and whether it leaves a multi-line string open. `inString` is the delimiter of
 * a multi-line string still open from earlier lines, or null.
 */
function scanValue(line: string, inString: string | null): { depth: number; inString: string | null } {
  let depth = 0;
  let index = 0;
  while (index < line.length) {
    if (inString !== null) {
      const end = line.indexOf(inString, index);
      if (end < 0) return { depth, inString };
      index = end + inString.length;
      inString = null;
      continue;
    }
    const character = line[index];
    if (character === "#") break;
    if (line.startsWith('"""', index) || line.startsWith("'''", index)) {
      inString = line.slice(index, index + 3);
      index += 3;
    } else if (character === '"' || character === "'") {
      const end = character === '"' ? findClosingQuote(line, index + 1) : line.indexOf("'", index + 1);
      index = end < 0 ? line.length : end + 1;
    } else {
      if (character === "[" || character === "{") depth++;
      if (character === "]" || character === "}") depth--;
      index++;
    }
  }
  return { depth, inString };
}

function findClosingQuote(line: string, start: number): number {
  for (let index = start; index < line.length; index++) {
    if (line[index] === "\\") index++;
    else if (line[index] === '"') return index;
  }
  return -1;
}

/** Indexes every key and header line of `source`. */
export function locateKeys(source: string): KeyLines {
  const lines = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  let table = "";
  let depth = 0;
  let inString: string | null = null;
  source.split(/\r?\n/).forEach((text, index) => {
    const lineNumber = index + 1;
    if (depth > 0 || inString !== null) {
      const scanned = scanValue(text, inString);
      depth += scanned.depth;
      inString = scanned.inString;
      return;
    }
    const arrayHeader = ARRAY_HEADER_PATTERN.exec(text);
    const tableHeader = arrayHeader === null ? TABLE_HEADER_PATTERN.exec(text) : null;
    if (arrayHeader !== null) {
      const name = splitDottedKey(arrayHeader[1]).join(".");
      const occurrence = arrayCounts.get(name) ?? 0;
      arrayCounts.set(name, occurrence + 1);
      table = `${name}.${occurrence}`;
      if (!lines.has(table)) lines.set(table, lineNumber);
      return;
    }
    if (tableHeader !== null) {
      const segments = splitDottedKey(tableHeader[1]);
      const parent = segments[0];
      const occurrence = arrayCounts.get(parent);
      table = occurrence === undefined ? segments.join(".") : [`${parent}.${occurrence - 1}`, ...segments.slice(1)].join(".");
      if (!lines.has(table)) lines.set(table, lineNumber);
      return;
    }
    const key = KEY_PATTERN.exec(text);
    if (key === null) return;
    const path = [table, ...splitDottedKey(key[1])].filter((part) => part !== "").join(".");
    if (!lines.has(path)) lines.set(path, lineNumber);
    const scanned = scanValue(text.slice(key[0].length), null);
    depth = Math.max(0, scanned.depth);
    inString = scanned.inString;
  });
  return lines;
}

/** The line of `path`, else of its nearest enclosing table, else 0 (the file as a whole). */
export function lineOf(lines: KeyLines, path: string): number {
  let current = path;
  while (current !== "") {
    const line = lines.get(current);
    if (line !== undefined) return line;
    const cut = current.lastIndexOf(".");
    current = cut < 0 ? "" : current.slice(0, cut);
  }
  return 0;
}
