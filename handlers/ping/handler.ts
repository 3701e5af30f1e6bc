// ping: every two seconds sends a numbered "ping" event, and hears the "pong" that answers it.
import { emit, Event, EVENT_APP, EVENT_TIMER, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

let sent: u8 = 0;

on((event: Event): void => {
  if (event.kind == EVENT_TIMER) {
    sent++;
    const payload = new Uint8Array(1);
    payload[0] = sent;
    if (!emit("ping", payload)) log("ping: nobody listens for ping");
  } else if (event.kind == EVENT_APP && event.payload.length > 0) {
    log("ping: pong " + event.payload[0].toString() + " came back");
  }
});
