// doorbell: rings on "door.opened"; its one-shot timer opens the door once, to show the event travel.
import { emit, EVENT_TIMER, Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

let rings: u32 = 0;

on((event: Event): void => {
  if (event.kind == EVENT_TIMER) {
    emit("door.opened"); // needs the capability emit:door.opened (or emit:door.*)
    return;
  }
  rings++;
  log("doorbell: ding dong (" + rings.toString() + (rings == 1 ? " ring)" : " rings)"));
});
