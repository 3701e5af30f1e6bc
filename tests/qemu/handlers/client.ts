// Test fixture: calls the ledger when the shell emits "ask <request>", and logs what came back.
// "add-then-fail N" adds through the ledger and then fails itself; "self" and "nobody" call
// what it may not.
import { call, errorText, Event, lastError, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  const request = String.UTF8.decode(event.payload.buffer);
  if (request == "self") {
    log("client: self -> " + answer(call("client")));
  } else if (request == "nobody") {
    log("client: nobody -> " + answer(call("nobody")));
  } else if (request.startsWith("add-then-fail ")) {
    log("client: " + request + " -> " + answer(call("ledger", bytes("add " + request.substring(14)))));
    throw new Error("client fails after its call");
  } else {
    log("client: " + request + " -> " + answer(call("ledger", bytes(request))));
  }
});

function bytes(text: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(text));
}

function answer(reply: Uint8Array | null): string {
  return reply != null ? String.UTF8.decode(reply.buffer) : "failed: " + errorText(lastError);
}
