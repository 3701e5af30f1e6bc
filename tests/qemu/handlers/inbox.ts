// Test fixture: takes messages (messages = true, a queue of 4) and logs each with its sender.
import { Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

let received: u32 = 0;

on((event: Event): void => {
  received++;
  log("inbox: got '" + String.UTF8.decode(event.payload.buffer) + "' from " + event.name + " (" + received.toString() + " so far)");
});
