// Test fixture: logs the payload of every event it gets (it subscribes to allowed.one and denied.one).
import { Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  log("target: got " + String.UTF8.decode(event.payload.buffer));
});
