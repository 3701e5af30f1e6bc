// Who each loaded module is when it calls the gate: a handler or a program, and what it was granted.
//
// The registry (handlers) and programs.ts (programs) admit a module right after loading it,
// before its start code runs, with the grants the boot descriptor gives it; the gate reads
// this table on every call. A module can neither see nor change it. Indexed by the module
// number boot/modules.c hands out (0 .. MODULES_MAX-1), which is reused after an unload.

import { KeptText, Text } from "../console/text";
import { CALLER_HANDLER, CALLER_PROGRAM, eventNameNumber, FAILURE_TEXT_MAX_BYTES, MODULES_MAX } from "./interface";

/** One capability granted to a module: its number, and the name or prefix ('*' last) its argument must match. */
export class Grant {
  constructor(readonly capability: u32, readonly pattern: string) {}
}

export class Caller {
  /** CALLER_HANDLER or CALLER_PROGRAM. */
  kind: u8 = 0;
  /** The handler's index in the registry, or the program's slot. */
  index: i32 = -1;
  name: string = "";
  /** The number its name travels as in a delivery it sends (eventNameNumber of the name's UTF-8 bytes). */
  nameNumber: u32 = 0;
  grants: Grant[] = [];
  /** Calls refused so far (their log lines are rate-limited by it). */
  refusals: u32 = 0;
  /** The last abort's message and place, kept until the module's next failure report. */
  readonly failure: KeptText = new KeptText(FAILURE_TEXT_MAX_BYTES);
}

const callers = new StaticArray<Caller | null>(MODULES_MAX);

/** From now on calls from `module` are handler `index`'s (`name`), with `grants`. */
export function admitHandler(module: i32, index: i32, name: string, grants: Grant[]): void {
  admit(module, CALLER_HANDLER, index, name, grants);
}

/** From now on calls from `module` are the program in `slot`'s (`name`), with `grants`. */
export function admitProgram(module: i32, slot: i32, name: string, grants: Grant[]): void {
  admit(module, CALLER_PROGRAM, slot, name, grants);
}

/**
 * Each module number's Caller, made the first time the number is used and reused after it is
 * freed: the kernel's runtime never frees, and programs and upgrades load modules again and
 * again (a Caller and its texts made anew each time grew the kernel's heap for good).
 */
const made = new StaticArray<Caller | null>(MODULES_MAX);
const nameBytes = new StaticArray<u8>(256);

function admit(module: i32, kind: u8, index: i32, name: string, grants: Grant[]): void {
  let caller = made[module];
  if (caller == null) {
    caller = new Caller();
    made[module] = caller;
  }
  caller.kind = kind;
  caller.index = index;
  caller.name = name;
  if (String.UTF8.byteLength(name) <= nameBytes.length) {
    const length = String.UTF8.encodeUnsafe(changetype<usize>(name), name.length, changetype<usize>(nameBytes));
    caller.nameNumber = eventNameNumber(changetype<usize>(nameBytes), <i32>length);
  } else {
    const bytes = String.UTF8.encode(name); // longer than any name the build lets through
    caller.nameNumber = eventNameNumber(changetype<usize>(bytes), bytes.byteLength);
  }
  caller.grants = grants;
  caller.refusals = 0;
  caller.failure.clear();
  callers[module] = caller;
}

/** The module is gone: its number may be reused by another, which starts with nothing. */
export function forgetCaller(module: i32): void {
  callers[module] = null;
}

/** The caller behind `module`, or null for a number no module was admitted under. */
export function callerOf(module: i32): Caller | null {
  return module >= 0 && module < MODULES_MAX ? callers[module] : null;
}

/** Appends the last abort text of `module` (nothing when it recorded none) to `out`, and forgets it: the next failure starts clean. */
export function takeFailure(module: i32, out: Text): Text {
  const caller = callerOf(module);
  if (caller == null) return out;
  out.kept(caller.failure);
  caller.failure.clear();
  return out;
}
