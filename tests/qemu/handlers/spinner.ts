// Test fixture: loops forever on every run; the kernel must stop it at its budget.
import { Event, EVENT_BOOT, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

let spins: u64 = 0;

on((event: Event): void => {
  if (event.kind == EVENT_BOOT) {
    log("spinner: ready");
    return;
  }
  log("spinner: spinning");
  while (true) spins++;
});
