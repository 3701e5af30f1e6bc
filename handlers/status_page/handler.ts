// status_page: the machine's status page over HTTP on port 80: GET / answers with every
// handler's counters as JSON (runs, failures, restarts, last trap, quarantine, state bytes).
//
// Each connection's request is gathered until its blank line, answered, and the connection
// closed (HTTP/1.1 with Connection: close). What it writes leaves when the run commits; a run
// that traps sends nothing, and the request is served afresh by its retry.
import {
  Event, EVENT_TCP_CLOSED, EVENT_TCP_DATA, EVENT_TCP_OPENED, handlerName, on, status, tcpClose, tcpSendText, trapText,
} from "optios";
export { handle } from "optios";

export const version = "1";

/** A request is at most this long; a longer one is refused with 431. */
const REQUEST_MAX_BYTES = 4096;

const pending = new Map<u32, string>();

function response(code: string, type: string, body: string): string {
  return "HTTP/1.1 " + code + "\r\nContent-Type: " + type + "\r\nContent-Length: " + String.UTF8.byteLength(body).toString() +
    "\r\nConnection: close\r\n\r\n" + body;
}

function quoted(text: string): string {
  let out = "\"";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) out += "\\" + String.fromCharCode(c);
    else if (c < 0x20) out += "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}

/** Every handler's status as JSON. */
export function statusJson(): string {
  let out = "{\"handlers\":[";
  for (let i = 0; ; i++) {
    const name = handlerName(i);
    if (name == null) break;
    const counters = status(name);
    if (counters == null) continue;
    if (i > 0) out += ",";
    out += "{\"name\":" + quoted(name) + ",\"runs\":" + counters.runs.toString() + ",\"failures\":" + counters.failures.toString() +
      ",\"restarts\":" + counters.restarts.toString() + ",\"lastTrap\":" + (counters.lastTrap == 0 ? "null" : quoted(trapText(counters.lastTrap))) +
      ",\"quarantined\":" + (counters.quarantined != 0 ? "true" : "false") + ",\"stateBytes\":" + counters.stateBytes.toString() + "}";
  }
  return out + "]}\n";
}

function answer(request: string): string {
  const firstLine = request.substring(0, request.indexOf("\r\n"));
  const parts = firstLine.split(" ");
  if (parts.length != 3 || !parts[2].startsWith("HTTP/")) return response("400 Bad Request", "text/plain", "bad request\n");
  if (parts[0] != "GET" && parts[0] != "HEAD") return response("405 Method Not Allowed", "text/plain", "only GET\n");
  if (parts[1] != "/") return response("404 Not Found", "text/plain", "not found; try /\n");
  const text = response("200 OK", "application/json", statusJson());
  return parts[0] == "HEAD" ? text.substring(0, text.indexOf("\r\n\r\n") + 4) : text;
}

on((event: Event): void => {
  const connection = event.connection;
  if (event.kind == EVENT_TCP_OPENED) pending.set(connection, "");
  else if (event.kind == EVENT_TCP_CLOSED) {
    if (pending.has(connection)) pending.delete(connection);
  } else if (event.kind == EVENT_TCP_DATA) {
    const request = (pending.has(connection) ? pending.get(connection) : "") + String.UTF8.decode(event.payload.buffer);
    if (request.indexOf("\r\n\r\n") < 0 && request.length <= REQUEST_MAX_BYTES) {
      pending.set(connection, request);
      return;
    }
    const reply = request.length > REQUEST_MAX_BYTES ? response("431 Request Header Fields Too Large", "text/plain", "request too long\n")
      : answer(request);
    if (pending.has(connection)) pending.delete(connection);
    tcpSendText(connection, reply);
    tcpClose(connection);
  }
});
