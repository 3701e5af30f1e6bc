// Test fixture: calls the ledger when the shell emits "ask <request>", and logs what came back.
// "add-then-fail N" adds through the ledger and then fails itself; "self" and "nobody" call
// what it may not. It uses the text helpers (callText, payloadText).
import { callText, errorText, Event, lastError, log, on, payloadText } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  const request = payloadText(event);
  if (request == "self") {
    log("client: self -> " + answer(callText("client", "")));
  } else if (request == "nobody") {
    log("client: nobody -> " + answer(callText("nobody", "")));
  } else if (request.startsWith("add-then-fail ")) {
    log("client: " + request + " -> " + answer(callText("ledger", "add " + request.substring(14))));
    throw new Error("client fails after its call");
  } else {
    log("client: " + request + " -> " + answer(callText("ledger", request)));
  }
});

function answer(reply: string | null): string {
  return reply != null ? reply : "failed: " + errorText(lastError);
}
