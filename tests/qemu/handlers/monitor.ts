// Test fixture: queries another handler's supervision counters through the API and logs them.
import { Event, log, on, status } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  const divide = status("trap-divide");
  if (divide == null) {
    log("monitor: no handler called trap-divide");
    return;
  }
  log("monitor: trap-divide runs=" + divide.runs.toString() + " failures=" + divide.failures.toString() +
    " consecutive=" + divide.consecutiveFailures.toString() + " last-trap=" + divide.lastTrap.toString() +
    " quarantined=" + divide.quarantined.toString());
  log("monitor: nobody is " + (status("nobody") == null ? "absent" : "present"));
});
