// Test fixture: posts numbered messages to the inbox handler when the shell emits "send <count>";
// "send.fail" posts two and then fails, so the kernel must withdraw both.
import { errorText, Event, lastError, log, on, post } from "optios";
export { handle } from "optios";

export const version = "1";

let batches: u32 = 0;

on((event: Event): void => {
  batches++;
  if (event.name == "send.fail") {
    post("inbox", message("doomed 1"));
    post("inbox", message("doomed 2"));
    log("poster: posted two, now failing");
    throw new Error("poster fails after posting");
  }
  const count = I32.parseInt(String.UTF8.decode(event.payload.buffer));
  for (let i = 1; i <= count; i++) {
    if (!post("inbox", message("batch " + batches.toString() + " #" + i.toString() + " of " + count.toString()))) {
      log("poster: post #" + i.toString() + " refused: " + errorText(lastError));
    }
  }
  if (!post("ticker", message("hello"))) log("poster: ticker: " + errorText(lastError));
  if (!post("nobody", message("hello"))) log("poster: nobody: " + errorText(lastError));
  log("poster: batch " + batches.toString() + " done");
});

function message(text: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(text));
}
