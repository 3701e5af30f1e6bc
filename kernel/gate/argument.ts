// The capability argument of the call being made: the name gate.ts copied in and matched a grant against.
//
// Set by the gate before it calls an implementation (emit's event, status's and reset's
// handler), so implementations read the name from here instead of copying it in again.

import { NET_HOST_MAX_BYTES, PATH_MAX_BYTES } from "./interface";

/** tcp_connect's "host:port", a data disk path (and data_entry's '/'); names are at most EVENT_NAME_MAX_BYTES. */
export const callArgument = new StaticArray<u8>(max<i32>(NET_HOST_MAX_BYTES + 6, PATH_MAX_BYTES + 1));
export let callArgumentLength: i32 = 0;

export function setCallArgumentLength(length: i32): void {
  callArgumentLength = length;
}
