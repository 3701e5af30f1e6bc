// crasher: fails on purpose in every third second, showing that a failed run changes nothing.
//
// Each run adds one to `runs`. In a failing second it first scribbles over its state, then
// throws; the kernel rolls the run back and retries it after a back-off, so the next line
// shows the count the last good run left, as if the failed run had never happened.
import { Event, log, now, on } from "optios";
export { handle } from "optios";

export const version = "1";

let runs: u32 = 0;

on((event: Event): void => {
  runs++;
  if ((now() / 1_000_000_000) % 3 == 2) {
    log("crasher: run " + runs.toString() + " fails now; the kernel will roll it back");
    runs = 1_000_000;
    throw new Error("crasher fails on purpose");
  }
  log("crasher: run " + runs.toString() + " ok (state kept across rolled-back runs)");
});
