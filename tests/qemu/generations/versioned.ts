// Test fixture: a counter whose version the generations test rewrites from "1" to "2".
// Its run count is its state: kept across a warm reboot of the same version, reset by a new one.
import { Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

let runs: u32 = 0;

on((event: Event): void => {
  runs++;
  log("versioned: run " + runs.toString() + " as version " + version);
});
