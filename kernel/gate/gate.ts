// The gate: every call a handler or program makes, checked in one place and sent to its implementation.
//
//   module ─import optios.<call>─► boot/gate_calls.c ─► gate_call (interrupts off)
//          ─► kernel_gate_call(module, call, a..e) ─► gateCall: who is calling? may its kind
//             make this call? does a grant allow it? ─► CALL_TABLE[call] (calls.ts)
//
// Calls and their numbers, capabilities and errors are declared once in interface/optios.ts
// (kernel/gate/interface.ts is generated from it). For a capability with an argument the
// argument is the call's first two arguments, a name and its length (emit, status, reset),
// or implied by the call (report: its topic; files: "read"; data: the path, resolved); the gate copies it in once
// and the implementation finds it in `callArgument` (argument.ts). Every refusal is a named error code.

import { callArgument, callArgumentLength, setCallArgumentLength } from "./argument";
import { Caller, callerOf } from "./callers";
import { granted, logRefusal } from "./capabilities";
import { CALL_TABLE } from "./calls";
import { copyIn } from "./copy";
import { handlers } from "../handlers/registry";
import { resolveDataPath } from "./data_calls";
import { CALL_CALLER, CALL_CAPABILITY, CAPABILITY_DATA, CAPABILITY_DATA_READ, CALL_HANDLER_NAME, CALL_SLOTS, CALL_UDP_SEND, CAPABILITY_FILES, CAPABILITY_HAS_ARGUMENT, CAPABILITY_NET_CONNECT, CAPABILITY_NET_SEND,
  CAPABILITY_NET_UDP, EVENT_NAME_MAX_BYTES, NET_HOST_MAX_BYTES, CAPABILITY_REPORT, ERROR_NOT_FOUND,
  ERROR_BAD_ADDRESS, ERROR_NOT_GRANTED, ERROR_TOO_LONG, ERROR_UNKNOWN_CALL, ERROR_WRONG_CALLER,
  REPORT_TOPIC_NAMES } from "./interface";


const READ = "read";

export function gateCall(module: i32, call: u32, a: u64, b: u64, c: u64, d: u64, e: u64): i64 {
  const caller = callerOf(module);
  if (caller == null || call == 0 || call >= <u32>CALL_SLOTS || CALL_CALLER[call] == 0) return ERROR_UNKNOWN_CALL;
  if ((CALL_CALLER[call] & caller.kind) == 0) return ERROR_WRONG_CALLER;
  let capability = <u32>CALL_CAPABILITY[call];
  // A datagram from any free port (local port 0) is net.send's, not net.udp's.
  if (call == CALL_UDP_SEND && c == 0) capability = CAPABILITY_NET_SEND;
  if (capability != 0) {
    const taken = takeArgument(caller, module, call, capability, a, b, c);
    if (taken < 0) return taken;
    const argument = changetype<usize>(callArgument);
    if (!granted(caller.grants, capability, argument, callArgumentLength)) {
      logRefusal(caller, call, capability, argument, callArgumentLength);
      return ERROR_NOT_GRANTED;
    }
  }
  return CALL_TABLE[call](caller, module, a, b, c, d, e);
}

/** Puts the argument a grant must match into callArgument: 0, or the error that refuses the call. */
function takeArgument(caller: Caller, module: i32, call: u32, capability: u32, a: u64, b: u64, c: u64): i64 {
  setCallArgumentLength(0);
  if (!CAPABILITY_HAS_ARGUMENT[capability]) return 0;
  if (capability == CAPABILITY_NET_UDP) return impliedNumber(c);                 // udp_send's local port
  if (call == CALL_HANDLER_NAME) return implied(a < <u64>handlers.length ? handlers[<i32>a].name : ""); // whose name is asked
  if (capability == CAPABILITY_NET_CONNECT) {                                    // tcp_connect's "host:port"
    if (b == 0 || b > <u64>NET_HOST_MAX_BYTES) return ERROR_TOO_LONG;
    if (!copyIn(module, changetype<usize>(callArgument), a, b)) return ERROR_BAD_ADDRESS;
    callArgument[<i32>b] = 0x3a;
    const end = writeDecimal(c, <i32>b + 1);
    if (end < 0) return ERROR_TOO_LONG;
    setCallArgumentLength(end);
    return 0;
  }
  if (capability == CAPABILITY_REPORT) return implied(a >= 1 && a < <u64>REPORT_TOPIC_NAMES.length ? REPORT_TOPIC_NAMES[<i32>a] : "");
  if (capability == CAPABILITY_FILES) return implied(READ);
  if (capability == CAPABILITY_DATA || capability == CAPABILITY_DATA_READ) return resolveDataPath(caller, module, call, a, b); // the path, resolved
  if (b > <u64>EVENT_NAME_MAX_BYTES) return ERROR_TOO_LONG;
  if (!copyIn(module, changetype<usize>(callArgument), a, b)) return ERROR_BAD_ADDRESS;
  setCallArgumentLength(<i32>b);
  return 0;
}

// The kernel's runtime never frees (asconfig.json: "stub"), so nothing on a call's path may
// allocate: a port's digits are written into callArgument, not made into a string. (Each
// udp_send did, and each handler_name call: a kernel under a UDP or HTTP load ran out of
// memory within seconds, and the kernel trapped.)

/** Writes `value` in decimal into callArgument from `at`; the end, or -1 when it does not fit. */
function writeDecimal(value: u64, at: i32): i32 {
  let digits = 1;
  for (let rest = value / 10; rest > 0; rest /= 10) digits++;
  if (at + digits > callArgument.length) return -1;
  for (let i = digits - 1, rest = value; i >= 0; i--, rest /= 10) callArgument[at + i] = <u8>(0x30 + rest % 10);
  return at + digits;
}

function impliedNumber(value: u64): i64 {
  setCallArgumentLength(writeDecimal(value, 0));
  return 0;
}

function implied(argument: string): i64 {
  for (let i = 0; i < argument.length; i++) callArgument[i] = <u8>argument.charCodeAt(i);
  setCallArgumentLength(argument.length);
  return 0;
}
