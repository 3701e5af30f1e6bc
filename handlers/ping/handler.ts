// ping: every two seconds sends a numbered "ping" event, and hears the "pong" that answers it.
//
// The first exchange is logged at info level, the rest at debug level (the shell's `log debug`).
import { debug, emit, Event, EVENT_APP, EVENT_TIMER, log, on, warn } from "optios";
export { handle } from "optios";

export const version = "1";

let sent: u8 = 0;

on((event: Event): void => {
  if (event.kind == EVENT_TIMER) {
    sent++;
    const payload = new Uint8Array(1);
    payload[0] = sent;
    if (!emit("ping", payload)) warn("ping: nobody listens for ping");
  } else if (event.kind == EVENT_APP && event.payload.length > 0) {
    const line = "ping: pong " + event.payload[0].toString() + " came back";
    if (event.payload[0] == 1) log(line);
    else debug(line);
  }
});
