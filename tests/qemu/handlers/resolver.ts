// resolver (the hostile-wire test): on the app event "connect", opens a TCP connection to a
// host by name ("peer.test", resolved through [network] dns) on port 7000, and logs what happens.
import { Event, EVENT_APP, EVENT_TCP_CLOSED, EVENT_TCP_OPENED, log, on, tcpConnect } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  if (event.kind == EVENT_APP) log("resolver: connecting as " + tcpConnect("peer.test", 7000).toString());
  else if (event.kind == EVENT_TCP_OPENED) log("resolver: connection " + event.connection.toString() + " open");
  else if (event.kind == EVENT_TCP_CLOSED) log("resolver: connection " + event.connection.toString() + " closed");
});
