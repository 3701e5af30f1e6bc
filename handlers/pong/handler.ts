// pong: answers every "ping" event with a "pong" carrying the same number.
//
// The first answer is logged at info level, the rest at debug level (the shell's `log debug`).
import { debug, emit, Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

let answered: u32 = 0;

on((event: Event): void => {
  if (event.payload.length == 0) return;
  answered++;
  const line = "pong: got ping " + event.payload[0].toString() + " (" + answered.toString() + " answered)";
  if (answered == 1) log(line);
  else debug(line);
  const payload = new Uint8Array(1);
  payload[0] = event.payload[0];
  emit("pong", payload);
});
