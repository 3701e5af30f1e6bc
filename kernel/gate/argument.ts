// The capability argument of the call being made: the name gate.ts copied in and matched a grant against.
//
// Set by the gate before it calls an implementation (emit's event, status's and reset's
// handler), so implementations read the name from here instead of copying it in again.

import { EVENT_NAME_MAX_BYTES, NET_HOST_MAX_BYTES } from "./interface";

export const callArgument = new StaticArray<u8>(NET_HOST_MAX_BYTES + 6); // tcp_connect's "host:port"; names are at most EVENT_NAME_MAX_BYTES
export let callArgumentLength: i32 = 0;

export function setCallArgumentLength(length: i32): void {
  callArgumentLength = length;
}
