// A handler in the harness: events posted to it run as transactions, as kernel/handlers/dispatcher.ts runs them.
//
// Each run snapshots the module's memory and globals first. A run that traps is rolled back:
// memory and globals as they were, its emits withdrawn, its failure counted in the status
// counters; its log lines stay (the kernel has already shown them). A run that changes
// more than DIRTY_PAGES_MAX pages fails the same way (TRAP_DIRTY_LIMIT). Not modelled: the
// run's time budget (TRAP_OVERRUN), back-off and quarantine, and the memory limit's own trap
// kind (a refused memory.grow shows as the trap the module then makes).
import { constants, limit } from "../../../interface/optios.ts";
import { classifyTrap, type Emitted, HarnessModule, type LogLine, type Trap, trapNamed } from "./module.ts";
import { type HandlerStatus, statusBytes, type World } from "./world.ts";

const DIRTY_PAGES_MAX = limit("DIRTY_PAGES_MAX");
const PAGE_BYTES = 4096;
const constant = (name: string) => constants.find((item) => item.name === name)!.value;

/** The number an app event's name travels as (Event.name): FNV-1a of its UTF-8 bytes, as the kernel computes it. */
export function eventNumber(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/** What one run did. */
export interface RunResult {
  /** True when the run completed and its changes were kept. */
  committed: boolean;
  /** The trap that rolled it back, or null. */
  trap: Trap | null;
  /** The failure in the kernel's words ("aborted: crasher fails on purpose at handlers/crasher/handler.ts:19:5"), or "". */
  failure: string;
  /** Lines logged during the run (kept even when it rolled back: the kernel shows them marked "(rolled back)"). */
  logs: string[];
  /** The same lines with their levels. */
  logLines: LogLine[];
  /** Events it emitted (none when it rolled back: the kernel withdraws them). */
  emitted: Emitted[];
}

export class HandlerHarness extends HarnessModule {
  readonly kind = "handler";
  /** Every event emitted by committed runs, oldest first. */
  emitted: Emitted[] = [];
  readonly status: HandlerStatus = { runs: 0n, failures: 0n, restarts: 0n, lastTrap: 0, consecutiveFailures: 0, quarantined: 0 };

  constructor(name: string, world: World, grants: string[], private readonly compiled: WebAssembly.Module,
    /** The app events it subscribes to, when known (a system.toml entry): posting another is a mistake in the test. */
    readonly events: string[] | null) {
    super(name, world, grants);
    world.ownStatus = () => statusBytes(this.status);
    this.instantiate(compiled);
  }

  /** The version string the handler declares (export const version). */
  get version(): string {
    const address = this.instance.exports.version as WebAssembly.Global | undefined;
    return address ? this.readString(Number(address.value)) : "";
  }

  /** Posts app event `name` (with `payload`, text or bytes) and runs the handler on it. */
  post(name: string, payload: string | Uint8Array = new Uint8Array(0), source = 0): RunResult {
    if (this.events !== null && !this.events.includes(name)) {
      throw new Error(`harness: handler '${this.name}' is not subscribed to "${name}" (its events: ${JSON.stringify(this.events)}); ` +
        "the kernel would never run it for that event");
    }
    const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
    if (bytes.length > limit("PAYLOAD_MAX_BYTES")) throw new Error(`harness: a payload is at most ${limit("PAYLOAD_MAX_BYTES")} bytes`);
    return this.run(constant("EVENT_APP"), source, name, bytes);
  }

  /**
   * Calls the handler as handler `caller` would (an EVENT_CALL with `request`), as one run;
   * the result's `reply` is what it answered (null if it gave none). The harness runs this one
   * handler: the caller's side of the transaction is the test's.
   */
  call(caller: string, request: string | Uint8Array = new Uint8Array(0)): RunResult & { reply: Uint8Array | null } {
    const bytes = typeof request === "string" ? new TextEncoder().encode(request) : request;
    if (bytes.length > limit("PAYLOAD_MAX_BYTES")) throw new Error(`harness: a request is at most ${limit("PAYLOAD_MAX_BYTES")} bytes`);
    this.answering = true;
    this.reply = null;
    try {
      const result = this.run(constant("EVENT_CALL"), 0, caller, bytes);
      return { ...result, reply: result.committed ? this.reply : null };
    } finally {
      this.answering = false;
    }
  }

  /** Delivers a message from `sender` (a handler or program name), as another module's post does. */
  message(sender: string, payload: string | Uint8Array = new Uint8Array(0)): RunResult {
    const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
    if (bytes.length > limit("PAYLOAD_MAX_BYTES")) throw new Error(`harness: a message is at most ${limit("PAYLOAD_MAX_BYTES")} bytes`);
    return this.run(constant("EVENT_MESSAGE"), 0, sender, bytes);
  }

  /**
   * Delivers a UDP datagram to the handler's `localPort` (declared with udp = [...]) from
   * `from` ("10.0.2.2:5000"), as the network stack does. Its replies are in `emitted` as
   * "udp:<address>:<port>" entries, withdrawn if the run traps.
   */
  udp(localPort: number, from: string, payload: string | Uint8Array): RunResult {
    const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
    if (bytes.length > limit("NET_DATA_MAX_BYTES")) throw new Error(`harness: a datagram is at most ${limit("NET_DATA_MAX_BYTES")} bytes`);
    const { address, port } = parseEndpoint(from);
    return this.run(constant("EVENT_UDP"), ((port << 16) | localPort) >>> 0, "udp", bytes, address);
  }

  /**
   * A TCP connection `connection` accepted on `localPort` from `from` (EVENT_TCP_OPENED), then
   * data on it and its close; what the handler writes is in `emitted` as "tcp:<connection>"
   * entries, and its close as "close:<connection>".
   */
  tcpOpened(connection: number, localPort: number, from: string): RunResult {
    this.connections.add(connection);
    return this.run(constant("EVENT_TCP_OPENED"), connection, "tcp", new Uint8Array(0), parseEndpoint(from).address);
  }

  tcpData(connection: number, payload: string | Uint8Array): RunResult {
    const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
    if (bytes.length > limit("NET_DATA_MAX_BYTES")) throw new Error(`harness: TCP data comes at most ${limit("NET_DATA_MAX_BYTES")} bytes at a time`);
    return this.run(constant("EVENT_TCP_DATA"), connection, "tcp", bytes);
  }

  tcpClosed(connection: number): RunResult {
    const result = this.run(constant("EVENT_TCP_CLOSED"), connection, "tcp", new Uint8Array(0));
    this.connections.delete(connection);
    return result;
  }

  /** Runs the handler for its timer `number` (every/after), as the kernel's timer does. */
  timer(number = 0): RunResult {
    return this.run(constant("EVENT_TIMER"), number, "timer", new Uint8Array(0));
  }

  /** Runs the handler for the boot event (boot = true). */
  boot(): RunResult {
    return this.run(constant("EVENT_BOOT"), 0, "boot", new Uint8Array(0));
  }

  /**
   * Runs the handler as the new version deployed live over `previousVersion` (EVENT_UPGRADE,
   * the previous version as payload): its migrate(), if it registered one. On the kernel a
   * trap here keeps the previous version running (docs/upgrade.md).
   */
  upgrade(previousVersion: string): RunResult {
    return this.run(constant("EVENT_UPGRADE"), 0, "upgrade", new TextEncoder().encode(previousVersion));
  }

  /** Moves now() and wallTime() forward ("1s", "250ms", or nanoseconds). */
  advance(duration: string | number | bigint): void {
    this.clock.advance(duration);
  }

  /** Back to the state the module starts in (as a new version does); logs, emits and counters cleared, restarts counted. */
  reset(): void {
    this.instantiate(this.compiled);
    this.logs = [];
    this.logLines = [];
    this.emitted = [];
    this.refusals = [];
    this.status.restarts++;
  }

  /** One run for an event: `name` is an app event's, or "timer" or "boot" (what event_name gives). */
  private run(kind: number, source: number, name: string, payload: Uint8Array, number?: number): RunResult {
    const before = this.snapshot();
    const firstLog = this.logs.length;
    this.runEmits = 0;
    this.runEmitted = [];
    this.currentPayload = payload;
    this.currentEventName = name;
    const nameNumber = number ?? (kind === constant("EVENT_APP") || kind === constant("EVENT_MESSAGE") || kind === constant("EVENT_CALL")
      ? eventNumber(name) : 0);
    this.failure = "";
    let trap: Trap | null = null;
    this.inRun = true;
    try {
      (this.instance.exports.handle as (...values: Array<number | bigint>) => void)(kind, source, nameNumber, this.clock.monotonic, payload.length);
    } catch (error) {
      trap = classifyTrap(error);
      if (trap === null) throw error;
    } finally {
      this.inRun = false;
    }
    if (trap === null && dirtyPages(before.memory, new Uint8Array(this.memory.buffer)) > DIRTY_PAGES_MAX) trap = trapNamed("DIRTY_LIMIT");
    this.status.runs++;
    const logs = this.logs.slice(firstLog);
    const logLines = this.logLines.slice(firstLog);
    if (trap === null) {
      this.world.data?.commit();
      this.status.consecutiveFailures = 0;
      this.emitted.push(...this.runEmitted);
      return { committed: true, trap: null, failure: "", logs, logLines, emitted: this.runEmitted };
    }
    this.restore(before);
    this.world.data?.rollBack();
    this.status.failures++;
    this.status.consecutiveFailures++;
    this.status.lastTrap = trap.kind;
    const failure = trap.name === "ABORT" ? `aborted: ${this.failure}` : `trapped (${trap.text})`;
    return { committed: false, trap, failure, logs, logLines, emitted: [] };
  }
}

/** 4 KiB pages that differ between `before` and `after` (pages added by growth count when not zero). */
function dirtyPages(before: Uint8Array, after: Uint8Array): number {
  let dirty = 0;
  for (let offset = 0; offset < after.length; offset += PAGE_BYTES) {
    const now = after.subarray(offset, offset + PAGE_BYTES);
    const then = before.subarray(offset, offset + PAGE_BYTES);
    if (then.length === now.length ? Buffer.compare(then, now) !== 0 : now.some((byte) => byte !== 0)) dirty++;
  }
  return dirty;
}

/** "10.0.2.2:5000" → the address as the kernel numbers it, and the port. */
function parseEndpoint(text: string): { address: number; port: number } {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(text);
  if (!match || match.slice(1, 5).some((part) => Number(part) > 255) || Number(match[5]) > 65535) {
    throw new Error(`harness: "${text}": expected an IPv4 address and port, such as "10.0.2.2:5000"`);
  }
  const address = match.slice(1, 5).reduce((value, part) => value * 256 + Number(part), 0);
  return { address: address | 0, port: Number(match[5]) };
}
