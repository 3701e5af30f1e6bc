// A handler or program loaded in the harness: its instance, the gate in front of its calls, its memory.
//
// What the kernel's gate does (kernel/gate/gate.ts) happens here in the same order for every
// call: the caller's kind (ERROR_WRONG_CALLER), then the grant the call's capability needs,
// matched against the call's argument (ERROR_NOT_GRANTED, and a line in `refusals`), then
// the implementation (calls.ts). The imports are built from interface/optios.ts, so a call
// declared there cannot be forgotten here.
import { calls, type CallDeclaration, capabilityNamed, errors, limit, reportTopics, traps } from "../../../interface/optios.ts";
import { grantPattern, parseCapability } from "../system/capabilities.ts";
import { implementations, type CallArguments } from "./calls.ts";
import { resolveDataPath } from "./data.ts";
import { GLOBAL_EXPORT_PREFIX } from "./compile.ts";
import type { World } from "./world.ts";

const EVENT_NAME_MAX_BYTES = limit("EVENT_NAME_MAX_BYTES");
const PATH_MAX_BYTES = limit("PATH_MAX_BYTES");

/** An error code of interface/optios.ts by name ("NOT_GRANTED" → -1n). */
export function errorCode(name: string): bigint {
  const found = errors.find((error) => error.name === name);
  if (!found) throw new Error(`harness: interface/optios.ts declares no error ${name}`);
  return BigInt(found.code);
}

/** A trap kind's name (TRAP_ constants without the prefix) and the words the kernel uses for it. */
export interface Trap {
  name: string;
  kind: number;
  text: string;
}

export function trapNamed(name: string): Trap {
  const found = traps.find((trap) => trap.name === name);
  if (!found) throw new Error(`harness: interface/optios.ts declares no trap ${name}`);
  return { name: found.name, kind: found.kind, text: found.text };
}

/** Thrown by the abort call: the run ends with TRAP_ABORT, as boot/gate_calls.c ends it. */
class AbortTrap extends Error {}

/** Thrown by the power call: the machine would restart or turn off, so the program ends here. */
export class PowerRequest extends Error {
  constructor(readonly kind: "reboot" | "power off") {
    super(kind);
  }
}

/** Thrown by read_line when the test's input lines are used up: the program ends here. */
export class InputExhausted extends Error {}

/** Which trap a JavaScript exception out of the module stands for; null for the harness's own errors. */
export function classifyTrap(error: unknown): Trap | null {
  if (error instanceof AbortTrap) return trapNamed("ABORT");
  if (error instanceof RangeError && /call stack/i.test(error.message)) return trapNamed("STACK_EXHAUSTED");
  if (!(error instanceof WebAssembly.RuntimeError)) return null;
  const message = error.message.toLowerCase();
  const known: Array<[RegExp, string]> = [
    [/out of bounds/, "OUT_OF_BOUNDS"], [/divide by zero|remainder by zero/, "DIVIDE_BY_ZERO"], [/integer overflow/, "INTEGER_OVERFLOW"],
    [/invalid conversion|float unrepresentable/, "INVALID_CONVERSION"], [/unreachable/, "UNREACHABLE"],
    [/indirect call|signature mismatch|table index/, "BAD_INDIRECT_CALL"],
  ];
  return trapNamed(known.find(([pattern]) => pattern.test(message))?.[1] ?? "UNREACHABLE");
}

/** The module's memory and every global it defines, as the kernel's snapshot keeps them. */
export interface Snapshot {
  memory: Uint8Array;
  globals: Array<number | bigint>;
}

/** A log line with its level (LOG_ERROR 3, LOG_WARNING 4, LOG_INFO 6, LOG_DEBUG 7). */
export interface LogLine {
  level: number;
  text: string;
}

/** A program a module started with run (the harness records it; it does not run it). */
export interface Started {
  name: string;
  argumentLine: string;
  /** RUN_HERE (run), or RUN_CONSOLE (runOnConsole). */
  here: boolean;
}

export interface Emitted {
  name: string;
  payload: Uint8Array;
}

export abstract class HarnessModule {
  abstract readonly kind: "handler" | "program";
  readonly name: string;
  readonly world: World;
  readonly grants: string[];
  /** Lines the module logged, as the kernel shows them after "[name] " (escaped, cut to LOG_MAX_BYTES). */
  logs: string[] = [];
  /** The same lines with their levels. */
  logLines: LogLine[] = [];
  /** The argument line a program was started with (the arguments call). */
  argumentLine = "";
  /** Calls it made (and what each answered: null when the callee failed). */
  calls: Array<{ name: string; request: Uint8Array; reply: Uint8Array | null }> = [];
  /** Whether a handler run is in progress (calls belong to a run; start code has none). */
  inRun = false;
  /** While it answers a call: true, and the reply it gave. */
  answering = false;
  reply: Uint8Array | null = null;
  /** Programs it started with run or runOnConsole. */
  started: Started[] = [];
  /** The kernel's line for each refused call ("gate: refused ping's call emit: it needs the capability emit:ping"). */
  refusals: string[] = [];
  /** What the last abort() said ("message at file:line:column"). */
  failure = "";
  /** Emits of the current run (a handler's are withdrawn if the run traps). */
  runEmits = 0;
  protected runEmitted: Emitted[] = [];
  /** The payload of the event being handled, and its name ("boot", "timer", or the app event's). */
  currentPayload: Uint8Array = new Uint8Array(0);
  currentEventName = "";
  /** Report topics asked for, and handlers reset (programs). */
  reports: string[] = [];
  resets: string[] = [];
  protected instance!: WebAssembly.Instance;
  private globals: WebAssembly.Global[] = [];
  private randomState = 0x9e3779b97f4a7c15n;

  constructor(name: string, world: World, grants: string[]) {
    this.name = name;
    this.world = world;
    this.grants = grants;
  }

  get clock() {
    return this.world.clock;
  }

  get memory(): WebAssembly.Memory {
    return this.instance.exports.memory as WebAssembly.Memory;
  }

  /** Instantiates `module` with the declared imports and runs its start function, as the kernel loads a module. */
  protected instantiate(module: WebAssembly.Module): void {
    this.instance = new WebAssembly.Instance(module, this.imports());
    this.globals = Object.entries(this.instance.exports)
      .filter(([name]) => name.startsWith(GLOBAL_EXPORT_PREFIX)).map(([, value]) => value as WebAssembly.Global);
    const start = this.instance.exports.start as (() => void) | undefined;
    try {
      start?.();
    } catch (error) {
      const trap = classifyTrap(error);
      if (trap === null) throw error;
      throw new Error(`${this.kind} '${this.name}': its top-level code trapped while loading (${trap.text}${this.failure ? `: ${this.failure}` : ""})`);
    }
  }

  /** The import object: one function per call of interface/optios.ts, each behind the gate. */
  private imports(): WebAssembly.Imports {
    const imports: Record<string, Record<string, (...values: CallArguments) => unknown>> = {};
    for (const call of calls) {
      const implementation = implementations[call.name];
      if (!implementation) {
        throw new Error(`harness: interface/optios.ts declares the call '${call.name}', which toolchain/src/harness/calls.ts does not implement`);
      }
      const module = (imports[call.module ?? "optios"] ??= {});
      module[call.name] = call.module === "env"
        ? (...values) => { this.gate(call, values); throw new AbortTrap(this.failure); }
        : (...values) => this.gate(call, values);
    }
    return imports;
  }

  /** kernel/gate/gate.ts's gateCall: the caller's kind, its grant, then the call. */
  private gate(call: CallDeclaration, values: CallArguments): bigint {
    if (call.caller !== "both" && call.caller !== this.kind) return errorCode("WRONG_CALLER");
    // A datagram from any free port (local port 0) is net.send's, not net.udp's (as in the kernel).
    const capability = call.name === "udp_send" && Number(values[2]) === 0 ? "net.send" : call.capability;
    if (capability !== null) {
      const argument = this.capabilityArgument(call.name, capability, values);
      if (typeof argument === "bigint") return argument;
      if (!this.granted(capability, argument)) {
        const declared = capabilityNamed(capability)!;
        this.refusals.push(`gate: refused ${this.name}'s call ${call.name}: it needs the capability ${capability}` +
          `${declared.argument !== null ? `:${argument}` : ""}`);
        return errorCode("NOT_GRANTED");
      }
    }
    return implementations[call.name](this, ...values);
  }

  /** The argument a grant must match: a name the call's first two arguments give, or one the call implies. */
  private capabilityArgument(callName: string, capability: string, values: CallArguments): string | bigint {
    const declared = capabilityNamed(capability)!;
    if (declared.argument === null) return "";
    if (capability === "report") return reportTopics[Number(values[0]) - 1] ?? "";
    if (capability === "files") return "read";
    if (declared.argument === "path") {                              // the data disk's path, resolved (data_entry: a directory, with '/')
      if (BigInt(values[1]) > BigInt(PATH_MAX_BYTES)) return errorCode("TOO_LONG");
      const bytes = this.copyIn(values[0], values[1]);
      if (bytes === null) return errorCode("BAD_ADDRESS");
      const path = resolveDataPath(new TextDecoder().decode(bytes), this.name);
      return path === null ? errorCode("BAD_PATH") : callName === "data_entry" ? `${path}/` : path;
    }
    if (capability === "net.udp") return String(Number(values[2])); // udp_send's local port
    if (capability === "net.connect") {                              // tcp_connect's "host:port"
      const host = this.copyIn(values[0], values[1]);
      return host === null ? errorCode("BAD_ADDRESS") : `${new TextDecoder().decode(host)}:${Number(values[2])}`;
    }
    if (callName === "handler_name") return this.world.handlerNameAt(Number(values[0])) ?? "";
    if (BigInt(values[1]) > BigInt(EVENT_NAME_MAX_BYTES)) return errorCode("TOO_LONG");
    const bytes = this.copyIn(values[0], values[1]);
    return bytes === null ? errorCode("BAD_ADDRESS") : new TextDecoder().decode(bytes);
  }

  /** kernel/gate/capabilities.ts's granted(): a grant of the capability whose pattern is the argument, or a prefix ending in '*'. */
  private granted(capability: string, argument: string): boolean {
    const wider = capabilityNamed(capability)!.includedIn;
    return this.grants.some((entry) => {
      const name = parseCapability(entry).name;
      const pattern = grantPattern(entry, this.name);
      return (name === capability || name === wider) &&
        (capabilityNamed(name)!.argument === null || (pattern.endsWith("*") ? argument.startsWith(pattern.slice(0, -1)) : pattern === argument));
    });
  }

  /** A copy of `length` bytes at `address` of the module's memory, or null when the range does not fit (ERROR_BAD_ADDRESS). */
  copyIn(address: number | bigint, length: number | bigint): Uint8Array | null {
    const bytes = new Uint8Array(this.memory.buffer);
    const start = BigInt(address);
    const size = BigInt(length);
    if (start > BigInt(bytes.length) || size > BigInt(bytes.length) - start) return null;
    return bytes.slice(Number(start), Number(start + size));
  }

  /** Writes `data` at `address` of the module's memory; false (nothing written) when it does not fit. */
  copyOut(address: number | bigint, data: Uint8Array): boolean {
    const bytes = new Uint8Array(this.memory.buffer);
    const start = BigInt(address);
    if (start > BigInt(bytes.length) || BigInt(data.length) > BigInt(bytes.length) - start) return false;
    bytes.set(data, Number(start));
    return true;
  }

  /** An AssemblyScript string of the module (UTF-16, its byte length 4 bytes before it); "" if unreadable. */
  readString(address: number): string {
    const lengthField = address >= 4 ? this.copyIn(address - 4, 4) : null;
    if (lengthField === null) return "";
    const bytes = this.copyIn(address, new DataView(lengthField.buffer).getUint32(0, true) & ~1);
    return bytes === null ? "" : new TextDecoder("utf-16le").decode(bytes);
  }

  /** xorshift64* from a fixed seed: tests see the same numbers every time. */
  random(): bigint {
    let state = this.randomState;
    state ^= state >> 12n;
    state ^= (state << 25n) & 0xffffffffffffffffn;
    state ^= state >> 27n;
    this.randomState = state;
    return BigInt.asIntN(64, state * 0x2545f4914f6cdd1dn);
  }

  log(line: string, level: number): void {
    this.logs.push(line);
    this.logLines.push({ level, text: line });
  }

  emit(name: string, payload: Uint8Array): void {
    this.runEmitted.push({ name, payload });
  }

  /** A message posted to handler `name`: kept with the run's emits, as `post:<name>`, and withdrawn with them. */
  queueMessage(name: string, payload: Uint8Array): void {
    this.runEmitted.push({ name: `post:${name}`, payload });
  }

  /** TCP connections this handler was given (EVENT_TCP_OPENED) or asked for (tcp_connect): the only ones it may write to and close. */
  readonly connections = new Set<number>();
  /** The next number tcp_connect gives (the kernel's have the high bit set). */
  nextConnection = 1;

  /** A send for the network (udp:…, tcp:…, close:…): kept with the run's emits, and withdrawn with them. */
  queueSend(name: string, payload: Uint8Array): void {
    this.runEmitted.push({ name, payload });
  }

  /** Console output (programs); handlers cannot reach it (ERROR_WRONG_CALLER first). */
  print(text: string): void {
    throw new Error(`harness: ${this.kind} '${this.name}' printed ${JSON.stringify(text)}, but only programs have a console`);
  }

  nextInputLine(): string {
    throw new InputExhausted();
  }

  protected snapshot(): Snapshot {
    return { memory: new Uint8Array(this.memory.buffer).slice(), globals: this.globals.map((global) => global.value) };
  }

  /** Puts memory and globals back as `snapshot` holds them (memory grown since is zeroed: wasm cannot shrink it). */
  protected restore(snapshot: Snapshot): void {
    const bytes = new Uint8Array(this.memory.buffer);
    bytes.set(snapshot.memory);
    bytes.fill(0, snapshot.memory.length);
    this.globals.forEach((global, index) => { global.value = snapshot.globals[index]; });
  }
}
