// Test fixture: receives the flood and counts what arrives.
import { Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

let received: u32 = 0;

on((event: Event): void => {
  received++;
  if (received % 16 == 0) log("sink: received " + received.toString());
});
