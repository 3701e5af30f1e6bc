// Bench handler: answers every call with an empty reply, so a call costs only the round trip.
import { Event, EVENT_CALL, on, reply } from "optios";
export { handle } from "optios";

export const version = "1";

const empty = new Uint8Array(0);

on((event: Event): void => {
  if (event.kind == EVENT_CALL) reply(empty);
});
