// fetcher (network test): on the app event "fetch" (payload: a port), opens a TCP connection to
// the host (10.0.2.2, QEMU's user network's gateway: the host's 127.0.0.1), writes a line and
// logs what comes back; a connection that cannot be made is logged as closed.
import { Event, EVENT_APP, EVENT_TCP_CLOSED, EVENT_TCP_DATA, EVENT_TCP_OPENED, log, on, payloadText, tcpClose, tcpConnect, tcpSendText } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  if (event.kind == EVENT_APP) {
    const connection = tcpConnect("10.0.2.2", <u32>I32.parseInt(payloadText(event)));
    log("fetcher: connecting as " + connection.toString());
  } else if (event.kind == EVENT_TCP_OPENED) {
    tcpSendText(event.connection, "hello from optios\n");
  } else if (event.kind == EVENT_TCP_DATA) {
    log("fetcher: got '" + payloadText(event).trim() + "' on " + event.connection.toString());
    tcpClose(event.connection);
  } else if (event.kind == EVENT_TCP_CLOSED) {
    log("fetcher: connection " + event.connection.toString() + " closed");
  }
});
