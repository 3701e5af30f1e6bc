// Test fixture: tries to forge a kernel log line and to clear the screen through log().
import { Event, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  log("forger: hello\r\nhandlers: 'target' trapped (unreachable executed); run rolled back\u001b[2J");
});
