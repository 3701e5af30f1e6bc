// crasher: fails on purpose in every tenth second, showing that a failed run changes nothing.
//
// Each run adds one to `runs`. In a failing second it first scribbles over its state, warns,
// then throws; the kernel rolls the run back (its warning is shown marked "(rolled back)")
// and retries it after a back-off, so the next good run counts on from the last good one,
// as if the failed run had never happened. Good runs are logged at debug level after the
// first (the shell's `log debug`).
import { debug, Event, log, now, on, warn } from "optios";
export { handle } from "optios";

export const version = "1";

let runs: u32 = 0;

on((event: Event): void => {
  runs++;
  if ((now() / 1_000_000_000) % 10 == 9) {
    warn("crasher: run " + runs.toString() + " fails now; the kernel will roll it back");
    runs = 1_000_000;
    throw new Error("crasher fails on purpose");
  }
  const line = "crasher: run " + runs.toString() + " ok (state kept across rolled-back runs)";
  if (runs == 1) log(line);
  else debug(line);
});
