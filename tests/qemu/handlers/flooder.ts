// Test fixture: emits more app events at boot than the kernel's queue holds.
import { emit, Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  let accepted = 0;
  for (let i = 0; i < 100; i++) if (emit("flood")) accepted++;
  log("flooder: " + accepted.toString() + " of 100 events accepted");
});
