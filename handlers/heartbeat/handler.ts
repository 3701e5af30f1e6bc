// heartbeat: logs a line with its persisted run count every time it runs.
import { Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

let runs: u32 = 0;

on((event: Event): void => {
  runs++;
  log("heartbeat: run " + runs.toString());
});
