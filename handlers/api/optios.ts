// The OptiOS handler API: what a handler may ask of the kernel, and the event it receives.
//
// A handler is a module with top-level state and one entry point. Write:
//
//   import { Event, log, on } from "optios";
//   export { handle } from "optios";
//   export const version = "1";          // a new version resets the handler's state
//   let runs = 0;                         // top-level state persists between runs
//   on((event: Event): void => { runs++; log("ran " + runs.toString() + " times"); });
//
// Every call below crosses the handler gate (boot/handler_gate.c → kernel_handler_call),
// the one place where the kernel checks what a handler may do.

@external("optios", "log") declare function gateLog(message: usize, length: u32): void;
@external("optios", "time") declare function gateTime(): u64;
@external("optios", "random") declare function gateRandom(): u64;
@external("optios", "emit") declare function gateEmit(name: usize, nameLength: u32, payload: usize, payloadLength: u32): i32;
@external("optios", "payload") declare function gatePayload(destination: usize, length: u32): u32;
@external("optios", "status") declare function gateStatus(name: usize, nameLength: u32, destination: usize): u32;

// Event kinds, as the kernel numbers them (kernel/events/event_queue.ts).
export const EVENT_BOOT: u8 = 1;
export const EVENT_TIMER: u8 = 2;
export const EVENT_APP: u8 = 3;

/**
 * The event being handled. One Event object serves every run (allocating one per run would
 * dirty heap pages that the kernel must then commit): read it during the run, and copy what
 * you want to keep.
 */
export class Event {
  /** EVENT_BOOT, EVENT_TIMER or EVENT_APP. */
  kind: u8 = 0;
  /** Who caused it: a timer's number, or the emitting handler's number. */
  source: u32 = 0;
  /** For app events, the event's name number (see the system configuration). */
  name: u32 = 0;
  /** When it was posted, in nanoseconds since boot. */
  timestamp: u64 = 0;
  /** The event's payload bytes (empty for timers and boot). */
  payload: Uint8Array = noPayload;
}

const noPayload = new Uint8Array(0);
const current = new Event();

let handler: ((event: Event) => void) | null = null;

/** Registers the function that handles every event; call it once, at top level. */
export function on(callback: (event: Event) => void): void {
  handler = callback;
}

/** Writes a line to the kernel log (and the console, at info level). */
export function log(message: string): void {
  const bytes = String.UTF8.encode(message);
  gateLog(changetype<usize>(bytes), <u32>bytes.byteLength);
}

/** Nanoseconds since boot. */
export function now(): u64 {
  return gateTime();
}

/** A random 64-bit number, drawn fresh on every call (never repeated by a reused snapshot). */
export function random(): u64 {
  return gateRandom();
}

/** Emits an app-defined event by name; false when it was refused or the queue was full. */
export function emit(name: string, payload: Uint8Array | null = null): bool {
  const nameBytes = String.UTF8.encode(name);
  const payloadAddress = payload != null ? payload.dataStart : 0;
  const payloadLength = payload != null ? <u32>payload.byteLength : 0;
  return gateEmit(changetype<usize>(nameBytes), <u32>nameBytes.byteLength, payloadAddress, payloadLength) == 0;
}

/** A handler's counters, as the kernel's supervision keeps them (see status()). */
@unmanaged export class HandlerStatus {
  runs: u64 = 0;
  failures: u64 = 0;
  restarts: u64 = 0;
  /** The last failure's trap kind: 0 none, 1 out of bounds, 3 divide by zero, 5 unreachable, 8 stack exhausted, 100 overrun… */
  lastTrap: u32 = 0;
  consecutiveFailures: u32 = 0;
  quarantined: u32 = 0;
  reserved: u32 = 0;
}

const statusBuffer = new HandlerStatus();

/** The counters of the handler called `name` (valid until the next call), or null if there is none. */
export function status(name: string): HandlerStatus | null {
  const nameBytes = String.UTF8.encode(name);
  const found = gateStatus(changetype<usize>(nameBytes), <u32>nameBytes.byteLength, changetype<usize>(statusBuffer));
  return found == 0 ? statusBuffer : null;
}

/** The entry point the kernel calls for each event; re-export it from the handler. */
export function handle(kind: u8, source: u32, name: u32, timestamp: u64, payloadLength: u32): void {
  current.kind = kind;
  current.source = source;
  current.name = name;
  current.timestamp = timestamp;
  current.payload = payloadLength > 0 ? new Uint8Array(payloadLength) : noPayload;
  if (payloadLength > 0) gatePayload(current.payload.dataStart, payloadLength);
  if (handler != null) handler!(current);
}
