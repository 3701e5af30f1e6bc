// Test fixture for the power-cut test (tests/qemu/power_cut.test.ts): counts its commits and
// says so in every run; at boot it says where it resumed. The log names the handler (tally, batch).
import { Event, EVENT_BOOT, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

let commits: u64 = 0;

on((event: Event): void => {
  if (event.kind == EVENT_BOOT) {
    log("tally: resumed at " + commits.toString());
    return;
  }
  commits++;
  log("tally: commit " + commits.toString());
});
