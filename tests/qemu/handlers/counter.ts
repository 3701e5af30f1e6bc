// Test fixture: counts its runs in a persisted global and logs the count every time.
import { Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

let runs: u32 = 0;

on((event: Event): void => {
  runs++;
  log("counter: run " + runs.toString());
});
