// Loads a system.toml with its includes into one validated, normalised SystemConfig.
//
// Merge rules (NixOS modules in spirit): a file's includes are read before the file
// itself, depth first, so every file extends what it includes. Lists concatenate:
// [[handlers]] and [[programs]] in include order, [foreground] programs as a set (a program
// listed twice is listed once). A scalar (hostname, version, keep_generations, max) may be
// set by several files only to the same value; different values are a conflict naming both
// files. A handler or program name defined twice is a conflict naming both. Every program
// [foreground] starts must be declared in [[programs]], and at most max of them. A file
// reached twice through different includes is read once; a file that includes itself,
// directly or not, is a cycle, reported with the chain of files; includes nest at most
// INCLUDE_DEPTH_MAX deep. Every file named must be a regular file inside the project root
// (files.ts), of at most SYSTEM_FILE_MAX_BYTES for system and module files.
import { realpathSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { parse, TomlError } from "smol-toml";
import { blake3Hex } from "../store/hash.ts";
import { canonicalJson } from "./canonical.ts";
import { SystemConfigError, closestWord, type ConfigProblem } from "./errors.ts";
import { locateKeys } from "./locate.ts";
import { checkNamedFile, isInside, readNamedFile } from "./files.ts";
import {
  DEFAULT_DHCP_TIMEOUT_NANOSECONDS, DEFAULT_FOREGROUND_MAX, DEFAULT_KEEP_GENERATIONS, HOSTNAME_FORM, INCLUDE_DEPTH_MAX, NETWORK_STACK,
  SYSTEM_FILE_MAX_BYTES, VERSION_FORM, type HandlerConfig, type NetworkConfig, type ProgramConfig, type SystemConfig,
} from "./schema.ts";
import { parseCapability } from "./capabilities.ts";
import { formatSize } from "./units.ts";
import { checkFile, type Fragment, type Origin, type Setting } from "./validate.ts";
import { limit } from "../../../interface/optios.ts";

export interface LoadOptions {
  /**
   * The project root (default: the working directory, where `optios` runs): files are named
   * relative to it in messages, and every file the system names must lie inside it (files.ts).
   */
  root?: string;
}

export interface LoadedSystem {
  config: SystemConfig;
  /** The config as JSON with sorted keys: the same system always gives the same text. */
  canonicalJson: string;
  /** BLAKE3 of canonicalJson, hex. */
  hash: string;
  /** Every file read, absolute (as named, symbolic links not resolved), in merge order (includes first, the top-level file last). */
  files: string[];
  /** Where each handler and program is declared ("handlers:ping", "programs:shell"), for messages. */
  origins: Map<string, Origin>;
}

const MODULE_FILE_FORM = "a path to a module file, relative to the including file";

/**
 * Reads a file and its includes, depth first. Paths stay as named (resolved against the naming
 * file's path, links not followed), so the project-root rule judges what the user wrote; files
 * are told apart by their real path, so a diamond is read once and a cycle is found through links.
 */
class IncludeWalker {
  readonly fragments: Fragment[] = [];
  readonly files: string[] = [];
  readonly problems: ConfigProblem[] = [];
  private readonly visited = new Set<string>();
  /** For each file read (as shown), every file it includes, directly or through others. */
  readonly includedBy = new Map<string, Set<string>>();
  /** The files being read, outermost first: their real paths (for cycles) and paths as named. */
  private readonly stack: Array<{ real: string; path: string }> = [];

  constructor(readonly root: string) {}

  display(path: string): string {
    if (path === this.root) return ".";
    return isInside(this.root, path) ? relative(this.root, path).split(sep).join("/") : path;
  }

  /** Reads `path` and what it includes; returns how it is shown (undefined when it could not be read). */
  walk(path: string, includedFrom: Origin | null): string | undefined {
    const refuse = (problem: string, expected: string) => {
      if (includedFrom === null) this.problems.push({ file: this.display(path), line: 0, message: `${problem}; expected ${expected}` });
      else this.problems.push({ ...includedFrom, message: `include: ${problem}; expected ${expected}` });
    };
    const shown = this.display(path);
    const check = checkNamedFile(path, shown, this.root, SYSTEM_FILE_MAX_BYTES);
    if (check.problem !== null) {
      if (check.missing && includedFrom === null) this.problems.push({ file: shown, line: 0, message: "file not found" });
      else if (check.missing) refuse(check.problem, "a path relative to the including file");
      else refuse(check.problem, `${includedFrom === null ? "a system.toml" : MODULE_FILE_FORM}: a regular file of at most ${formatSize(SYSTEM_FILE_MAX_BYTES)} inside the project root`);
      return;
    }
    const real = realpathSync(path);
    const open = this.stack.findIndex((file) => file.real === real);
    if (open >= 0) {
      const chain = [...this.stack.slice(open).map((file) => file.path), path].map((file) => this.display(file)).join(" → ");
      refuse(`include cycle: ${chain}`, "each file to be included only by files it does not include");
      return;
    }
    if (this.stack.length > INCLUDE_DEPTH_MAX) {
      refuse(`includes nested more than ${INCLUDE_DEPTH_MAX} deep: ${this.describeChain(path)}`, `at most ${INCLUDE_DEPTH_MAX} levels of include (INCLUDE_DEPTH_MAX)`);
      return;
    }
    if (this.visited.has(real)) return shown;
    this.visited.add(real);
    const fragment = this.read(path, shown, includedFrom === null ? "a system.toml" : "a module file");
    if (fragment === null) return;
    this.stack.push({ real, path });
    const included = new Set<string>();
    for (const include of fragment.includes) {
      const child = this.walk(include.value, include.origin);
      if (child === undefined) continue;
      included.add(child);
      for (const below of this.includedBy.get(child) ?? []) included.add(below);
    }
    this.includedBy.set(shown, included);
    this.stack.pop();
    this.fragments.push(fragment);
    this.files.push(path);
    return shown;
  }

  /** "system.toml → a.toml → … → z.toml": the open files and `path`, the middle left out when long. */
  private describeChain(path: string): string {
    const files = [...this.stack.map((file) => file.path), path].map((file) => this.display(file));
    const shown = files.length <= 6 ? files : [...files.slice(0, 2), "…", ...files.slice(-3)];
    return shown.join(" → ");
  }

  private read(path: string, shown: string, noun: string): Fragment | null {
    const read = readNamedFile(path, shown, SYSTEM_FILE_MAX_BYTES);
    if ("problem" in read) {
      this.problems.push({ file: shown, line: 0, message: `${read.problem}; expected ${noun}: a regular file of at most ${formatSize(SYSTEM_FILE_MAX_BYTES)}` });
      return null;
    }
    let document: Record<string, unknown>;
    try {
      document = parse(read.text, { integersAsBigInt: true }) as Record<string, unknown>;
    } catch (error) {
      if (!(error instanceof TomlError)) throw error;
      const reason = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
      this.problems.push({ file: shown, line: error.line, message: `invalid TOML at column ${error.column}: ${reason}` });
      return null;
    }
    return checkFile(document, path, shown, locateKeys(read.text), this.problems, this.root);
  }
}

function describeOrigin(origin: Origin): string {
  return `${origin.file}:${origin.line}`;
}

/**
 * One value from the files that set it: a file overrides what it includes (directly or not),
 * so a system can change a setting of a module it includes; two files where neither includes
 * the other must agree, or it is a conflict naming both.
 */
function mergeScalar<T>(settings: Array<Setting<T> | undefined>, field: string, problems: ConfigProblem[],
  includedBy: Map<string, Set<string>>): T | undefined {
  const includes = (file: string, other: string) => includedBy.get(file)?.has(other) === true;
  let chosen: Setting<T> | undefined;
  for (const setting of settings) {
    if (setting === undefined) continue;
    if (chosen === undefined || includes(setting.origin.file, chosen.origin.file)) chosen = setting;
    else if (includes(chosen.origin.file, setting.origin.file)) continue;
    else if (chosen.value !== setting.value) {
      const message = `${field}: conflicting values ${JSON.stringify(chosen.value)} in ${describeOrigin(chosen.origin)} and ${JSON.stringify(setting.value)} in ${describeOrigin(setting.origin)}; expected one value (set it in one file, the same in both, or in a file that includes both)`;
      problems.push({ ...setting.origin, message });
    }
  }
  return chosen?.value;
}

function merge(fragments: Fragment[], rootDirectory: string, projectRoot: string, problems: ConfigProblem[],
  includedBy: Map<string, Set<string>>): SystemConfig {
  const root = fragments[fragments.length - 1];
  const rootOrigin: Origin = { file: root.file, line: 0 };
  const hostname = mergeScalar(fragments.map((fragment) => fragment.system.hostname), "[system] hostname", problems, includedBy);
  const version = mergeScalar(fragments.map((fragment) => fragment.system.version), "[system] version", problems, includedBy);
  const keep = mergeScalar(fragments.map((fragment) => fragment.system.keepGenerations), "[system] keep_generations", problems, includedBy);
  const deploy = mergeScalar(fragments.map((fragment) => fragment.system.deploy), "[system] deploy", problems, includedBy);
  const max = mergeScalar(fragments.map((fragment) => fragment.foreground.max), "[foreground] max", problems, includedBy);
  if (hostname === undefined) problems.push({ ...rootOrigin, message: `[system] hostname: missing in this file and its includes; expected ${HOSTNAME_FORM}` });
  if (version === undefined) problems.push({ ...rootOrigin, message: `[system] version: missing in this file and its includes; expected ${VERSION_FORM}` });

  const network = mergeNetwork(fragments, problems, includedBy);
  const handlers = mergeNamed(fragments.map((fragment) => fragment.handlers), "handlers", "handler", problems);
  checkPorts(fragments, network, problems);
  if (network !== null) handlers.push(networkStack(fragments, projectRoot, problems));
  const programs = mergeNamed(fragments.map((fragment) => fragment.programs), "programs", "program", problems);
  const started = checkStartedPrograms(fragments, programs, max ?? DEFAULT_FOREGROUND_MAX, problems);
  checkModuleCounts(handlers.length, programs.length, max ?? DEFAULT_FOREGROUND_MAX, rootOrigin, problems);
  checkPostAndCallGrants(fragments, handlers, problems);
  const relativeSource = <T extends { source: string }>(item: T): T => ({ ...item, source: relative(rootDirectory, item.source).split(sep).join("/") });
  return {
    system: { hostname: hostname ?? "", version: version ?? "", keepGenerations: keep ?? DEFAULT_KEEP_GENERATIONS, deploy: deploy ?? false },
    foreground: { max: max ?? DEFAULT_FOREGROUND_MAX, programs: started },
    handlers: handlers.map(relativeSource),
    programs: programs.map(relativeSource),
    network,
  };
}

/** `[network]` from every file that has one (scalars merged as [system]'s are); null when none has. */
function mergeNetwork(fragments: Fragment[], problems: ConfigProblem[], includedBy: Map<string, Set<string>>): NetworkConfig | null {
  const tables = fragments.map((fragment) => fragment.network).filter((table) => table !== undefined);
  if (tables.length === 0) return null;
  const pick = <K extends "dhcp" | "address" | "gateway" | "dns" | "dhcpTimeout">(key: K, field: string) =>
    mergeScalar(tables.map((table) => table![key]) as Array<NonNullable<Fragment["network"]>[K]>, `[network] ${field}`, problems, includedBy);
  const address = pick("address", "address") as string | undefined;
  const [dotted, prefix] = address === undefined ? [null, 0] : [address.split("/")[0], Number(address.split("/")[1])];
  const dhcp = (pick("dhcp", "dhcp") as boolean | undefined) ?? true;
  if (!dhcp && dotted === null) {
    problems.push({ ...tables[tables.length - 1]!.origin, message: "[network] dhcp = false: no address; expected address = \"a.b.c.d/prefix\" (or dhcp = true)" });
  }
  return {
    dhcp,
    address: dotted,
    prefix,
    gateway: (pick("gateway", "gateway") as string | undefined) ?? null,
    dns: (pick("dns", "dns") as string | undefined) ?? null,
    dhcpTimeoutNanoseconds: (pick("dhcpTimeout", "dhcp_timeout") as number | undefined) ?? DEFAULT_DHCP_TIMEOUT_NANOSECONDS,
  };
}

/** Each UDP and TCP port has one listener, at most NET_PORTS_MAX of each, and only in a system with [network]. */
function checkPorts(fragments: Fragment[], network: NetworkConfig | null, problems: ConfigProblem[]): void {
  for (const protocol of ["udp", "tcp"] as const) {
    const listeners = new Map<number, string>();
    for (const { value: handler, origin } of fragments.flatMap((fragment) => fragment.handlers)) {
      const ports = handler.triggers[protocol];
      if (ports.length > 0 && network === null) {
        problems.push({ ...origin, message: `'${handler.name}' ${protocol} = [${ports.join(", ")}]: the system has no [network] table; add [network] (docs/network.md)` });
      }
      for (const port of ports) {
        const other = listeners.get(port);
        if (other !== undefined && other !== handler.name) {
          problems.push({ ...origin, message: `'${handler.name}' ${protocol} = [${ports.join(", ")}]: ${protocol.toUpperCase()} port ${port} is also '${other}''s; expected one handler per port` });
        }
        listeners.set(port, handler.name);
      }
    }
    if (listeners.size > limit("NET_PORTS_MAX")) {
      const origin = fragments[fragments.length - 1].network?.origin ?? { file: fragments[fragments.length - 1].file, line: 0 };
      problems.push({ ...origin, message: `${listeners.size} ${protocol.toUpperCase()} ports are listened on; the network stack takes at most ${limit("NET_PORTS_MAX")} (NET_PORTS_MAX)` });
    }
  }
}

/** The network stack, as the handler the kernel runs it as (docs/network.md); its name is reserved. */
function networkStack(fragments: Fragment[], projectRoot: string, problems: ConfigProblem[]): HandlerConfig {
  for (const { value: handler, origin } of fragments.flatMap((fragment) => fragment.handlers)) {
    if (handler.name === NETWORK_STACK.name) {
      problems.push({ ...origin, message: `[[handlers]] name: '${NETWORK_STACK.name}' is the network stack's, which [network] adds; expected another name` });
    }
  }
  return {
    name: NETWORK_STACK.name,
    source: resolve(projectRoot, NETWORK_STACK.source),
    version: NETWORK_STACK.version,
    triggers: { everyNanoseconds: null, afterNanoseconds: null, events: [], boot: true, messages: false, calls: false, udp: [], tcp: [] },
    budgetNanoseconds: NETWORK_STACK.budgetNanoseconds,
    memoryBytes: NETWORK_STACK.memoryBytes,
    capabilities: ["net.stack"],
    queueDepth: NETWORK_STACK.queueDepth,
    durability: "none",
  };
}

/** Concatenates named tables in include order; a name defined twice is a conflict naming both places. */
function mergeNamed<T extends { name: string }>(lists: Setting<T>[][], array: string, noun: string, problems: ConfigProblem[]): T[] {
  const merged = new Map<string, Setting<T>>();
  for (const item of lists.flat()) {
    const earlier = merged.get(item.value.name);
    if (earlier === undefined) {
      merged.set(item.value.name, item);
      continue;
    }
    const message = `[[${array}]] name: ${noun} '${item.value.name}' is defined in ${describeOrigin(earlier.origin)} and again in ${describeOrigin(item.origin)}; expected each ${noun} name once`;
    problems.push({ ...item.origin, message });
  }
  return [...merged.values()].map(({ value }) => value);
}

/**
 * What the kernel can hold (interface/optios.ts): handlers, programs, modules loaded at once
 * (every handler and up to `max` of the programs), boot modules (every handler and the initrd).
 * Checked here so that nothing the toolchain accepts is dropped at boot.
 */
function checkModuleCounts(handlers: number, programs: number, max: number, origin: Origin, problems: ConfigProblem[]): void {
  const refuse = (message: string) => problems.push({ ...origin, message });
  if (handlers > limit("HANDLERS_MAX")) refuse(`[[handlers]]: ${handlers} handlers; the kernel runs at most ${limit("HANDLERS_MAX")} (HANDLERS_MAX)`);
  if (programs > limit("PROGRAMS_MAX")) refuse(`[[programs]]: ${programs} programs; the kernel knows at most ${limit("PROGRAMS_MAX")} (PROGRAMS_MAX)`);
  const running = Math.min(max, programs);
  if (handlers + running > limit("MODULES_MAX")) {
    refuse(`${handlers} handlers and up to ${running} programs at once ([foreground] max = ${max}) need ${handlers + running} modules ` +
      `loaded at once; the kernel holds at most ${limit("MODULES_MAX")} (MODULES_MAX)`);
  }
  if (handlers + 1 > limit("BOOT_MODULES_MAX")) {
    refuse(`${handlers} handlers and the initrd are ${handlers + 1} boot modules; the kernel keeps at most ${limit("BOOT_MODULES_MAX")} (BOOT_MODULES_MAX)`);
  }
}

/**
 * A `post:<name>` or `call:<name>` grant that names one handler (no `*`) must name a handler
 * that takes messages or calls: anything else would always be refused at run time, so the
 * build says so now. Calls nest one deep and a handler cannot call itself, so a handler that
 * takes calls may hold no `call:` grant, and none may name itself.
 */
function checkPostAndCallGrants(fragments: Fragment[], handlers: HandlerConfig[], problems: ConfigProblem[]): void {
  const takes = { post: { key: "messages", what: "messages" }, call: { key: "calls", what: "calls" } } as const;
  for (const fragment of fragments) {
    const modules = [...fragment.handlers.map((entry) => ({ ...entry, handler: true })), ...fragment.programs.map((entry) => ({ ...entry, handler: false }))];
    for (const { value: module, origin, handler: isHandler } of modules) {
      for (const capability of module.capabilities) {
        const { name, pattern: argument } = parseCapability(capability);
        if (name !== "post" && name !== "call") continue;
        const where = `'${module.name}' capabilities: "${capability}"`;
        if (name === "call" && isHandler && (module as HandlerConfig).triggers.calls) {
          problems.push({ ...origin, message: `${where}: '${module.name}' takes calls, and a handler answering a call may not call another (calls nest one deep); remove the grant or calls = true` });
          continue;
        }
        if (argument === "" || argument.includes("*")) continue;
        if (name === "call" && argument === module.name) {
          problems.push({ ...origin, message: `${where}: a handler may not call itself` });
          continue;
        }
        const target = handlers.find((candidate) => candidate.name === argument);
        if (target === undefined) {
          const suggestion = closestWord(argument, handlers.map((candidate) => candidate.name));
          problems.push({ ...origin, message: `${where} names no handler; expected the name of a [[handlers]] entry` +
            (suggestion !== null ? ` (did you mean '${suggestion}'?)` : "") });
        } else if (!target.triggers[takes[name].key]) {
          problems.push({ ...origin, message: `${where}: handler '${argument}' takes no ${takes[name].what}; add ${takes[name].key} = true to its [[handlers]] entry` });
        }
      }
    }
  }
}

/**
 * The programs `[foreground] programs` starts at boot, one per virtual console: a set in
 * first-listed order, each the name of a `[[programs]]` entry, at most `max` of them.
 */
function checkStartedPrograms(fragments: Fragment[], programs: ProgramConfig[], max: number, problems: ConfigProblem[]): string[] {
  const declared = programs.map((program) => program.name);
  const started = new Map<string, Origin>();
  for (const setting of fragments.flatMap((fragment) => fragment.foreground.programs)) {
    if (!started.has(setting.value)) started.set(setting.value, setting.origin);
  }
  for (const [name, origin] of started) {
    if (declared.includes(name)) continue;
    const suggestion = closestWord(name, declared);
    const hint = suggestion !== null ? `did you mean '${suggestion}'?`
      : declared.length > 0 ? `expected the name of a [[programs]] entry: ${declared.join(", ")}`
        : "expected the name of a [[programs]] entry, and none is declared";
    problems.push({ ...origin, message: `[foreground] programs: unknown program '${name}'; ${hint}` });
  }
  const names = [...started.keys()];
  if (names.length > max) {
    const origin = started.get(names[max])!;
    const message = `[foreground] programs: ${names.length} programs to start at boot, one per virtual console, but [foreground] max is ${max}; expected at most ${max}`;
    problems.push({ ...origin, message });
  }
  return names;
}

/** Reads, validates and merges `path` and its includes; throws SystemConfigError listing every problem. */
export async function loadSystem(path: string, options: LoadOptions = {}): Promise<LoadedSystem> {
  const walker = new IncludeWalker(resolve(options.root ?? process.cwd()));
  walker.walk(resolve(path), null);
  if (walker.problems.length > 0 || walker.fragments.length === 0) throw new SystemConfigError(walker.problems);
  const rootDirectory = dirname(walker.files[walker.files.length - 1]);
  const config = merge(walker.fragments, rootDirectory, resolve(options.root ?? process.cwd()), walker.problems, walker.includedBy);
  if (walker.problems.length > 0) throw new SystemConfigError(walker.problems);
  const json = canonicalJson(config);
  const origins = new Map<string, Origin>();
  for (const fragment of walker.fragments) {
    for (const handler of fragment.handlers) if (!origins.has(`handlers:${handler.value.name}`)) origins.set(`handlers:${handler.value.name}`, handler.origin);
    for (const program of fragment.programs) if (!origins.has(`programs:${program.value.name}`)) origins.set(`programs:${program.value.name}`, program.origin);
  }
  return { config, canonicalJson: json, hash: await blake3Hex(json), files: walker.files, origins };
}
