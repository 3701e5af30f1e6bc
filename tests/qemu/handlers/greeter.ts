// Test fixture: subscribed to the app event "greet"; logs the payload each one carries.
import { Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  log("greeter: got '" + String.UTF8.decode(event.payload.buffer) + "'");
});
