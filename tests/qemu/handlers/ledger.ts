// Test fixture: answers calls (calls = true). "add N" adds to a balance, "get" reads it,
// "fail N" adds and then fails, "spin" never returns; every answer is "balance=B served=S".
import { Event, EVENT_CALL, log, on, payloadText, replyText } from "optios";
export { handle } from "optios";

export const version = "1";

let balance: i32 = 0;
let served: u32 = 0;

on((event: Event): void => {
  if (event.kind != EVENT_CALL) return;
  served++;
  const request = payloadText(event);
  const words = request.split(" ");
  if (words[0] == "add" || words[0] == "fail") balance += I32.parseInt(words[1]);
  log("ledger: " + request + " from " + event.name);
  if (words[0] == "fail") throw new Error("ledger fails on purpose");
  if (words[0] == "spin") while (true) served++;
  replyText("balance=" + balance.toString() + " served=" + served.toString());
});
