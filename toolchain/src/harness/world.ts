// What the harness's kernel knows besides the module under test: the clock, the boot filesystem, other handlers and programs.
//
// A test describes the world in its options (or takes it from a system.toml): which other
// handlers exist and which events they subscribe to (so emit can count subscribers, as the
// kernel does), their status counters, the programs /bin holds, and the files a module with
// files:read may open, the data disk's files (data.ts). The clock stands still until the test advances it.
import { limit, recordLayout, recordNamed, reportTopics } from "../../../interface/optios.ts";
import { defaultSourceDateEpoch } from "../project.ts";
import { parseDuration } from "../system/units.ts";
import { DataFiles } from "./data.ts";

const FOREGROUND_MAX = limit("FOREGROUND_MAX");

/** A handler's supervision counters, as the status call writes them (StatusRecord). */
export interface HandlerStatus {
  runs: bigint;
  failures: bigint;
  restarts: bigint;
  lastTrap: number;
  consecutiveFailures: number;
  quarantined: number;
}

/** StatusRecord's bytes, laid out from its declaration in interface/optios.ts. */
export function statusBytes(status: Partial<HandlerStatus>): Uint8Array {
  const record = recordNamed("StatusRecord");
  const { offsets, bytes } = recordLayout(record);
  const view = new DataView(new ArrayBuffer(bytes));
  for (const [field, type] of record.fields) {
    const value = (status as Record<string, bigint | number | undefined>)[field] ?? 0;
    if (type === "u64") view.setBigUint64(offsets.get(field)!, BigInt(value), true);
    else if (type === "u32") view.setUint32(offsets.get(field)!, Number(value), true);
    else throw new Error(`harness: StatusRecord.${field} is ${type}; statusBytes() writes u32 and u64 fields only`);
  }
  return new Uint8Array(view.buffer);
}

/** A duration as system.toml writes it ("250ms") or nanoseconds. */
export function nanoseconds(duration: string | number | bigint): bigint {
  if (typeof duration !== "string") return BigInt(duration);
  const parsed = parseDuration(duration);
  if (parsed === null) throw new Error(`harness: duration "${duration}": expected a whole number followed by ns, us, ms, s, m or h`);
  return BigInt(parsed);
}

export class Clock {
  /** Nanoseconds since boot: what now() returns. */
  monotonic = 0n;
  /** Nanoseconds since 1970 (UTC): what wallTime() returns; null for a machine without a readable real-time clock. */
  wall: bigint | null;

  constructor(wall: bigint | null) {
    this.wall = wall;
  }

  /** Moves both clocks forward by `duration` ("1s", or nanoseconds). */
  advance(duration: string | number | bigint): void {
    const step = nanoseconds(duration);
    if (step < 0n) throw new Error("harness: time only moves forward; advance() takes a duration ≥ 0");
    this.monotonic += step;
    if (this.wall !== null) this.wall += step;
  }
}

export type FilesystemEntry =
  | { kind: "file"; name: string; data: Uint8Array }
  | { kind: "directory"; name: string; children: FilesystemEntry[] };

/** The boot filesystem a files:read module sees: directories made from the paths given, in the order given. */
export class BootFilesystem {
  readonly root: FilesystemEntry & { kind: "directory" } = { kind: "directory", name: "", children: [] };

  constructor(files: Record<string, string | Uint8Array> = {}) {
    for (const [path, contents] of Object.entries(files)) {
      const parts = path.split("/").filter(Boolean);
      let directory = this.root;
      for (const part of parts.slice(0, -1)) {
        let child = directory.children.find((entry) => entry.name === part);
        if (!child) directory.children.push(child = { kind: "directory", name: part, children: [] });
        if (child.kind !== "directory") throw new Error(`harness: files: ${path}: ${part} is a file`);
        directory = child;
      }
      directory.children.push({ kind: "file", name: parts.at(-1)!, data: typeof contents === "string" ? new TextEncoder().encode(contents) : contents });
    }
  }

  /** The entry at `path` ("/etc/motd", "etc/../etc/motd"), or undefined. */
  lookup(path: string): FilesystemEntry | undefined {
    const trail: FilesystemEntry[] = [this.root];
    for (const part of path.split("/")) {
      const directory = trail.at(-1)!;
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (trail.length > 1) trail.pop();
        continue;
      }
      const child = directory.kind === "directory" ? directory.children.find((entry) => entry.name === part) : undefined;
      if (!child) return undefined;
      trail.push(child);
    }
    return trail.at(-1);
  }
}

/** Another handler of the system, as the module under test can see it. */
export interface OtherHandler {
  /** App events it subscribes to: emit counts it as a subscriber of these. */
  events?: string[];
  /** Whether it takes messages (post); default true for a handler given by name. */
  messages?: boolean;
  /** Whether it takes calls (call); default true when it has an `answer`. */
  calls?: boolean;
  /** How it answers a call: its reply, or null when it fails (the caller then gets ERROR_CALL_FAILED). */
  answer?: (request: Uint8Array, caller: string) => Uint8Array | string | null;
  status?: Partial<HandlerStatus>;
}

export interface WorldOptions {
  /** The other handlers (by name). Without them, and without a system, every emitted event has one subscriber. */
  handlers?: Record<string, OtherHandler>;
  /** Programs in /bin that run may start (default: any name). */
  programs?: string[];
  /** Foreground programs at once ([foreground] max; default FOREGROUND_MAX), the program under test included. */
  foregroundMax?: number;
  /** The boot filesystem: path → contents. */
  files?: Record<string, string | Uint8Array>;
  /** The data disk's files (/data/…): path → contents. */
  dataFiles?: Record<string, string | Uint8Array>;
  /** Whether the machine has a data disk (default true); without one, data calls give ERROR_NO_DATA_DISK. */
  dataDisk?: boolean;
  /** The wall clock at the start, in nanoseconds since 1970, or null for none (default: 2024-01-01 00:00 UTC). */
  wallTime?: bigint | null;
}

export class World {
  readonly clock: Clock;
  readonly files: BootFilesystem;
  /** The data disk, or null for a machine without one. */
  readonly data: DataFiles | null;
  readonly handlers: Map<string, OtherHandler> | null;
  readonly programs: string[] | null;
  readonly foregroundMax: number;
  /** Programs started with run, by console number (the module under test holds console 1). */
  readonly consoles = new Map<number, string>();
  /** The status of the module under test, when it is a handler (set by HandlerHarness). */
  ownStatus: ((name: string) => Uint8Array | null) | null = null;

  constructor(options: WorldOptions = {}) {
    this.clock = new Clock(options.wallTime === undefined ? BigInt(defaultSourceDateEpoch) * 1_000_000_000n : options.wallTime);
    this.files = new BootFilesystem(options.files);
    this.data = options.dataDisk === false ? null : new DataFiles(options.dataFiles);
    this.handlers = options.handlers ? new Map(Object.entries(options.handlers)) : null;
    this.programs = options.programs ?? null;
    this.foregroundMax = options.foregroundMax ?? FOREGROUND_MAX;
  }

  subscribersOf(event: string): number {
    if (this.handlers === null) return 1;
    return [...this.handlers.values()].filter((handler) => handler.events?.includes(event)).length;
  }

  /** Whether a post to `name` may be queued: null when it may, else the error's name. */
  postProblem(name: string): "NOT_FOUND" | "NOT_ACCEPTING" | null {
    if (this.handlers === null) return null;
    const handler = this.handlers.get(name);
    if (handler === undefined) return "NOT_FOUND";
    return handler.messages === false ? "NOT_ACCEPTING" : null;
  }

  /** Whether `caller` may call `name`: null when it may, else the error's name. */
  callProblem(name: string, caller: string): "NOT_FOUND" | "NOT_CALLABLE" | "CALL_CYCLE" | null {
    if (name === caller) return "CALL_CYCLE";
    const handler = this.handlers?.get(name);
    if (handler === undefined) return "NOT_FOUND";
    return handler.calls === false || (handler.calls === undefined && handler.answer === undefined) ? "NOT_CALLABLE" : null;
  }

  /** The reply handler `name` gives, or null when it fails. */
  answerCall(name: string, request: Uint8Array, caller: string): Uint8Array | null {
    const answer = this.handlers?.get(name)?.answer;
    if (answer === undefined) {
      throw new Error(`harness: '${caller}' calls '${name}': give the harness its answer, as handlers: { ${name}: { answer: (request) => reply } }`);
    }
    const reply = answer(request, caller);
    return typeof reply === "string" ? new TextEncoder().encode(reply) : reply;
  }

  knowsHandler(name: string): boolean {
    return this.handlers === null || this.handlers.has(name);
  }

  /** The index-th handler's name, in name order (the kernel's is its load order), or null past the last; with no handlers given, none. */
  handlerNameAt(index: number): string | null {
    const names = this.handlers === null ? [] : [...this.handlers.keys()].sort();
    return names[index] ?? null;
  }

  statusOf(name: string, caller: { name: string }): Uint8Array | null {
    if (name === caller.name && this.ownStatus) return this.ownStatus(name);
    if (!this.knowsHandler(name)) return null;
    return statusBytes(this.handlers?.get(name)?.status ?? {});
  }

  reportTopic(topic: number): string | null {
    return reportTopics[topic - 1] ?? null;
  }

  /** The console a started program runs on, or why it could not start (the kernel's words). */
  /** Why /bin/<name> cannot be started, or null. */
  programProblem(name: string): string | null {
    return this.programs !== null && !this.programs.includes(name) ? `'${name}' is not a program of this system (see: ls /bin)` : null;
  }

  startProgram(name: string): number | string {
    const problem = this.programProblem(name);
    if (problem !== null) return problem;
    for (let console = 2; console <= this.foregroundMax; console++) {
      if (this.consoles.has(console)) continue;
      this.consoles.set(console, name);
      return console;
    }
    return `all ${this.foregroundMax} ${this.foregroundMax === 1 ? "console has" : "consoles have"} a program ([foreground] max = ${this.foregroundMax}): run it here instead ` +
      `(run NAME), stop one (stop N), or raise [foreground] max (at most ${FOREGROUND_MAX}) in the system.toml and rebuild`;
  }

  stopProgram(console: number): boolean {
    return this.consoles.delete(console);
  }
}
