// Checks one parsed system.toml file against the schema and turns it into a located fragment.
//
// A fragment is one file's contribution before includes are merged: every value carries
// the file and line it came from, so a conflict between two files can name both. Problems
// are appended to a shared list; a value with a problem is left out of the fragment.
import { dirname, resolve } from "node:path";
import { closestWord, describeValue, type ConfigProblem } from "./errors.ts";
import { checkNamedFile } from "./files.ts";
import { lineOf, type KeyLines } from "./locate.ts";
import {
  DEFAULT_BUDGET_NANOSECONDS, DEFAULT_MEMORY_BYTES, EVENT_FORM, EVENT_PATTERN, FOREGROUND_KEYS, HANDLER_KEYS,
  HOSTNAME_FORM, HOSTNAME_PATTERN, MAXIMUM_FOREGROUND, MAXIMUM_KEEP_GENERATIONS, NAME_FORM, NAME_PATTERN, PROGRAM_KEYS,
  NETWORK_KEYS, SOURCE_FILE_MAX_BYTES, SYSTEM_KEYS, TOP_LEVEL_KEYS, VERSION_FORM, VERSION_PATTERN, type HandlerConfig, type ProgramConfig,
} from "./schema.ts";
import { capabilityProblem } from "./capabilities.ts";
import { limit } from "../../../interface/optios.ts";
import { DURATION_FORM, SIZE_FORM, WASM_PAGE_BYTES, formatSize, parseDuration, parseSize } from "./units.ts";

export interface Origin {
  file: string;
  line: number;
}

export interface Setting<T> {
  value: T;
  origin: Origin;
}

/** One file's validated contribution. Handler and program sources are absolute paths at this stage. */
export interface Fragment {
  file: string;
  includes: Setting<string>[];
  system: { hostname?: Setting<string>; version?: Setting<string>; keepGenerations?: Setting<number>; deploy?: Setting<boolean> };
  foreground: { max?: Setting<number>; programs: Setting<string>[] };
  /** Present when the file has a [network] table (even an empty one). */
  network?: {
    origin: Origin;
    dhcp?: Setting<boolean>;
    address?: Setting<string>;
    gateway?: Setting<string>;
    dns?: Setting<string>;
    dhcpTimeout?: Setting<number>;
  };
  handlers: Setting<HandlerConfig>[];
  programs: Setting<ProgramConfig>[];
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date);
}

/** Reports problems for one file, at the line of the key path they concern. */
class FileChecker {
  constructor(
    readonly file: string,
    private readonly lines: KeyLines,
    private readonly problems: ConfigProblem[],
    /** The project root every named file must lie in (files.ts). */
    readonly root: string,
  ) {}

  origin(path: string): Origin {
    return { file: this.file, line: lineOf(this.lines, path) };
  }

  report(path: string, message: string): void {
    this.problems.push({ ...this.origin(path), message });
  }

  /** Reports every key of `table` not in `allowed`, with a suggestion when one is close. */
  rejectUnknownKeys(table: Table, allowed: readonly string[], path: string, where: string): number {
    const unknown = Object.keys(table).filter((key) => !allowed.includes(key));
    for (const key of unknown) {
      const suggestion = closestWord(key, allowed);
      const hint = suggestion === null ? `; expected one of: ${allowed.join(", ")}` : `; did you mean '${suggestion}'?`;
      this.report(path === "" ? key : `${path}.${key}`, `unknown key '${key}' ${where}${hint}`);
    }
    return unknown.length;
  }

  /** The value if `test` accepts it, else undefined after reporting what was expected. */
  expect<T>(value: unknown, path: string, field: string, expected: string, test: (value: unknown) => T | null): T | undefined {
    const accepted = test(value);
    if (accepted !== null) return accepted;
    this.report(path, `${field}: expected ${expected}, got ${describeValue(value)}`);
    return undefined;
  }

  /**
   * The list if every item is a string `pattern` accepts, else undefined after reporting each
   * bad item by its 1-based position (`events[2]: expected an event name …, got "Door Opened"`).
   */
  expectList(value: unknown, path: string, field: string, item: string, pattern: RegExp): string[] | undefined {
    if (!Array.isArray(value)) {
      this.report(path, `${field}: expected a list, each ${item}, got ${describeValue(value)}`);
      return undefined;
    }
    let bad = 0;
    value.forEach((entry, index) => {
      if (typeof entry === "string" && pattern.test(entry)) return;
      this.report(path, `${field}[${index + 1}]: expected ${item}, got ${describeValue(entry)}`);
      bad++;
    });
    return bad === 0 ? (value as string[]) : undefined;
  }

  /**
   * Checks a handler's or program's source against the project-root rule and the size cap;
   * true when it may be used. A missing file is refused only when `mustExist`.
   */
  checkSource(keyPath: string, field: string, file: string, written: string, expected: string, mustExist: boolean): boolean {
    const check = checkNamedFile(file, JSON.stringify(written), this.root, SOURCE_FILE_MAX_BYTES);
    if (check.problem === null || (check.missing && !mustExist)) return true;
    const rule = check.missing ? expected : `${expected}: a regular file of at most ${formatSize(SOURCE_FILE_MAX_BYTES)} inside the project root`;
    this.report(keyPath, `${field}: ${check.problem}; expected ${rule}`);
    return false;
  }
}

const asString = (pattern: RegExp) => (value: unknown) => (typeof value === "string" && pattern.test(value) ? value : null);
const asInteger = (minimum: number, maximum: number) => (value: unknown) =>
  typeof value === "bigint" && value >= BigInt(minimum) && value <= BigInt(maximum) ? Number(value) : null;
const asDuration = (minimum: number) => (value: unknown) => {
  const nanoseconds = typeof value === "string" ? parseDuration(value) : null;
  return nanoseconds !== null && nanoseconds >= minimum ? nanoseconds : null;
};
const asMemory = (value: unknown) => {
  const bytes = typeof value === "string" ? parseSize(value) : null;
  return bytes !== null && bytes > 0 && bytes % WASM_PAGE_BYTES === 0 ? bytes : null;
};

const MODULE_MEMORY_MAX_BYTES = limit("MODULE_MEMORY_MAX_BYTES");
const MEMORY_FORM = `${SIZE_FORM}, a whole number of 64 KiB pages (${formatSize(WASM_PAGE_BYTES)}) up to ${formatSize(MODULE_MEMORY_MAX_BYTES)}`;

/**
 * A module's `memory`: a whole number of pages, and at most what the kernel reserves for one
 * module (MODULE_MEMORY_MAX_BYTES, interface/optios.ts), refused here rather than at boot.
 */
function checkMemory(checker: FileChecker, table: Table, path: string, where: string): number | undefined {
  if (!("memory" in table)) return DEFAULT_MEMORY_BYTES;
  const bytes = checker.expect(table.memory, `${path}.memory`, `${where} memory`, MEMORY_FORM, asMemory);
  if (bytes === undefined || bytes <= MODULE_MEMORY_MAX_BYTES) return bytes;
  checker.report(`${path}.memory`, `${where} memory: ${describeValue(table.memory)} is more than the kernel reserves for one module, ` +
    `${formatSize(MODULE_MEMORY_MAX_BYTES)} (MODULE_MEMORY_MAX_BYTES); expected at most "${formatSize(MODULE_MEMORY_MAX_BYTES)}"`);
  return undefined;
}

function checkSystem(checker: FileChecker, table: Table, fragment: Fragment): void {
  const where = "[system]";
  checker.rejectUnknownKeys(table, SYSTEM_KEYS, "system", `in ${where}`);
  if ("hostname" in table) {
    const hostname = checker.expect(table.hostname, "system.hostname", `${where} hostname`, HOSTNAME_FORM, asString(HOSTNAME_PATTERN));
    if (hostname !== undefined) fragment.system.hostname = { value: hostname.toLowerCase(), origin: checker.origin("system.hostname") };
  }
  if ("version" in table) {
    const version = checker.expect(table.version, "system.version", `${where} version`, VERSION_FORM, asString(VERSION_PATTERN));
    if (version !== undefined) fragment.system.version = { value: version, origin: checker.origin("system.version") };
  }
  if ("keep_generations" in table) {
    const expected = `a whole number from 1 to ${MAXIMUM_KEEP_GENERATIONS}`;
    const keep = checker.expect(table.keep_generations, "system.keep_generations", `${where} keep_generations`, expected, asInteger(1, MAXIMUM_KEEP_GENERATIONS));
    if (keep !== undefined) fragment.system.keepGenerations = { value: keep, origin: checker.origin("system.keep_generations") };
  }
  if ("deploy" in table) {
    const deploy = checker.expect(table.deploy, "system.deploy", `${where} deploy`, "true or false", (value) => (typeof value === "boolean" ? value : null));
    if (deploy !== undefined) fragment.system.deploy = { value: deploy, origin: checker.origin("system.deploy") };
  }
}

function checkForeground(checker: FileChecker, table: Table, fragment: Fragment): void {
  const where = "[foreground]";
  checker.rejectUnknownKeys(table, FOREGROUND_KEYS, "foreground", `in ${where}`);
  if ("max" in table) {
    const max = checker.expect(table.max, "foreground.max", `${where} max`, `a whole number from 1 to ${MAXIMUM_FOREGROUND}`, asInteger(1, MAXIMUM_FOREGROUND));
    if (max !== undefined) fragment.foreground.max = { value: max, origin: checker.origin("foreground.max") };
  }
  if ("programs" in table) {
    const programs = checker.expectList(table.programs, "foreground.programs", `${where} programs`, `a program name (${NAME_FORM})`, NAME_PATTERN);
    for (const program of programs ?? []) fragment.foreground.programs.push({ value: program, origin: checker.origin("foreground.programs") });
  }
}

/** Reads the keys of one `[[handlers]]` or `[[programs]]` table, reporting each bad or missing value. */
function tableFields(checker: FileChecker, table: Table, path: string, where: string) {
  const field = (key: string) => ({ path: `${path}.${key}`, label: `${where} ${key}` });
  return {
    field,
    required(key: string, expected: string, test: (value: unknown) => string | null): string | undefined {
      if (key in table) return checker.expect(table[key], field(key).path, field(key).label, expected, test);
      checker.report(path, `${field(key).label}: missing; expected ${expected}`);
      return undefined;
    },
    optional<T>(key: string, expected: string, test: (value: unknown) => T | null, fallback: T): T | undefined {
      return key in table ? checker.expect(table[key], field(key).path, field(key).label, expected, test) : fallback;
    },
  };
}

/** "[[handlers]] #2 (name 'pulse')": how messages name the index-th (0-based) table of an array. */
function describeArrayTable(array: string, table: Table, index: number): string {
  const named = typeof table.name === "string" ? ` (name '${table.name}')` : "";
  return `[[${array}]] #${index + 1}${named}`;
}

/** A list of distinct port numbers, 1 to 65535; null for anything else. */
function asPorts(value: unknown): number[] | null {
  if (!Array.isArray(value)) return null;
  const ports = value.map(asInteger(1, 65535));
  if (ports.some((port) => port === null)) return null;
  return new Set(ports).size === ports.length && ports.length <= limit("NET_HANDLER_PORTS_MAX") ? (ports as number[]) : null;
}

/** "a.b.c.d" with each part 0 to 255; null for anything else. */
export function asIpv4(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const parts = value.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255)) return null;
  return value;
}

/** "a.b.c.d/prefix", prefix 1 to 32; null for anything else. */
function asAddressWithPrefix(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const [address, prefix, extra] = value.split("/");
  if (extra !== undefined || prefix === undefined || asIpv4(address) === null || !/^[0-9]{1,2}$/.test(prefix)) return null;
  return Number(prefix) >= 1 && Number(prefix) <= 32 ? value : null;
}

function checkNetwork(checker: FileChecker, table: Table, fragment: Fragment): void {
  const where = "[network]";
  checker.rejectUnknownKeys(table, NETWORK_KEYS, "network", `in ${where}`);
  const network: NonNullable<Fragment["network"]> = { origin: checker.origin("network") };
  const read = <T>(key: string, expected: string, test: (value: unknown) => T | null): Setting<T> | undefined => {
    if (!(key in table)) return undefined;
    const value = checker.expect(table[key], `network.${key}`, `${where} ${key}`, expected, test);
    return value === undefined ? undefined : { value, origin: checker.origin(`network.${key}`) };
  };
  network.dhcp = read("dhcp", "true or false", (value) => (typeof value === "boolean" ? value : null));
  network.address = read("address", 'an IPv4 address with its prefix length, such as "10.0.2.15/24"', asAddressWithPrefix);
  network.gateway = read("gateway", 'an IPv4 address, such as "10.0.2.2"', asIpv4);
  network.dns = read("dns", 'an IPv4 address, such as "10.0.2.3"', asIpv4);
  network.dhcpTimeout = read("dhcp_timeout", `${DURATION_FORM}, from 1s to 10min`, (value) => {
    const nanoseconds = typeof value === "string" ? parseDuration(value) : null;
    return nanoseconds !== null && nanoseconds >= 1_000_000_000 && nanoseconds <= 600_000_000_000 ? nanoseconds : null;
  });
  fragment.network = network;
}

/** "commit", "none", or "interval:DURATION" (1 ms to 60 s) as its nanoseconds; null for anything else. */
function asDurability(value: unknown): "commit" | "none" | number | null {
  if (value === "commit" || value === "none") return value;
  if (typeof value !== "string" || !value.startsWith("interval:")) return null;
  const nanoseconds = parseDuration(value.slice("interval:".length));
  return nanoseconds !== null && nanoseconds >= 1_000_000 && nanoseconds <= 60_000_000_000 ? nanoseconds : null;
}

/** Validates `[[handlers]]` #index (0-based); returns the normalised handler or null. */
function checkHandler(checker: FileChecker, table: Table, index: number, directory: string): HandlerConfig | null {
  const path = `handlers.${index}`;
  const where = describeArrayTable("handlers", table, index);
  const unknownKeys = checker.rejectUnknownKeys(table, HANDLER_KEYS, path, `in ${where}`);
  const { field, required, optional } = tableFields(checker, table, path, where);

  const name = required("name", NAME_FORM, asString(NAME_PATTERN));
  const sourceForm = "a path to the handler's source (AssemblyScript .ts, or WebAssembly text .wat), relative to this file";
  const source = required("source", sourceForm, asString(/^.+$/));
  const version = required("version", VERSION_FORM, asString(VERSION_PATTERN));
  const every = optional("every", `${DURATION_FORM}, greater than zero`, asDuration(1), null);
  const after = optional("after", `${DURATION_FORM}, greater than zero`, asDuration(1), null);
  const events = "events" in table ? checker.expectList(table.events, field("events").path, field("events").label, EVENT_FORM, EVENT_PATTERN) : [];
  const boot = optional("boot", "true or false", (value) => (typeof value === "boolean" ? value : null), false);
  const messages = optional("messages", "true or false", (value) => (typeof value === "boolean" ? value : null), false);
  const calls = optional("calls", "true or false", (value) => (typeof value === "boolean" ? value : null), false);
  const ports = `distinct port numbers from 1 to 65535, at most ${limit("NET_HANDLER_PORTS_MAX")}`;
  const udp = optional("udp", `a list of ${ports}, such as [7]`, asPorts, []);
  const tcp = optional("tcp", `a list of ${ports}, such as [80]`, asPorts, []);
  const queue = optional("queue", `a whole number from 1 to ${limit("QUEUE_DEPTH_MAX")}`, asInteger(1, limit("QUEUE_DEPTH_MAX")),
    limit("QUEUE_DEPTH"));
  const budget = optional("budget", `${DURATION_FORM}, greater than zero`, asDuration(1), DEFAULT_BUDGET_NANOSECONDS);
  const durability = optional("durability", '"commit" (each committed run written to the data disk and flushed before the next), ' +
    '"interval:DURATION" (written at each commit, flushed within DURATION, 1ms to 60s: group commit) or "none"', asDurability, "commit");
  const memory = checkMemory(checker, table, path, where);
  const capabilities = checkCapabilities(checker, table, path, where);
  // A handler's source may be missing here (the compiler reports it); it must not be outside the project or a device.
  const sourceUsable = source === undefined || checker.checkSource(field("source").path, field("source").label, resolve(directory, source), source, sourceForm, false);

  const values = [name, source, version, every, after, events, boot, messages, calls, udp, tcp, queue, budget, memory, capabilities, durability];
  // A misspelt trigger is already reported as an unknown key; "no trigger" would repeat it.
  if (values.some((value) => value === undefined) || !sourceUsable || unknownKeys > 0) return null;
  if (every === null && after === null && events!.length === 0 && boot === false && messages === false && calls === false &&
    udp!.length === 0 && tcp!.length === 0) {
    checker.report(path, `${where}: no trigger; expected at least one of every, after, events, udp, tcp, boot = true, messages = true or calls = true`);
    return null;
  }
  // Listening is a trigger; the capability is the permission, and both are written down (docs/network.md).
  let missing = 0;
  for (const [protocol, ports] of [["udp", udp!], ["tcp", tcp!]] as const) {
    for (const port of ports) {
      if (capabilities!.some((capability) => capability === `net.${protocol}:${port}` || capability === `net.${protocol}:*`)) continue;
      checker.report(field(protocol).path, `${where} ${protocol} = [${ports.join(", ")}]: port ${port} needs the capability "net.${protocol}:${port}"; ` +
        `add it to capabilities`);
      missing++;
    }
  }
  if (missing > 0) return null;
  return {
    name: name!,
    source: resolve(directory, source!),
    version: version!,
    triggers: { everyNanoseconds: every!, afterNanoseconds: after!, events: events!, boot: boot!, messages: messages!, calls: calls!, udp: udp!, tcp: tcp! },
    budgetNanoseconds: budget!,
    memoryBytes: memory!,
    capabilities: capabilities!,
    queueDepth: queue!,
    ...(durability === "none" ? { durability: "none" as const } : {}),
    ...(typeof durability === "number" ? { durability: "interval" as const, durabilityIntervalNanoseconds: durability } : {}),
  };
}

/**
 * `capabilities = ["emit:door.*", "power"]`: each entry a declared capability (interface/optios.ts),
 * with an argument exactly where the capability takes one; every bad entry is reported on its
 * own, with a "did you mean" for a misspelt name. Returns the distinct entries, or undefined.
 */
function checkCapabilities(checker: FileChecker, table: Table, path: string, where: string): string[] | undefined {
  const key = `${path}.capabilities`;
  if (!("capabilities" in table)) return [];
  const value = table.capabilities;
  if (!Array.isArray(value)) {
    checker.report(key, `${where} capabilities: expected a list of capability names such as "emit:door.opened" or "power", got ${describeValue(value)}`);
    return undefined;
  }
  let bad = 0;
  value.forEach((item, index) => {
    const problem = typeof item === "string" ? capabilityProblem(item) : `expected a string, got ${describeValue(item)}`;
    if (problem === null) return;
    checker.report(key, `${where} capabilities[${index + 1}]: ${problem}`);
    bad++;
  });
  if (value.length > limit("CAPABILITIES_MAX")) {
    checker.report(key, `${where} capabilities: ${value.length} entries; expected at most ${limit("CAPABILITIES_MAX")}`);
    bad++;
  }
  return bad > 0 ? undefined : [...new Set(value as string[])];
}

/**
 * Validates `[[programs]]` #index (0-based); returns the normalised program or null. Unlike a
 * handler's, a program's source must exist when the system is loaded: a program named in
 * `[foreground] programs` is started at boot, and a wrong path should not wait for the compiler.
 */
function checkProgram(checker: FileChecker, table: Table, index: number, directory: string): ProgramConfig | null {
  const path = `programs.${index}`;
  const where = describeArrayTable("programs", table, index);
  const unknownKeys = checker.rejectUnknownKeys(table, PROGRAM_KEYS, path, `in ${where}`);
  const { field, required } = tableFields(checker, table, path, where);

  const name = required("name", NAME_FORM, asString(NAME_PATTERN));
  const sourceForm = "a path to the program's AssemblyScript source, relative to this file";
  const source = required("source", sourceForm, asString(/^.+$/));
  const memory = checkMemory(checker, table, path, where);
  const capabilities = checkCapabilities(checker, table, path, where);
  if (source !== undefined && !checker.checkSource(field("source").path, field("source").label, resolve(directory, source), source, sourceForm, true)) return null;
  if (name === undefined || source === undefined || memory === undefined || capabilities === undefined || unknownKeys > 0) return null;
  return { name, source: resolve(directory, source), memoryBytes: memory, capabilities };
}

/** Validates every table of the array `key` (`[[handlers]]`, `[[programs]]`) with `check`. */
function checkArrayOfTables<T>(checker: FileChecker, document: Table, key: string, check: (table: Table, index: number) => T | null): Setting<T>[] {
  if (!(key in document)) return [];
  const tables = document[key];
  if (!Array.isArray(tables) || !tables.every(isTable)) {
    checker.report(key, `${key}: expected [[${key}]] tables, got ${describeValue(tables)}`);
    return [];
  }
  const settings: Setting<T>[] = [];
  tables.forEach((table, index) => {
    const value = check(table, index);
    if (value !== null) settings.push({ value, origin: checker.origin(`${key}.${index}`) });
  });
  return settings;
}

/**
 * Validates one parsed file. `absolutePath` locates includes, handler and program sources
 * (all relative to the file that names them); `file` is how messages name it; `root` is the
 * project root every named file must lie in.
 */
export function checkFile(document: Table, absolutePath: string, file: string, lines: KeyLines, problems: ConfigProblem[], root: string): Fragment {
  const checker = new FileChecker(file, lines, problems, root);
  const directory = dirname(absolutePath);
  const fragment: Fragment = { file, includes: [], system: {}, foreground: { programs: [] }, handlers: [], programs: [] };
  checker.rejectUnknownKeys(document, TOP_LEVEL_KEYS, "", "at the top level");
  if ("include" in document) {
    const includes = checker.expectList(document.include, "include", "include", "a path to a module file, relative to this file", /^.+$/);
    for (const include of includes ?? []) fragment.includes.push({ value: resolve(directory, include), origin: checker.origin("include") });
  }
  const tables: Array<[string, (table: Table) => void]> = [
    ["system", (table) => checkSystem(checker, table, fragment)],
    ["foreground", (table) => checkForeground(checker, table, fragment)],
    ["network", (table) => checkNetwork(checker, table, fragment)],
  ];
  for (const [key, check] of tables) {
    if (!(key in document)) continue;
    if (isTable(document[key])) check(document[key] as Table);
    else checker.report(key, `${key}: expected a table [${key}], got ${describeValue(document[key])}`);
  }
  fragment.handlers = checkArrayOfTables(checker, document, "handlers", (table, index) => checkHandler(checker, table, index, directory));
  fragment.programs = checkArrayOfTables(checker, document, "programs", (table, index) => checkProgram(checker, table, index, directory));
  return fragment;
}
