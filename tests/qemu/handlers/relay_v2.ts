// Test fixture for live upgrades (tests/qemu/upgrade.test.ts), version 2 of relay.ts: its
// migrate says what it replaced, and the first chain message it gets (the one queued for
// version 1 when the swap happened) ends the chain.
import { Event, EVENT_MESSAGE, log, migrate, on, payloadText } from "optios";
export { handle } from "optios";

export const version = "2";

let took = false;

migrate((previousVersion: string): void => {
  log("relay 2: migrating from version " + previousVersion);
});

on((event: Event): void => {
  if (event.kind != EVENT_MESSAGE || took) return;
  took = true;
  log("relay 2: took over the chain at message " + payloadText(event) + "; ending it");
});
