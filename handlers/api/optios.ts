// The OptiOS API: what handlers and programs may ask of the kernel, and the event a handler receives.
//
// Handlers and programs are the same kind of module, compiled the same way, with this one
// library; they differ in their entry point and in what the kernel lets them do. The first
// part below serves both; "Programs" near the end is for foreground programs only (the
// kernel refuses those calls from a handler).
//
// A handler is a module with top-level state and one entry point. Write:
//
//   import { Event, log, on } from "optios";
//   export { handle } from "optios";
//   export const version = "1";          // a new version resets the handler's state
//   let runs = 0;                         // top-level state persists between runs
//   on((event: Event): void => { runs++; log("ran " + runs.toString() + " times"); });
//
// A program is a module with a main() that runs continuously on its own console:
//
//   import { print, readLine } from "optios";
//   export function main(): void {
//     while (true) print("you said: " + readLine() + "\n");
//   }
//
// Every call below crosses the gate (boot/handler_gate.c → kernel_handler_call), the one
// place where the kernel checks what a handler or program may do.

@external("optios", "log") declare function gateLog(message: usize, length: u32): void;
@external("optios", "time") declare function gateTime(): u64;
@external("optios", "random") declare function gateRandom(): u64;
@external("optios", "emit") declare function gateEmit(name: usize, nameLength: u32, payload: usize, payloadLength: u32): i32;
@external("optios", "payload") declare function gatePayload(destination: usize, length: u32): u32;
@external("optios", "status") declare function gateStatus(name: usize, nameLength: u32, destination: usize): u32;
@external("optios", "request") declare function gateRequest(operation: u32, a: u64, b: u64, c: u64, d: u64): i64;

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

// ---- Programs ----
// Request numbers and results, as kernel/programs/requests.ts numbers them.
const REQUEST_WRITE: u32 = 7;
const REQUEST_READ_LINE: u32 = 8;
const REQUEST_FILE_SIZE: u32 = 9;
const REQUEST_FILE_READ: u32 = 10;
const REQUEST_DIRECTORY_ENTRY: u32 = 11;
const REQUEST_REPORT: u32 = 12;
const REQUEST_RESET: u32 = 13;
const REQUEST_RUN: u32 = 14;
const REQUEST_STOP: u32 = 15;
const REQUEST_POWER: u32 = 16;
const NOT_FOUND: i64 = -1;
const IS_DIRECTORY: i64 = -2;
const NOT_DIRECTORY: i64 = -3;
const END: i64 = -5;
const LINE_MAX_BYTES: i32 = 256;
const FILE_CHUNK_BYTES: i32 = 4096;

/** What the kernel can report on a program's console (the shell's handlers, mem, log, ps, uptime). */
export const REPORT_HANDLERS: u32 = 1;
export const REPORT_MEMORY: u32 = 2;
export const REPORT_LOG: u32 = 3;
export const REPORT_PROGRAMS: u32 = 4;
export const REPORT_UPTIME: u32 = 5;

const lineBuffer = new Uint8Array(LINE_MAX_BYTES);

/** A string as (address | length << 32), the way requests take names and paths. */
function packed(bytes: ArrayBuffer): u64 {
  return <u64>changetype<usize>(bytes) | (<u64>bytes.byteLength << 32);
}

/** Writes text to this program's console ("\n" starts a new line). */
export function print(text: string): void {
  const bytes = String.UTF8.encode(text);
  gateRequest(REQUEST_WRITE, changetype<usize>(bytes), <u64>bytes.byteLength, 0, 0);
}

/** The next line typed on this program's console (without its newline); waits until there is one. */
export function readLine(): string {
  const length = <i32>gateRequest(REQUEST_READ_LINE, lineBuffer.dataStart, <u64>LINE_MAX_BYTES, 0, 0);
  return String.UTF8.decodeUnsafe(lineBuffer.dataStart, <usize>min<i32>(max<i32>(length, 0), LINE_MAX_BYTES));
}

/** Why the last readFile or listDirectory returned null. */
export let fileError = "";

/** A whole file of the boot filesystem, or null (see fileError). */
export function readFile(path: string): Uint8Array | null {
  const name = String.UTF8.encode(path);
  const size = gateRequest(REQUEST_FILE_SIZE, packed(name), 0, 0, 0);
  if (size < 0) {
    fileError = size == IS_DIRECTORY ? path + ": is a directory" : path + ": no such file";
    return null;
  }
  const data = new Uint8Array(<i32>size);
  let done: i64 = 0;
  while (done < size) {
    const chunk = min<i64>(size - done, FILE_CHUNK_BYTES);
    const read = gateRequest(REQUEST_FILE_READ, packed(name), <u64>done, data.dataStart + <usize>done, <u64>chunk);
    if (read <= 0) break;
    done += read;
  }
  return data;
}

/** One entry of a directory listing. */
export class DirectoryEntry {
  constructor(readonly name: string, readonly isDirectory: bool) {}
}

/** The entries of a directory of the boot filesystem, in archive order, or null (see fileError). */
export function listDirectory(path: string): DirectoryEntry[] | null {
  const name = String.UTF8.encode(path);
  const entries = new Array<DirectoryEntry>();
  const buffer = new Uint8Array(LINE_MAX_BYTES);
  for (let index = 0; index < I32.MAX_VALUE; index++) {
    const result = gateRequest(REQUEST_DIRECTORY_ENTRY, packed(name), <u64>index, buffer.dataStart, <u64>LINE_MAX_BYTES);
    if (result == END) break;
    if (result < 0) {
      fileError = result == NOT_DIRECTORY ? path + ": not a directory" : result == NOT_FOUND ? path + ": no such directory" : path + ": cannot be read";
      return null;
    }
    const kind = <u32>(result >> 32);
    entries.push(new DirectoryEntry(String.UTF8.decodeUnsafe(buffer.dataStart, <usize>(result & 0xffffffff)), kind == 2));
  }
  return entries;
}

/** Has the kernel write a report on this program's console. */
export function report(topic: u32): void {
  gateRequest(REQUEST_REPORT, topic, 0, 0, 0);
}

/** Resets handler `name` to its initial state; the kernel says how it went on the console. */
export function resetHandler(name: string): bool {
  return gateRequest(REQUEST_RESET, packed(String.UTF8.encode(name)), 0, 0, 0) == 0;
}

/** Starts program /bin/<name> on the next free console; its console number, or 0 (the kernel says why). */
export function run(name: string): i32 {
  const result = gateRequest(REQUEST_RUN, packed(String.UTF8.encode(name)), 0, 0, 0);
  return result > 0 ? <i32>result : 0;
}

/** Stops the program on console `number` (1-4); false if there is none (the kernel says so). */
export function stop(number: i32): bool {
  return gateRequest(REQUEST_STOP, <u64>number, 0, 0, 0) == 0;
}

/** Restarts the machine; returns only if it could not (the kernel says why on the console). */
export function reboot(): void {
  gateRequest(REQUEST_POWER, 1, 0, 0, 0);
}

/** Turns the machine off (ACPI S5); returns only if it could not (the kernel says why). */
export function powerOff(): void {
  gateRequest(REQUEST_POWER, 2, 0, 0, 0);
}
