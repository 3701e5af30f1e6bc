// keeper: a handler for the harness's own tests — it keeps a total, emits, reads the clocks, and fails on request.
import { call, emit, Event, EVENT_CALL, EVENT_MESSAGE, eventNumber, lastError, migrate, post, reply, log, now, on, status, wallTime } from "optios";
export { handle } from "optios";

export const version = "7";

let total: u32 = 0;
const history = new Array<u32>();

// A live upgrade over version "broken" fails; over any other, it records where it came from.
migrate((previousVersion: string): void => {
  total = 1000;
  log("migrating from version " + previousVersion);
  if (previousVersion == "broken") throw new Error("cannot migrate from a broken version");
});

on((event: Event): void => {
  if (event.name == "add") {
    total += event.payload[0];
    history.push(event.payload[0]);
    log("total " + total.toString() + " after " + history.length.toString() + " adds");
  } else if (event.name == "fail") {
    total = 999;
    history.push(999);
    emit("door.opened");
    log("failing with total " + total.toString());
    throw new Error("asked to fail");
  } else if (event.name == "open") {
    const payload = new Uint8Array(1);
    payload[0] = <u8>total;
    log("door.opened taken by " + (emit("door.opened", payload) ? "someone" : "nobody: " + lastError.toString()));
    log("window.opened: " + (emit("window.opened") ? "sent" : "refused " + lastError.toString()));
  } else if (event.name == "clock") {
    log("now " + now().toString() + " wall " + wallTime().toString());
  } else if (event.name == "status") {
    const counters = status("keeper");
    log(counters == null ? "status refused " + lastError.toString() : "runs " + counters.runs.toString() + " failures " + counters.failures.toString());
  } else if (event.kind == EVENT_CALL) {
    reply(Uint8Array.wrap(String.UTF8.encode("total " + total.toString() + " for " + event.name)));
  } else if (event.name == "ask") {
    const answer = call("bank", event.payload);
    log(answer == null ? "ask failed " + lastError.toString() : "bank said " + String.UTF8.decode(answer.buffer));
  } else if (event.kind == EVENT_MESSAGE) {
    log("message from " + event.name + ": " + String.UTF8.decode(event.payload.buffer));
  } else if (event.name == "post") {
    log("inbox: " + (post("inbox", event.payload) ? "queued" : "refused " + lastError.toString()));
    log("quiet: " + (post("quiet", event.payload) ? "queued" : "refused " + lastError.toString()));
  } else if (event.name == "divide") {
    total = total / (total - total);
  } else if (event.nameNumber == eventNumber("names") || event.kind != 3) {
    log("event named '" + event.name + "', number " + event.nameNumber.toString());
  }
});
