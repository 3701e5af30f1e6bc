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
// Every call below crosses the gate (boot/gate_calls.c → kernel_gate_call → kernel/gate/gate.ts),
// the one place where the kernel checks what a handler or program may do. The calls, their
// capabilities and error codes are declared in interface/optios.ts (docs/gate.md).

import { gateNetPing, gateTcpConnect, trapText, EVENT_TCP_CLOSED, EVENT_TCP_DATA, EVENT_TCP_OPENED, EVENT_UDP, gateHandlerName, gateTcpClose, gateTcpSend, gateUdpSend, NET_DATA_MAX_BYTES,
  EVENT_CALL, EVENT_MESSAGE, EVENT_UPGRADE, EVENT_NAME_MAX_BYTES, gateSync, gateEventName, gateHandlerCall, gatePost, gateReply, PAYLOAD_MAX_BYTES, EXIT_ENDED, EXIT_FAILED, EXIT_STOPPED, gateArguments, LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_WARNING, RUN_CONSOLE, RUN_HERE,
  eventNameNumber, ERROR_IS_DIRECTORY, ERROR_NOT_DIRECTORY, ERROR_NOT_FOUND, ERROR_NOT_GRANTED, EVENT_APP, EVENT_BOOT, EVENT_TIMER, ERROR_END, errorText, ENTRY_DIRECTORY, gateDirectoryEntry, gateEmit, gateFileRead,
  gateFileSize, gateLog, gatePayload, gatePower, gateRandom, gateReadLine, gateReport, gateReset, gateRun, gateStatus, gateStop,
  gateTime, gateWallTime, gateWrite, gateDataEntry, gateDataRead, gateDataRemove, gateDataSize, gateDataWrite, DATA_APPEND, DATA_REPLACE, LINE_MAX_BYTES, POWER_OFF, POWER_REBOOT, REPORT_CAPABILITIES, REPORT_DISKS, REPORT_HANDLERS, REPORT_NETWORK, REPORT_LOG, REPORT_MEMORY,
  REPORT_PROGRAMS, REPORT_UPTIME, StatusRecord, TRANSFER_MAX_BYTES } from "./interface";

export { EVENT_TCP_CLOSED, EVENT_TCP_DATA, EVENT_TCP_OPENED, EVENT_UDP, NET_DATA_MAX_BYTES, trapText };
export { EVENT_CALL, EVENT_MESSAGE, EVENT_UPGRADE, EXIT_ENDED, EXIT_FAILED, EXIT_STOPPED, LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_WARNING };
export { ERROR_NOT_GRANTED, EVENT_APP, EVENT_BOOT, EVENT_TIMER, REPORT_CAPABILITIES, REPORT_DISKS, REPORT_HANDLERS, REPORT_NETWORK, REPORT_LOG, REPORT_MEMORY, REPORT_PROGRAMS,
  REPORT_UPTIME };

/**
 * The error code of the last call that failed (0: none yet), and what it means. Every call
 * returns a value ≥ 0 or a negative code declared in interface/optios.ts; the functions below
 * turn that into a bool or null and leave the code here.
 */
export let lastError: i64 = 0;

/** Words for an error code, such as lastError ("not granted: …"); generated with the codes. */
export { errorText };

/** Keeps a failed call's code in lastError; the result unchanged. */
function checked(result: i64): i64 {
  if (result < 0) lastError = result;
  return result;
}

// The event being handled lives in module globals, not in an object's fields: globals are
// part of the instance, which the kernel copies as a whole, while every page of linear
// memory a run writes costs a write fault and a 4 KiB undo copy (docs/handlers.md). So an
// event without a payload reaches the handler without writing a page.
const noPayload = new Uint8Array(0);
const nameBuffer = new Uint8Array(EVENT_NAME_MAX_BYTES);
let runningKind: u8 = 0;
let runningSource: u32 = 0;
let runningNameNumber: u32 = 0;
let runningTimestamp: u64 = 0;
let runningName: string | null = null;
let runningPayload: Uint8Array = noPayload;

/**
 * The event being handled. One Event object serves every run: read it during the run, and
 * copy what you want to keep.
 */
export class Event {
  /** EVENT_BOOT, EVENT_TIMER, EVENT_APP, EVENT_MESSAGE, EVENT_CALL, EVENT_UDP or EVENT_TCP_* (EVENT_UPGRADE goes to migrate()). */
  get kind(): u8 {
    return runningKind;
  }
  /** Who caused it: a timer's number, or the emitting handler's number. */
  get source(): u32 {
    return runningSource;
  }
  /** For app events, the name as a number: eventNumber("door.opened") (a comparison without a kernel call); 0 for timers and boot. */
  get nameNumber(): u32 {
    return runningNameNumber;
  }
  /**
   * The event's name: an app event's ("door.opened"), a message's or call's sender ("ping"), or "boot",
   * or "timer" (asked of the kernel once a run, on first use).
   */
  get name(): string {
    if (runningName == null) {
      const length = <i32>gateEventName(nameBuffer.dataStart, <u32>EVENT_NAME_MAX_BYTES);
      runningName = String.UTF8.decodeUnsafe(nameBuffer.dataStart, <usize>min<i32>(max<i32>(length, 0), EVENT_NAME_MAX_BYTES));
    }
    return runningName!;
  }
  /** When it was posted, in nanoseconds since boot. */
  get timestamp(): u64 {
    return runningTimestamp;
  }
  /**
   * The event's payload bytes (empty for timers and boot). Valid during the run: the next
   * run's payload of the same length is written into the same array (allocating a new one
   * each run made the garbage collector write pages every run), so copy what you keep
   * (`event.payload.slice()`, or decode it).
   */
  get payload(): Uint8Array {
    return runningPayload;
  }
  /** EVENT_UDP and EVENT_TCP_*: the peer's IPv4 address (see ipv4Text). */
  get address(): u32 {
    return runningNameNumber;
  }
  /** EVENT_UDP: the sender's port. */
  get port(): u32 {
    return runningSource >> 16;
  }
  /** EVENT_UDP: the port the datagram came to. */
  get localPort(): u32 {
    return runningSource & 0xffff;
  }
  /** EVENT_TCP_OPENED, _DATA, _CLOSED: the connection's number, for tcpSend and tcpClose. */
  get connection(): u32 {
    return runningSource;
  }
}

const current = new Event();

let handler: ((event: Event) => void) | null = null;
let migrator: ((previousVersion: string) => void) | null = null;

/** The number an app event called `name` arrives with in Event.nameNumber (the same function the kernel uses). */
export function eventNumber(name: string): u32 {
  const bytes = String.UTF8.encode(name);
  return eventNameNumber(changetype<usize>(bytes), bytes.byteLength);
}

/** Registers the function that handles every event; call it once, at top level. */
export function on(callback: (event: Event) => void): void {
  handler = callback;
}

/**
 * Registers what this version does when it is deployed live over a running one (`optios
 * deploy`, docs/upgrade.md): `callback` gets the previous version string, in a run of its
 * own, before any other event. It starts from the state a new version starts from (or, with
 * the same version and globals, the running one's). If it throws or traps, the previous
 * version keeps running, untouched. Call it once, at top level; without it an upgrade just
 * swaps.
 */
export function migrate(callback: (previousVersion: string) => void): void {
  migrator = callback;
}

/**
 * Writes a line to the kernel log under the module's name, at info level: shown on the
 * console with the default loglevel=6. A handler's lines appear when its run ends, marked
 * "(rolled back)" if the run trapped or overran.
 */
export function log(message: string): void {
  logAt(LOG_INFO, message);
}

/** log() at debug level: kept in the log (the shell's `log debug`), on the console only with loglevel=7. */
export function debug(message: string): void {
  logAt(LOG_DEBUG, message);
}

/** log() at info level, the same as log(). */
export function info(message: string): void {
  logAt(LOG_INFO, message);
}

/** log() at warning level: something looks wrong. */
export function warn(message: string): void {
  logAt(LOG_WARNING, message);
}

/** log() at error level: something failed. */
export function error(message: string): void {
  logAt(LOG_ERROR, message);
}

function logAt(level: u32, message: string): void {
  const bytes = String.UTF8.encode(message);
  gateLog(level, changetype<usize>(bytes), <u32>bytes.byteLength);
}

/** Nanoseconds since boot. */
export function now(): u64 {
  return gateTime();
}

/**
 * Nanoseconds since 1970-01-01 00:00 UTC (the real-time clock read at boot, then the TSC), or
 * 0 when the machine has no readable real-time clock (lastError says so). Unlike now(), it
 * does not restart at boot: use it for times kept in state across reboots.
 */
export function wallTime(): u64 {
  const nanoseconds = checked(gateWallTime());
  return nanoseconds < 0 ? 0 : <u64>nanoseconds;
}

/** A random 64-bit number, drawn fresh on every call (never repeated by a reused snapshot). */
export function random(): u64 {
  return gateRandom();
}

// The last event or handler name encoded for emit, post and call, kept: a handler that posts
// to the same handler (or emits the same event) run after run allocates nothing for it, and
// so its runs dirty fewer pages (each one a 4 KiB undo copy, and 4 KiB more for the disk).
let lastName = "";
let lastNameBytes = new ArrayBuffer(0);

function encodedName(name: string): ArrayBuffer {
  if (name != lastName) {
    lastNameBytes = String.UTF8.encode(name);
    lastName = name;
  }
  return lastNameBytes;
}

/**
 * Emits an app-defined event by name (needs the capability emit:<name>); false when it was
 * refused, nobody is subscribed or the queue was full (lastError says which).
 */
export function emit(name: string, payload: Uint8Array | null = null): bool {
  const nameBytes = encodedName(name);
  const payloadAddress = payload != null ? payload.dataStart : 0;
  const payloadLength = payload != null ? <u32>payload.byteLength : 0;
  return checked(gateEmit(changetype<usize>(nameBytes), <u32>nameBytes.byteLength, payloadAddress, payloadLength)) > 0;
}

/**
 * Posts a message to handler `name`, which must take messages (`messages = true`; needs
 * post:<name>). It arrives as an EVENT_MESSAGE whose Event.name is the sender's name. A
 * handler's posts are delivered once its run commits, in the order posted; a run that rolls
 * back posts nothing. False when refused, there is no such handler, it takes no messages, or
 * its queue is full (lastError says which: nothing is ever dropped without the sender knowing).
 */
export function post(name: string, message: Uint8Array | null = null): bool {
  const nameBytes = encodedName(name);
  const messageAddress = message != null ? message.dataStart : 0;
  const messageLength = message != null ? <u32>message.byteLength : 0;
  return checked(gatePost(changetype<usize>(nameBytes), <u32>nameBytes.byteLength, messageAddress, messageLength)) == 0;
}

const replyBuffer = new Uint8Array(PAYLOAD_MAX_BYTES);

/**
 * Calls handler `name` (which must take calls: `calls = true`; needs call:<name>) and waits
 * for its reply: it runs for an EVENT_CALL (Event.name is the caller's name, Event.payload
 * the request) nested in this run, and answers with reply(). One transaction: if the callee
 * fails, its changes are undone and this returns null (lastError ERROR_CALL_FAILED) while
 * this run goes on; if this run later fails, the callee's changes are undone with it.
 * Handlers only; a handler answering a call may not call another. The reply is a new array
 * (at most PAYLOAD_MAX_BYTES); null when refused or failed (lastError says which).
 */
export function call(name: string, request: Uint8Array | null = null): Uint8Array | null {
  const nameBytes = encodedName(name);
  const requestAddress = request != null ? request.dataStart : 0;
  const requestLength = request != null ? <u32>request.byteLength : 0;
  const length = checked(gateHandlerCall(changetype<usize>(nameBytes), <u32>nameBytes.byteLength, requestAddress, requestLength,
    replyBuffer.dataStart));
  if (length < 0) return null;
  return replyBuffer.slice(0, <i32>length);
}

/** Answers the EVENT_CALL being handled with `data` (at most PAYLOAD_MAX_BYTES; the last reply given wins). */
export function reply(data: Uint8Array): bool {
  return checked(gateReply(data.dataStart, <u32>data.byteLength)) == 0;
}

/** call() with a UTF-8 text request and reply: null when refused or failed (lastError says which). */
export function callText(name: string, request: string): string | null {
  const answer = call(name, Uint8Array.wrap(String.UTF8.encode(request)));
  return answer == null ? null : String.UTF8.decode(answer.buffer);
}

/** reply() with UTF-8 text. */
export function replyText(text: string): bool {
  return reply(Uint8Array.wrap(String.UTF8.encode(text)));
}

/** post() with a UTF-8 text message. */
export function postText(name: string, text: string): bool {
  return post(name, Uint8Array.wrap(String.UTF8.encode(text)));
}

/** The event's payload as UTF-8 text (a message's, a call's request, an app event's payload). */
export function payloadText(event: Event): string {
  return String.UTF8.decode(event.payload.buffer);
}

// ---- The network (handlers with udp = [...] or tcp = [...] in their entry; docs/network.md) ----
//
// A UDP datagram arrives as an EVENT_UDP: event.address and event.port are the sender's,
// event.localPort the port it came to, event.payload the data. A TCP connection arrives as
// EVENT_TCP_OPENED, then EVENT_TCP_DATA events, then EVENT_TCP_CLOSED when the peer closes it;
// event.connection names it. What a run sends leaves the machine when the run commits: a run
// that traps or overruns sends nothing.

/** "10.0.2.2" as the number the calls take ((10 << 24) | (0 << 16) | (2 << 8) | 2); 0 if it is not an IPv4 address. */
export function ipv4(text: string): u32 {
  const parts = text.split(".");
  if (parts.length != 4) return 0;
  let address: u32 = 0;
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    if (part.length == 0 || part.length > 3) return 0;
    let value: u32 = 0;
    for (let c = 0; c < part.length; c++) {
      const digit = <u32>part.charCodeAt(c) - 0x30;
      if (digit > 9) return 0;
      value = value * 10 + digit;
    }
    if (value > 255) return 0;
    address = (address << 8) | value;
  }
  return address;
}

/** An address as "a.b.c.d". */
export function ipv4Text(address: u32): string {
  return (address >> 24).toString() + "." + ((address >> 16) & 0xff).toString() + "." + ((address >> 8) & 0xff).toString() + "." +
    (address & 0xff).toString();
}

/**
 * Sends a UDP datagram (at most NET_DATA_MAX_BYTES) to `address`:`port` from `localPort`,
 * which needs net.udp:<localPort> (localPort 0, any free port, needs net.send). It leaves when
 * this run commits. False when refused or the stack's queue is full (lastError says which).
 */
export function udpSend(address: u32, port: u32, localPort: u32, data: Uint8Array): bool {
  return checked(gateUdpSend(address, port, localPort, data.dataStart, <u32>data.byteLength)) == 0;
}

/** Answers the EVENT_UDP being handled: `data` back to its sender, from the port it came to. */
export function udpReply(event: Event, data: Uint8Array): bool {
  return udpSend(event.address, event.port, event.localPort, data);
}

/**
 * Opens a TCP connection to `host` (an IPv4 address "10.0.2.2", or a name the stack resolves by
 * DNS) and `port` when this run commits (needs net.connect:<host>:<port>). Returns the
 * connection's number at once (0 when refused: lastError says why); EVENT_TCP_OPENED with that
 * number comes when it is open, EVENT_TCP_CLOSED if it cannot be. Write to it once it is open.
 */
export function tcpConnect(host: string, port: u32): u32 {
  const bytes = String.UTF8.encode(host);
  const result = checked(gateTcpConnect(changetype<usize>(bytes), <u32>bytes.byteLength, port));
  return result < 0 ? 0 : <u32>result;
}

/** Writes `data` (at most NET_DATA_MAX_BYTES a call) to a TCP connection this handler was given; sent when the run commits. */
export function tcpSend(connection: u32, data: Uint8Array): bool {
  return checked(gateTcpSend(connection, data.dataStart, <u32>data.byteLength)) == 0;
}

/** tcpSend() with UTF-8 text, in as many writes as it takes. */
export function tcpSendText(connection: u32, text: string): bool {
  const bytes = Uint8Array.wrap(String.UTF8.encode(text));
  for (let at = 0; at < bytes.length; at += NET_DATA_MAX_BYTES) {
    if (!tcpSend(connection, bytes.subarray(at, min(at + NET_DATA_MAX_BYTES, bytes.length)))) return false;
  }
  return true;
}

/** Closes a TCP connection after what this run wrote to it, when the run commits. */
export function tcpClose(connection: u32): bool {
  return checked(gateTcpClose(connection)) == 0;
}

const handlerNameBuffer = new Uint8Array(EVENT_NAME_MAX_BYTES);

/** The name of the index-th handler (0, 1, …; needs status:<its name>), or null past the last or when refused. */
export function handlerName(index: i32): string | null {
  const length = checked(gateHandlerName(<u32>index, handlerNameBuffer.dataStart, <u32>EVENT_NAME_MAX_BYTES));
  if (length < 0) return null;
  return String.UTF8.decodeUnsafe(handlerNameBuffer.dataStart, <usize>min<i64>(length, EVENT_NAME_MAX_BYTES));
}

/** A handler's counters, as the kernel's supervision keeps them (see status()). */
export type HandlerStatus = StatusRecord;

const statusBuffer = new StatusRecord();

/**
 * The counters of the handler called `name` (valid until the next call; needs status:<name>),
 * or null if there is none or it was refused (lastError says which).
 */
export function status(name: string): HandlerStatus | null {
  const nameBytes = String.UTF8.encode(name);
  const found = checked(gateStatus(changetype<usize>(nameBytes), <u32>nameBytes.byteLength, changetype<usize>(statusBuffer)));
  return found == 0 ? statusBuffer : null;
}

/** The entry point the kernel calls for each event; re-export it from the handler. */
export function handle(kind: u8, source: u32, name: u32, timestamp: u64, payloadLength: u32): void {
  runningKind = kind;
  runningSource = source;
  runningNameNumber = name;
  runningTimestamp = timestamp;
  runningName = null; // asked anew, on first use
  // The same array as the last run's when the length is the same: no allocation, so the
  // garbage collector writes no pages (a UDP echo's guest share 215k → 187k cycles).
  if (payloadLength == 0) runningPayload = noPayload;
  else if (<u32>runningPayload.length != payloadLength) runningPayload = new Uint8Array(payloadLength);
  if (payloadLength > 0) gatePayload(runningPayload.dataStart, payloadLength);
  if (kind == <u8>EVENT_UPGRADE) {
    if (migrator != null) migrator!(String.UTF8.decode(runningPayload.buffer));
  } else if (handler != null) handler!(current);
}

// ---- Programs (and, with files:read, handlers) ----

const lineBuffer = new Uint8Array(LINE_MAX_BYTES);

/** Writes text to this program's console ("\n" starts a new line). */
export function print(text: string): void {
  const bytes = String.UTF8.encode(text);
  gateWrite(changetype<usize>(bytes), <u32>bytes.byteLength);
}

/** The next line typed on this program's console (without its newline); waits until there is one. */
export function readLine(): string {
  const length = <i32>gateReadLine(lineBuffer.dataStart, <u32>LINE_MAX_BYTES);
  return String.UTF8.decodeUnsafe(lineBuffer.dataStart, <usize>min<i32>(max<i32>(length, 0), LINE_MAX_BYTES));
}

/** Why the last file function (readFile, listDirectory, dataRead, dataWrite, …) failed. */
export let fileError = "";

/** A file's error in words, kept in fileError with its path. */
function fileFailed(path: string, code: i64, what: string = "no such file"): void {
  lastError = code;
  fileError = path + ": " + (code == ERROR_NOT_FOUND ? what : code == ERROR_IS_DIRECTORY ? "is a directory"
    : code == ERROR_NOT_DIRECTORY ? "not a directory" : errorText(code));
}

/** A whole file of the boot filesystem (needs files:read), or null (see fileError). */
export function readFile(path: string): Uint8Array | null {
  const name = String.UTF8.encode(path);
  const size = checked(gateFileSize(changetype<usize>(name), <u32>name.byteLength));
  if (size < 0) {
    fileFailed(path, size);
    return null;
  }
  const data = new Uint8Array(<i32>size);
  let done: i64 = 0;
  while (done < size) {
    const chunk = min<i64>(size - done, TRANSFER_MAX_BYTES);
    const read = checked(gateFileRead(changetype<usize>(name), <u32>name.byteLength, <u64>done, data.dataStart + <usize>done, <u32>chunk));
    if (read <= 0) break;
    done += read;
  }
  return data;
}

/** One entry of a directory listing. */
export class DirectoryEntry {
  constructor(readonly name: string, readonly isDirectory: bool) {}
}

/** The entries of a directory of the boot filesystem (needs files:read), in archive order, or null (see fileError). */
export function listDirectory(path: string): DirectoryEntry[] | null {
  return listing(path, (index: u32, destination: usize, capacity: u32): i64 =>
    gateDirectoryEntry(changetype<usize>(listingName), <u32>listingName.byteLength, index, destination, capacity));
}

/** The path being listed, as UTF-8 (closures in AssemblyScript cannot capture locals). */
let listingName = new ArrayBuffer(0);

/** Entries from `entry` (a directory_entry-like call) until ERROR_END, or null with fileError set. */
function listing(path: string, entry: (index: u32, destination: usize, capacity: u32) => i64): DirectoryEntry[] | null {
  listingName = String.UTF8.encode(path);
  const entries = new Array<DirectoryEntry>();
  const buffer = new Uint8Array(LINE_MAX_BYTES);
  for (let index: u32 = 0; index < U32.MAX_VALUE; index++) {
    const result = entry(index, buffer.dataStart, <u32>LINE_MAX_BYTES);
    if (result == ERROR_END) break; // the listing is complete
    if (result < 0) {
      fileFailed(path, result, "no such directory");
      return null;
    }
    const kind = <u32>(result >> 32);
    entries.push(new DirectoryEntry(String.UTF8.decodeUnsafe(buffer.dataStart, <usize>(result & 0xffffffff)), kind == ENTRY_DIRECTORY));
  }
  return entries;
}

// The data disk (docs/storage.md): files under /data that handlers and programs write. A path
// without a leading '/' is in the module's own directory, /data/<its name>/. Reading and
// listing need data.read (or data), writing and removing need data; a plain "data" in
// system.toml is the module's own directory. A handler's writes belong to its run: its own
// reads see them at once, they reach the disk with its state when the run commits, and a run
// that traps or overruns leaves every file as it was. A program's are on the disk when the
// call returns. A full disk refuses a write (ERROR_NO_SPACE in lastError); the caller decides.

/** The size of a file on the data disk, or -1 (see fileError). */
export function dataSize(path: string): i64 {
  const name = String.UTF8.encode(path);
  const size = gateDataSize(changetype<usize>(name), <u32>name.byteLength);
  if (size < 0) {
    fileFailed(path, size);
    return -1;
  }
  return size;
}

/** A whole file of the data disk, or null (see fileError). */
export function dataRead(path: string): Uint8Array | null {
  const size = dataSize(path);
  if (size < 0) return null;
  const name = String.UTF8.encode(path);
  const data = new Uint8Array(<i32>size);
  // One call for the whole file: the kernel reads it in one request and checks it (a shorter answer asks again for the rest).
  for (let done: i64 = 0; done < size;) {
    const read = gateDataRead(changetype<usize>(name), <u32>name.byteLength, <u64>done, data.dataStart + <usize>done, <u32>(size - done));
    if (read < 0) {
      fileFailed(path, read);
      return null;
    }
    if (read == 0) break;
    done += read;
  }
  return data;
}

/** A whole file of the data disk as UTF-8 text, or null (see fileError). */
export function dataReadText(path: string): string | null {
  const data = dataRead(path);
  return data == null ? null : String.UTF8.decode(data.buffer);
}

/** Makes `data` the whole contents of a file on the data disk; false if refused (see fileError). */
export function dataWrite(path: string, data: Uint8Array): bool {
  return dataChange(path, data, DATA_REPLACE);
}

/** Adds `data` at the end of a file on the data disk, making it if there is none; false if refused. */
export function dataAppend(path: string, data: Uint8Array): bool {
  return dataChange(path, data, DATA_APPEND);
}

export function dataWriteText(path: string, text: string): bool {
  return dataChange(path, Uint8Array.wrap(String.UTF8.encode(text)), DATA_REPLACE);
}

export function dataAppendText(path: string, text: string): bool {
  return dataChange(path, Uint8Array.wrap(String.UTF8.encode(text)), DATA_APPEND);
}

function dataChange(path: string, data: Uint8Array, mode: u32): bool {
  const name = String.UTF8.encode(path);
  const result = gateDataWrite(changetype<usize>(name), <u32>name.byteLength, data.dataStart, <u32>data.byteLength, mode);
  if (result < 0) fileFailed(path, result);
  return result == 0;
}

/** Removes a file from the data disk; false if refused (see fileError). */
export function dataRemove(path: string): bool {
  const name = String.UTF8.encode(path);
  const result = gateDataRemove(changetype<usize>(name), <u32>name.byteLength);
  if (result < 0) fileFailed(path, result);
  return result == 0;
}

/** The entries of a directory of the data disk, in name order, or null (see fileError). */
export function dataList(path: string): DirectoryEntry[] | null {
  return listing(path, (index: u32, destination: usize, capacity: u32): i64 =>
    gateDataEntry(changetype<usize>(listingName), <u32>listingName.byteLength, index, destination, capacity));
}

/**
 * Has the kernel write a report (REPORT_ topics) on this program's console (needs
 * report:<topic>); false if refused. For REPORT_LOG, `level` is the most verbose level shown
 * (LOG_DEBUG: everything; the default, LOG_INFO, leaves out debug lines).
 */
export function report(topic: u32, level: u32 = LOG_INFO): bool {
  return checked(gateReport(topic, topic == REPORT_LOG ? level : 0)) == 0;
}

/** Resets handler `name` to its initial state (needs reset:<name>); the kernel says how it went on the console. */
export function resetHandler(name: string): bool {
  const bytes = String.UTF8.encode(name);
  return checked(gateReset(changetype<usize>(bytes), <u32>bytes.byteLength)) == 0;
}

/**
 * Runs program /bin/<name> with an argument line on this program's console and waits until
 * it ends (needs programs), as a shell runs a command; how it ended (EXIT_ENDED,
 * EXIT_STOPPED for Ctrl-C, EXIT_FAILED), or -1 when it could not start (the kernel says why).
 */
export function run(name: string, argumentLine: string = ""): i32 {
  return <i32>max<i64>(startProgram(name, argumentLine, RUN_HERE), -1);
}

/**
 * Starts program /bin/<name> with an argument line on the next free console and goes on
 * (needs programs; `[foreground] max` above 1); its console number, or 0 (the kernel says why).
 */
export function runOnConsole(name: string, argumentLine: string = ""): i32 {
  return <i32>max<i64>(startProgram(name, argumentLine, RUN_CONSOLE), 0);
}

function startProgram(name: string, argumentLine: string, mode: u32): i64 {
  const nameBytes = String.UTF8.encode(name);
  const argumentBytes = String.UTF8.encode(argumentLine);
  return checked(gateRun(changetype<usize>(nameBytes), <u32>nameBytes.byteLength, changetype<usize>(argumentBytes),
    <u32>argumentBytes.byteLength, mode));
}

/** The argument line this program was started with ("" for none): `run greet Ada Lovelace` gives "Ada Lovelace". */
export function argumentLine(): string {
  const length = <i32>gateArguments(lineBuffer.dataStart, <u32>LINE_MAX_BYTES);
  return String.UTF8.decodeUnsafe(lineBuffer.dataStart, <usize>min<i32>(max<i32>(length, 0), LINE_MAX_BYTES));
}

/** The words of argumentLine(), separated by spaces: `run greet Ada  Lovelace` gives ["Ada", "Lovelace"]. */
export function programArguments(): string[] {
  const words = new Array<string>();
  const parts = argumentLine().split(" ");
  for (let i = 0; i < parts.length; i++) if (parts[i].length > 0) words.push(parts[i]);
  return words;
}

/** Stops the program on console `number` (1-4; needs programs); false if there is none (the kernel says so). */
export function stop(number: i32): bool {
  return checked(gateStop(<u32>number)) == 0;
}

/**
 * Makes every handler state written to the data disk so far durable now: the disk is flushed,
 * group commits (durability = "interval:…") included. False without a data disk (lastError).
 */
export function sync(): bool {
  return checked(gateSync()) == 0;
}

/**
 * Has the network stack send `count` (1 to 10) ICMP echo requests to `address` (see ipv4()), a
 * second apart (needs net.ping); each answer, or its absence, is a line in the kernel log.
 * False without a network (lastError).
 */
export function ping(address: u32, count: u32 = 1): bool {
  return checked(gateNetPing(address, count)) == 0;
}

/** Restarts the machine (needs power); returns only if it could not (the kernel says why on the console). */
export function reboot(): void {
  checked(gatePower(POWER_REBOOT));
}

/** Turns the machine off (needs power; ACPI S5); returns only if it could not (the kernel says why). */
export function powerOff(): void {
  checked(gatePower(POWER_OFF));
}
