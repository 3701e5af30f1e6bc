// Test fixture: logs the payload of every event it gets, and which of its subscriptions it was (by Event.nameNumber and by Event.name).
import { Event, eventNumber, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  const which = event.nameNumber == eventNumber("allowed.one") ? "allowed.one" : event.nameNumber == eventNumber("denied.one") ? "denied.one" : "?";
  log("target: got " + String.UTF8.decode(event.payload.buffer) + " as " + which + ", named " + event.name);
});
