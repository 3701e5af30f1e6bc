// heartbeat: counts its runs, a count that persists between runs (and across a warm reboot).
//
// It says so once, at info level, on its first run; every beat after that is a debug line,
// kept in the log (the shell's `log debug`) but off the console with the default loglevel=6.
import { debug, Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

let runs: u32 = 0;

on((event: Event): void => {
  runs++;
  const line = "heartbeat: run " + runs.toString();
  if (runs == 1) log(line + " (one a second from now on, at debug level: log debug shows them)");
  else debug(line);
});
