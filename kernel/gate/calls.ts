// The call table: each call number of interface/optios.ts and the function that implements it.
//
// gate.ts has checked the caller's kind and grants before a function here runs. Every
// implementation takes the caller, its module number and up to five arguments, and returns a
// value ≥ 0 or an ERROR_ code. A host test checks that every declared call has its entry.

import { Caller } from "./callers";
import { dataEntry, dataRead, dataRemove, dataSize, dataWrite } from "./data_calls";
import { fileRead, fileSize, directoryEntry } from "./file_calls";
import { CALL_ABORT, CALL_ARGUMENTS, CALL_HANDLER_CALL, CALL_EVENT_NAME, CALL_POST, CALL_REPLY, CALL_SYNC, CALL_DIRECTORY_ENTRY, CALL_EMIT, CALL_FILE_READ, CALL_FILE_SIZE, CALL_LOG, CALL_PAYLOAD, CALL_POWER,
  CALL_HANDLER_NAME, CALL_NET_CONFIG, CALL_NET_PING, CALL_TCP_CONNECT, CALL_NET_DELIVER, CALL_NET_STATE, CALL_NET_TRANSMIT, CALL_TCP_CLOSE, CALL_TCP_SEND, CALL_UDP_SEND,
  CALL_RANDOM, CALL_READ_LINE, CALL_REPORT, CALL_RESET, CALL_RUN, CALL_SLOTS, CALL_STATUS, CALL_STOP, CALL_TIME, CALL_WALL_TIME, CALL_WRITE,
  CALL_DATA_ENTRY, CALL_DATA_READ, CALL_DATA_REMOVE, CALL_DATA_SIZE, CALL_DATA_WRITE, ERROR_UNKNOWN_CALL } from "./interface";
import { abortCall, callCall, emit, eventName, handlerName, logCall, post, replyCall, payload, random, status, time, wallTime } from "./module_calls";
import { netConfig, netDeliver, netPing, netState, netTransmit, tcpClose, tcpConnect, tcpSend, udpSend } from "./net_calls";
import { power, programArguments, readLine, report, reset, run, stop, syncCall, write } from "./program_calls";

export type CallImplementation = (caller: Caller, module: i32, a: u64, b: u64, c: u64, d: u64, e: u64) => i64;

function unknown(caller: Caller, module: i32, a: u64, b: u64, c: u64, d: u64, e: u64): i64 {
  return ERROR_UNKNOWN_CALL;
}

/** Indexed by call number; `unknown` fills numbers no call uses. */
export const CALL_TABLE = new StaticArray<CallImplementation>(CALL_SLOTS);
for (let call = 0; call < CALL_SLOTS; call++) CALL_TABLE[call] = unknown;
CALL_TABLE[CALL_LOG] = logCall;
CALL_TABLE[CALL_TIME] = time;
CALL_TABLE[CALL_RANDOM] = random;
CALL_TABLE[CALL_EMIT] = emit;
CALL_TABLE[CALL_PAYLOAD] = payload;
CALL_TABLE[CALL_STATUS] = status;
CALL_TABLE[CALL_ABORT] = abortCall;
CALL_TABLE[CALL_WRITE] = write;
CALL_TABLE[CALL_READ_LINE] = readLine;
CALL_TABLE[CALL_FILE_SIZE] = fileSize;
CALL_TABLE[CALL_FILE_READ] = fileRead;
CALL_TABLE[CALL_DIRECTORY_ENTRY] = directoryEntry;
CALL_TABLE[CALL_REPORT] = report;
CALL_TABLE[CALL_RESET] = reset;
CALL_TABLE[CALL_RUN] = run;
CALL_TABLE[CALL_STOP] = stop;
CALL_TABLE[CALL_POWER] = power;
CALL_TABLE[CALL_WALL_TIME] = wallTime;
CALL_TABLE[CALL_ARGUMENTS] = programArguments;
CALL_TABLE[CALL_EVENT_NAME] = eventName;
CALL_TABLE[CALL_POST] = post;
CALL_TABLE[CALL_HANDLER_CALL] = callCall;
CALL_TABLE[CALL_REPLY] = replyCall;
CALL_TABLE[CALL_SYNC] = syncCall;
CALL_TABLE[CALL_HANDLER_NAME] = handlerName;
CALL_TABLE[CALL_NET_CONFIG] = netConfig;
CALL_TABLE[CALL_NET_PING] = netPing;
CALL_TABLE[CALL_TCP_CONNECT] = tcpConnect;
CALL_TABLE[CALL_NET_TRANSMIT] = netTransmit;
CALL_TABLE[CALL_NET_DELIVER] = netDeliver;
CALL_TABLE[CALL_NET_STATE] = netState;
CALL_TABLE[CALL_UDP_SEND] = udpSend;
CALL_TABLE[CALL_TCP_SEND] = tcpSend;
CALL_TABLE[CALL_TCP_CLOSE] = tcpClose;
CALL_TABLE[CALL_DATA_SIZE] = dataSize;
CALL_TABLE[CALL_DATA_READ] = dataRead;
CALL_TABLE[CALL_DATA_ENTRY] = dataEntry;
CALL_TABLE[CALL_DATA_WRITE] = dataWrite;
CALL_TABLE[CALL_DATA_REMOVE] = dataRemove;

/** Whether `call` has an implementation (a host test checks every declared call has one, and only those). */
export function callImplemented(call: i32): bool {
  return call > 0 && call < CALL_SLOTS && CALL_TABLE[call] != unknown;
}
