// Test fixture: makes calls it is granted and calls it is not (capabilities emit:allowed.*, status:target) and logs each outcome.
import { emit, errorText, Event, lastError, log, on, status } from "optios";
export { handle } from "optios";

export const version = "1";

function tryEmit(name: string): void {
  const sent = emit(name, Uint8Array.wrap(String.UTF8.encode(name)));
  log("caller: emit " + name + " -> " + (sent ? "sent" : errorText(lastError)));
}

function tryStatus(name: string): void {
  const found = status(name);
  log("caller: status " + name + " -> " + (found != null ? "runs=" + found.runs.toString() : errorText(lastError)));
}

on((event: Event): void => {
  tryEmit("allowed.one");
  tryEmit("denied.one");
  tryStatus("target");
  tryStatus("caller");
  log("caller: done");
});
