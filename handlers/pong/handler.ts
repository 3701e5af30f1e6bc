// pong: answers every "ping" event with a "pong" carrying the same number.
import { emit, Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

let answered: u32 = 0;

on((event: Event): void => {
  if (event.payload.length == 0) return;
  answered++;
  log("pong: got ping " + event.payload[0].toString() + " (" + answered.toString() + " answered)");
  const payload = new Uint8Array(1);
  payload[0] = event.payload[0];
  emit("pong", payload);
});
