// The calls every module may make (log, time, random, emit, status, abort) and the handler's payload.
//
// gate.ts has already checked the caller's kind and grants; names a grant was matched
// against are in callArgument. Text from a module is escaped before it reaches a console.

import { readTsc } from "../arch/x86_64/machine";
import { equalsBytes, Text } from "../console/text";
import { Delivery, EVENT_APP, EVENT_BOOT, EVENT_CALL, EVENT_MESSAGE, EVENT_TIMER } from "../events/event_queue";
import { LEVEL_DEBUG, LEVEL_WARNING, log } from "../log/log";
import { clockNanoseconds, clockWallNanoseconds } from "../time/clock";
import { currentPayload, currentPayloadLength, delivery, DELIVERY_PAYLOAD_MAX_BYTES, deliveryPayload, eventQueues, handlerNamed, handlers, postTo } from "../handlers/registry";
import { describeFailure, noteCallee, runMayEmit, runningHandler, setRunningHandler } from "../handlers/dispatcher";
import { moduleCall, moduleFootprint } from "../arch/x86_64/modules";
import { runLogHold, runLogMark, runLogRollBackSince } from "../handlers/run_log";
import { programSettings } from "../programs/programs";
import { STORM_REFUSALS, STORM_STARTED, STORM_WINDOW_NANOSECONDS, THROTTLE_INTERVAL_NANOSECONDS } from "../events/handler_queues";
import { Caller } from "./callers";
import { copyIn, copyOut } from "./copy";
import { dropPending, pendingMark } from "../storage/data_files";
import { callArgument, callArgumentLength } from "./argument";
import { CALLER_HANDLER, errorText, eventNameNumber, EVENT_UPGRADE, ERROR_BAD_ADDRESS, ERROR_BAD_ARGUMENT, ERROR_NOT_ACCEPTING, ERROR_CALL_CYCLE, ERROR_CALL_DEPTH,
  ERROR_CALL_FAILED, ERROR_NOT_CALLABLE, ERROR_NOT_IN_CALL, ERROR_NOT_IN_RUN, TRAP_OVERRUN, ERROR_NO_WALL_CLOCK, ERROR_EMIT_LIMIT, ERROR_NOT_FOUND, ERROR_NO_SUBSCRIBER, ERROR_QUEUE_FULL, ERROR_TOO_LONG, FAILURE_TEXT_MAX_BYTES,
  HANDLERS_MAX, LOG_MAX_BYTES, NAME_MAX_BYTES, PAYLOAD_MAX_BYTES, STATUS_RECORD_BYTES, StatusRecord } from "./interface";

const message = new StaticArray<u8>(LOG_MAX_BYTES);
const emitted = new StaticArray<u8>(PAYLOAD_MAX_BYTES);
const statusRecord = new StaticArray<u8>(STATUS_RECORD_BYTES);
const logLine = new Text();
let randomState: u64 = 0x9e3779b97f4a7c15;

/**
 * log(level, message, length): the line, cut to LOG_MAX_BYTES and escaped, under the
 * caller's name. A handler's line during a run is held until the run ends (run_log.ts).
 */
export function logCall(caller: Caller, module: i32, level: u64, address: u64, length: u64, d: u64, e: u64): i64 {
  if (level > <u64>LEVEL_DEBUG) return ERROR_BAD_ARGUMENT;
  const shown = min<u64>(length, <u64>LOG_MAX_BYTES);
  if (!copyIn(module, changetype<usize>(message), address, shown)) return ERROR_BAD_ADDRESS;
  if (caller.kind == CALLER_HANDLER && runningHandler >= 0) {
    runLogHold(<u8>level, caller.name, logLine.clear().escaped(changetype<usize>(message), <i32>shown));
    return 0;
  }
  log(<u8>level, logLine.clear().string("[").string(caller.name).string("] ").escaped(changetype<usize>(message), <i32>shown));
  return 0;
}

const eventNameText = new Text();
const nameScratch = new Text();

/** The number a name travels as in a delivery (eventNameNumber of its bytes). */
function nameNumber(name: string): u32 {
  const text = nameScratch.clear().string(name);
  return eventNameNumber(text.pointer, text.length);
}

/** A delivery's source: the handler's index, or HANDLERS_MAX + slot for a program. */
function sourceOf(caller: Caller): u32 {
  return <u32>(caller.kind == CALLER_HANDLER ? caller.index : HANDLERS_MAX + caller.index);
}

/** event_name(destination, capacity): the running event's name ("boot", "timer", the app event's or the sender's); its whole length. */
export function eventName(caller: Caller, module: i32, destination: u64, capacity: u64, c: u64, d: u64, e: u64): i64 {
  let name = "";
  if (delivery.kind == EVENT_BOOT) name = "boot";
  else if (delivery.kind == EVENT_TIMER) name = "timer";
  else if (delivery.kind == EVENT_UPGRADE) name = "upgrade";
  else if (delivery.kind == EVENT_MESSAGE || delivery.kind == EVENT_CALL) name = senderName(delivery.name);
  else {
    // The queue carries the name's number; the handler's own subscriptions give it back its words.
    const events = handlers[caller.index].events;
    for (let i = 0; i < events.length && name.length == 0; i++) if (nameNumber(events[i]) == delivery.name) name = events[i];
  }
  const text = eventNameText.clear().string(name);
  if (!copyOut(module, destination, text.pointer, min<u64>(capacity, <u64>text.length))) return ERROR_BAD_ADDRESS;
  return text.length;
}

/** The name of the handler or program whose name's number is `number` ("" when it is gone). */
function senderName(number: u32): string {
  for (let i = 0; i < handlers.length; i++) if (nameNumber(handlers[i].name) == number) return handlers[i].name;
  const programs = programSettings().programs;
  for (let i = 0; i < programs.length; i++) if (nameNumber(programs[i].name) == number) return programs[i].name;
  return "";
}

export function time(caller: Caller, module: i32, a: u64, b: u64, c: u64, d: u64, e: u64): i64 {
  return <i64>clockNanoseconds(readTsc());
}

/** wall_time(): nanoseconds since the Unix epoch, or ERROR_NO_WALL_CLOCK. */
export function wallTime(caller: Caller, module: i32, a: u64, b: u64, c: u64, d: u64, e: u64): i64 {
  const nanoseconds = clockWallNanoseconds(readTsc());
  return nanoseconds < 0 ? ERROR_NO_WALL_CLOCK : nanoseconds;
}

/** xorshift64*, stirred with the TSC on every call: a reused snapshot never sees the same numbers. */
export function random(caller: Caller, module: i32, a: u64, b: u64, c: u64, d: u64, e: u64): i64 {
  randomState ^= readTsc() * 0xbf58476d1ce4e5b9;
  randomState ^= randomState >> 12;
  randomState ^= randomState << 25;
  randomState ^= randomState >> 27;
  return <i64>(randomState * 0x2545f4914f6cdd1d);
}

/**
 * emit(name, name length, payload, payload length): an app event for every handler subscribed
 * to the name (in callArgument); how many took it. The source is the emitting handler's
 * index, or HANDLERS_MAX + slot for a program.
 */
export function emit(caller: Caller, module: i32, a: u64, b: u64, payload: u64, payloadLength: u64, e: u64): i64 {
  if (payloadLength > <u64>PAYLOAD_MAX_BYTES) return ERROR_TOO_LONG;
  const fromHandler = caller.kind == CALLER_HANDLER;
  if (fromHandler && !runMayEmit()) return ERROR_EMIT_LIMIT;
  if (!copyIn(module, changetype<usize>(emitted), payload, payloadLength)) return ERROR_BAD_ADDRESS;
  const now = clockNanoseconds(readTsc());
  const number = eventNameNumber(changetype<usize>(callArgument), callArgumentLength);
  const source = sourceOf(caller);
  let subscribers = 0;
  let delivered = 0;
  for (let i = 0; i < handlers.length; i++) {
    if (!subscribed(handlers[i].events)) continue;
    subscribers++;
    if (postTo(i, EVENT_APP, source, number, now, changetype<usize>(emitted), <i32>payloadLength)) delivered++;
    else if (fromHandler) countRefusal(caller, now);
  }
  if (subscribers == 0) return ERROR_NO_SUBSCRIBER;
  return delivered > 0 ? delivered : ERROR_QUEUE_FULL;
}

/**
 * post(name, name length, message, message length): a message for the handler named in
 * callArgument, into its queue (EVENT_MESSAGE; the source as for emit, the name the
 * sender's). A handler's posts are withdrawn with the rest of its run if it rolls back, and
 * dispatch rounds run them only after the run is over, so they arrive once it committed.
 */
export function post(caller: Caller, module: i32, a: u64, b: u64, message: u64, messageLength: u64, e: u64): i64 {
  if (messageLength > <u64>PAYLOAD_MAX_BYTES) return ERROR_TOO_LONG;
  const target = handlerNamed(changetype<usize>(callArgument), callArgumentLength);
  if (target < 0) return ERROR_NOT_FOUND;
  if (!handlers[target].acceptsMessages) return ERROR_NOT_ACCEPTING;
  const fromHandler = caller.kind == CALLER_HANDLER;
  if (fromHandler && !runMayEmit()) return ERROR_EMIT_LIMIT;
  if (!copyIn(module, changetype<usize>(emitted), message, messageLength)) return ERROR_BAD_ADDRESS;
  const now = clockNanoseconds(readTsc());
  if (postTo(target, EVENT_MESSAGE, sourceOf(caller), caller.nameNumber, now, changetype<usize>(emitted),
    <i32>messageLength)) return 0;
  if (fromHandler) countRefusal(caller, now);
  return ERROR_QUEUE_FULL;
}

const request = new StaticArray<u8>(PAYLOAD_MAX_BYTES);
const replyBytes = new StaticArray<u8>(PAYLOAD_MAX_BYTES);
const callerPayload = new StaticArray<u8>(DELIVERY_PAYLOAD_MAX_BYTES);
const callerDelivery = new Delivery();
let replyLength: i32 = 0;
/** The handler answering a call now, -1 when none. */
let answering: i32 = -1;
/** Calls answered, and the TSC cycles the last one took from the caller's call to its reply (for test=bench). */
export let callsCompleted: u64 = 0;
export let lastCallCycles: u64 = 0;

/**
 * call(name, name length, request, request length, reply): runs the handler named in
 * callArgument (calls = true) for an EVENT_CALL nested in the running handler's run, and
 * copies its reply (at most PAYLOAD_MAX_BYTES) to `reply`; the reply's length.
 *
 * One transaction: boot/modules.c keeps the callee's changes open under a savepoint. A
 * callee that traps or overruns is undone at once (its emits and posts withdrawn, its log
 * lines marked) and the caller gets ERROR_CALL_FAILED and goes on; otherwise its changes
 * commit, or roll back, with the caller's run. Calls nest one deep, and the budget is the
 * caller's. The callee's event stands in for the caller's while it runs.
 */
export function callCall(caller: Caller, module: i32, a: u64, b: u64, requestAddress: u64, requestLength: u64, replyAddress: u64): i64 {
  const result = callHandler(caller, module, requestAddress, requestLength, replyAddress);
  if (caller.kind != CALLER_HANDLER) return result;
  const handler = handlers[caller.index];
  handler.callsMade++;
  if (result < 0) {
    // Kept for `handlers`: the callee, and why (a failed run says more in callee.lastFailure).
    const text = logLine.clear().string("to '").raw(changetype<usize>(callArgument), callArgumentLength).string("': ").string(errorText(result));
    handler.lastCallError.set(text);
  }
  return result;
}

function callHandler(caller: Caller, module: i32, requestAddress: u64, requestLength: u64, replyAddress: u64): i64 {
  if (answering >= 0) return ERROR_CALL_DEPTH;
  // Calls belong to a run's transaction: a handler's start code (outside any run) has none.
  if (runningHandler != caller.index) return ERROR_NOT_IN_RUN;
  if (requestLength > <u64>PAYLOAD_MAX_BYTES) return ERROR_TOO_LONG;
  const target = handlerNamed(changetype<usize>(callArgument), callArgumentLength);
  if (target < 0) return ERROR_NOT_FOUND;
  if (target == caller.index) return ERROR_CALL_CYCLE;
  const callee = handlers[target];
  if (!callee.acceptsCalls) return ERROR_NOT_CALLABLE;
  if (callee.health.quarantined) {
    log(LEVEL_WARNING, logLine.clear().string("handlers: call from '").string(caller.name).string("' to '").string(callee.name)
      .string("' refused: it is quarantined (reset it)"));
    return ERROR_CALL_FAILED;
  }
  const start = readTsc();
  if (!copyIn(module, changetype<usize>(request), requestAddress, requestLength)) return ERROR_BAD_ADDRESS;
  const now = clockNanoseconds(start);
  const callerNumber = caller.nameNumber;
  callerDelivery.copyFrom(delivery);
  memory.copy(changetype<usize>(callerPayload), changetype<usize>(deliveryPayload), <usize>delivery.payloadLength);
  delivery.kind = EVENT_CALL;
  delivery.source = <u32>caller.index;
  delivery.name = callerNumber;
  delivery.timestamp = now;
  delivery.payloadLength = <i32>requestLength;
  memory.copy(changetype<usize>(deliveryPayload), changetype<usize>(request), <usize>requestLength);
  const postedMark = eventQueues.nextSequence;
  const logMark = runLogMark();
  const filesMark = pendingMark();
  replyLength = 0;
  answering = target;
  noteCallee(target);
  setRunningHandler(target);
  const trap = moduleCall(callee.module, EVENT_CALL, <u32>caller.index, callerNumber, now, <u32>requestLength);
  setRunningHandler(caller.index);
  answering = -1;
  delivery.copyFrom(callerDelivery);
  memory.copy(changetype<usize>(deliveryPayload), changetype<usize>(callerPayload), <usize>delivery.payloadLength);
  callee.health.runs++;
  if (trap != 0) {
    eventQueues.discardPostedSince(postedMark);
    runLogRollBackSince(logMark);
    dropPending(filesMark);
    callee.health.failures++;
    callee.health.lastTrap = trap;
    if (trap == TRAP_OVERRUN) callee.lastFailure.setString("overran the budget of the run that called it");
    else callee.lastFailure.set(describeFailure(callee, trap));
    log(LEVEL_WARNING, logLine.clear().string("handlers: call from '").string(caller.name).string("' to '").string(callee.name)
      .string("' failed: ").kept(callee.lastFailure).string("; the call's changes were rolled back"));
    return ERROR_CALL_FAILED;
  }
  if (!copyOut(module, replyAddress, changetype<usize>(replyBytes), <u64>replyLength)) return ERROR_BAD_ADDRESS;
  lastCallCycles = readTsc() - start;
  callsCompleted++;
  callee.callsServed++;
  return replyLength;
}

/** reply(data, length): the reply of the call being answered (the last one given wins). */
export function replyCall(caller: Caller, module: i32, data: u64, length: u64, c: u64, d: u64, e: u64): i64 {
  if (answering != caller.index) return ERROR_NOT_IN_CALL;
  if (length > <u64>PAYLOAD_MAX_BYTES) return ERROR_TOO_LONG;
  if (!copyIn(module, changetype<usize>(replyBytes), data, length)) return ERROR_BAD_ADDRESS;
  replyLength = <i32>length;
  return 0;
}

/** Counts a handler's emit or post refused for a full queue; a storm of them throttles it, with one log line. */
function countRefusal(caller: Caller, now: u64): void {
  if (eventQueues.recordRefusal(caller.index, now) != STORM_STARTED) return;
  log(LEVEL_WARNING, logLine.clear().string("events: '").string(caller.name).string("' is flooding: ").decimal(STORM_REFUSALS)
    .string(" of its events refused within ").duration(STORM_WINDOW_NANOSECONDS).string(" (queues full); throttled to one run per ")
    .duration(THROTTLE_INTERVAL_NANOSECONDS));
}

/** Whether one of `events` is the name in callArgument. */
function subscribed(events: string[]): bool {
  for (let e = 0; e < events.length; e++) if (equalsBytes(events[e], changetype<usize>(callArgument), callArgumentLength)) return true;
  return false;
}


/** payload(destination, length): the event being handled's payload; the bytes copied. */
export function payload(caller: Caller, module: i32, destination: u64, length: u64, c: u64, d: u64, e: u64): i64 {
  const copied = min<u64>(length, <u64>currentPayloadLength());
  if (!copyOut(module, destination, currentPayload(), copied)) return ERROR_BAD_ADDRESS;
  return <i64>copied;
}

/** status(name, name length, destination): the named handler's StatusRecord. */
export function status(caller: Caller, module: i32, a: u64, b: u64, destination: u64, d: u64, e: u64): i64 {
  const index = handlerNamed(changetype<usize>(callArgument), callArgumentLength);
  if (index < 0) return ERROR_NOT_FOUND;
  const health = handlers[index].health;
  const record = changetype<StatusRecord>(changetype<usize>(statusRecord));
  record.runs = health.runs;
  record.failures = health.failures;
  record.restarts = health.restarts;
  record.lastTrap = health.lastTrap;
  record.consecutiveFailures = health.consecutiveFailures;
  record.quarantined = health.quarantined ? 1 : 0;
  record.reserved = 0;
  record.stateBytes = moduleFootprint(handlers[index].module, 1) / 2 + moduleFootprint(handlers[index].module, 2);
  return copyOut(module, destination, changetype<usize>(statusRecord), STATUS_RECORD_BYTES) ? 0 : ERROR_BAD_ADDRESS;
}

/** A handler's name as UTF-8 (names are ASCII, NAME_MAX_BYTES at most; 4 bytes a character leaves room for any). */
const nameBytes = new StaticArray<u8>(NAME_MAX_BYTES * 4);

/** handler_name(index, destination, capacity): the index-th handler's name (gate.ts checked status:<name>); its length. */
export function handlerName(caller: Caller, module: i32, index: u64, destination: u64, capacity: u64, d: u64, e: u64): i64 {
  if (index >= <u64>handlers.length) return ERROR_NOT_FOUND;
  const name = handlers[<i32>index].name;
  // Encoded into a buffer of the kernel's own: the kernel's runtime never frees what it allocates.
  const bytes = String.UTF8.encodeUnsafe(changetype<usize>(name), min<i32>(name.length, NAME_MAX_BYTES), changetype<usize>(nameBytes));
  const copied = min<u64>(capacity, <u64>bytes);
  if (!copyOut(module, destination, changetype<usize>(nameBytes), copied)) return ERROR_BAD_ADDRESS;
  return <i64>bytes;
}

/**
 * abort(message, file, line, column): AssemblyScript's abort() and `throw`. Keeps "message
 * at file:line:column" as the caller's failure text; boot/ then ends the run with TRAP_ABORT.
 */
export function abortCall(caller: Caller, module: i32, messageAddress: u64, file: u64, line: u64, column: u64, e: u64): i64 {
  const text = logLine.clear();
  appendModuleString(text, module, messageAddress);
  if (text.length == 0) text.string("abort()");
  text.string(" at ");
  appendModuleString(text, module, file);
  text.char(0x3a).decimal(line).char(0x3a).decimal(column);
  caller.failure.set(text);
  return 0;
}

const utf16 = new StaticArray<u8>(FAILURE_TEXT_MAX_BYTES * 2);
const lengthField = new StaticArray<u8>(4);

/** Appends an AssemblyScript string of the module (UTF-16, its byte length 4 bytes before it), escaped; nothing if unreadable. */
function appendModuleString(text: Text, module: i32, address: u64): void {
  if (address < 4 || !copyIn(module, changetype<usize>(lengthField), address - 4, 4)) return;
  const bytes = min<u64>(<u64>load<u32>(changetype<usize>(lengthField)), <u64>utf16.length) & ~1;
  if (!copyIn(module, changetype<usize>(utf16), address, bytes)) return;
  for (let i: u64 = 0; i < bytes; i += 2) {
    const unit = load<u16>(changetype<usize>(utf16) + <usize>i);
    if (unit >= 0x20 && unit < 0x7f) text.char(unit);
    else text.char(0x3f);
  }
}
