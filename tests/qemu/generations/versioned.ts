// Test fixture: a handler whose version the generations test rewrites from "1" to "2".
import { Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  log("versioned: run as version " + version);
});
