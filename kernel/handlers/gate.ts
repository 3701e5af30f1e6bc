// The gate's policy: what each call from a handler or program does (boot/handler_gate.c forwards them).
//
// Every call names the calling module; the kernel knows whether it is a handler (its index
// in the registry) or a program (its slot), and each operation says who may make it, so
// capability checks (later work) sit here and only here. Addresses and lengths are in the
// caller's memory and are checked by the copies.
//
//   both:          LOG TIME RANDOM EMIT STATUS
//   handlers only: PAYLOAD (the event being handled)
//   programs only: WRITE READ_LINE and the shell's requests (programs/requests.ts)

import { readTsc } from "../arch/x86_64/machine";
import { moduleCopyIn, moduleCopyOut } from "../arch/x86_64/modules";
import { equalsBytes, Text } from "../console/text";
import { EVENT_APP } from "../events/event_queue";
import { LEVEL_INFO, log } from "../log/log";
import { HANDLER_LOG_MAX_BYTES, HANDLER_PAYLOAD_MAX_BYTES, HANDLERS_MAX, MODULES_MAX } from "../params";
import { program } from "../programs/programs";
import { programRequest } from "../programs/requests";
import { clockNanoseconds } from "../time/clock";
import { currentPayload, currentPayloadLength, handlers, postTo } from "./registry";

export const GATE_LOG: u32 = 1;
export const GATE_TIME: u32 = 2;
export const GATE_RANDOM: u32 = 3;
export const GATE_EMIT: u32 = 4;
export const GATE_PAYLOAD: u32 = 5;
export const GATE_STATUS: u32 = 6;
/** The first operation only programs may make; programs/requests.ts has them. */
export const GATE_FIRST_PROGRAM_OPERATION: u32 = 7;

const OWNER_NONE: i32 = -1;
const handlerOfModule = new StaticArray<i32>(MODULES_MAX);
const programOfModule = new StaticArray<i32>(MODULES_MAX);
for (let i = 0; i < MODULES_MAX; i++) {
  handlerOfModule[i] = OWNER_NONE;
  programOfModule[i] = OWNER_NONE;
}

/** From now on calls from `module` are handler `index`'s. */
export function gateAdmitHandler(module: i32, index: i32): void {
  handlerOfModule[module] = index;
}

/** From now on calls from `module` are the program in `slot`'s. */
export function gateAdmitProgram(module: i32, slot: i32): void {
  programOfModule[module] = slot;
}

/** The module is gone: its number may be reused by another. */
export function gateForget(module: i32): void {
  handlerOfModule[module] = OWNER_NONE;
  programOfModule[module] = OWNER_NONE;
}

/** Layout of the status a handler receives (handlers/api/optios.ts, HandlerStatus): 40 bytes. */
const STATUS_BYTES: u32 = 40;
const status = new StaticArray<u8>(STATUS_BYTES);

export const GATE_REFUSED: u64 = u64.MAX_VALUE;
const message = new StaticArray<u8>(HANDLER_LOG_MAX_BYTES);
const emitted = new StaticArray<u8>(HANDLER_PAYLOAD_MAX_BYTES);
const EVENT_NAME_MAX_BYTES: u32 = 64;
const eventName = new StaticArray<u8>(EVENT_NAME_MAX_BYTES);
const logLine = new Text();
let randomState: u64 = 0x9e3779b97f4a7c15;

export function gateCall(module: i32, operation: u32, a: u64, b: u64, c: u64, d: u64): u64 {
  if (module < 0 || module >= MODULES_MAX) return GATE_REFUSED;
  const handler = handlerOfModule[module];
  const slot = programOfModule[module];
  if (handler == OWNER_NONE && slot == OWNER_NONE) return GATE_REFUSED;
  if (operation == GATE_LOG) return gateLog(module, handler, slot, <u32>a, <u32>b);
  if (operation == GATE_TIME) return clockNanoseconds(readTsc());
  if (operation == GATE_RANDOM) return nextRandom();
  if (operation == GATE_EMIT) return gateEmit(module, handler >= 0 ? handler : HANDLERS_MAX + slot, <u32>a, <u32>b, <u32>c, <u32>d);
  if (operation == GATE_STATUS) return gateStatus(module, <u32>a, <u32>b, <u32>c);
  if (operation == GATE_PAYLOAD) return handler >= 0 ? gatePayload(module, <u32>a, <u32>b) : GATE_REFUSED;
  if (operation >= GATE_FIRST_PROGRAM_OPERATION && slot >= 0) return programRequest(module, slot, operation, a, b, c, d);
  return GATE_REFUSED;
}

/** A log line from handler `handler` or the program in `slot` (the other is OWNER_NONE). */
function gateLog(module: i32, handler: i32, slot: i32, address: u32, length: u32): u64 {
  const shown = min<u32>(length, HANDLER_LOG_MAX_BYTES);
  if (!moduleCopyIn(module, changetype<usize>(message), address, shown)) return GATE_REFUSED;
  logLine.clear().string("[");
  if (handler >= 0) logLine.string(handlers[handler].name);
  else logLine.text(program(slot).name);
  log(LEVEL_INFO, logLine.string("] ")
    .raw(changetype<usize>(message), shown));
  return 0;
}

/** xorshift64*, stirred with the TSC on every call: a reused snapshot never sees the same numbers. */
function nextRandom(): u64 {
  randomState ^= readTsc() * 0xbf58476d1ce4e5b9;
  randomState ^= randomState >> 12;
  randomState ^= randomState << 25;
  randomState ^= randomState >> 27;
  return randomState * 0x2545f4914f6cdd1d;
}

/**
 * Posts an app event to every handler subscribed to its name; 0, or GATE_REFUSED if none took
 * it. `source` is the emitting handler's index, or HANDLERS_MAX + slot for a program.
 */
function gateEmit(module: i32, source: i32, nameAddress: u32, nameLength: u32, payload: u32, payloadLength: u32): u64 {
  if (nameLength > EVENT_NAME_MAX_BYTES || payloadLength > <u32>HANDLER_PAYLOAD_MAX_BYTES) return GATE_REFUSED;
  if (!moduleCopyIn(module, changetype<usize>(eventName), nameAddress, nameLength)) return GATE_REFUSED;
  if (!moduleCopyIn(module, changetype<usize>(emitted), payload, payloadLength)) return GATE_REFUSED;
  const now = clockNanoseconds(readTsc());
  const number = nameNumber(nameLength);
  let delivered = 0;
  for (let i = 0; i < handlers.length; i++) {
    if (subscribed(handlers[i].events, nameLength) &&
      postTo(i, EVENT_APP, <u32>source, number, now, changetype<usize>(emitted), <i32>payloadLength)) delivered++;
  }
  return delivered > 0 ? 0 : GATE_REFUSED;
}

/** Whether one of `events` equals the first `length` bytes of `eventName` (ASCII names). */
function subscribed(events: string[], length: u32): bool {
  for (let e = 0; e < events.length; e++) if (sameName(events[e], length)) return true;
  return false;
}

/** Whether `candidate` equals the first `length` bytes of `eventName`. */
function sameName(candidate: string, length: u32): bool {
  return equalsBytes(candidate, changetype<usize>(eventName), <i32>length);
}

/** A stable number for the event name in `eventName` (FNV-1a), so handlers can tell names apart cheaply. */
function nameNumber(length: u32): u32 {
  let hash: u32 = 0x811c9dc5;
  for (let i: u32 = 0; i < length; i++) hash = (hash ^ <u32>eventName[i]) * 0x01000193;
  return hash;
}

/** Writes the named handler's counters into the caller's memory; 0, or GATE_REFUSED if there is no such handler. */
function gateStatus(module: i32, nameAddress: u32, nameLength: u32, destination: u32): u64 {
  if (nameLength > EVENT_NAME_MAX_BYTES) return GATE_REFUSED;
  if (!moduleCopyIn(module, changetype<usize>(eventName), nameAddress, nameLength)) return GATE_REFUSED;
  for (let i = 0; i < handlers.length; i++) {
    if (!sameName(handlers[i].name, nameLength)) continue;
    const health = handlers[i].health;
    const pointer = changetype<usize>(status);
    store<u64>(pointer, health.runs);
    store<u64>(pointer, health.failures, 8);
    store<u64>(pointer, health.restarts, 16);
    store<u32>(pointer, health.lastTrap, 24);
    store<u32>(pointer, health.consecutiveFailures, 28);
    store<u32>(pointer, health.quarantined ? 1 : 0, 32);
    store<u32>(pointer, 0, 36);
    return moduleCopyOut(module, destination, pointer, STATUS_BYTES) ? 0 : GATE_REFUSED;
  }
  return GATE_REFUSED;
}

function gatePayload(module: i32, destination: u32, length: u32): u64 {
  const copied = min<u32>(length, <u32>currentPayloadLength());
  if (!moduleCopyOut(module, destination, currentPayload(), copied)) return GATE_REFUSED;
  return copied;
}
