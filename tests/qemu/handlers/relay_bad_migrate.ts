// Test fixture for live upgrades (tests/qemu/upgrade.test.ts): a version 3 of relay.ts whose
// migrate fails, so the kernel must keep version 1 running.
import { Event, log, migrate, on } from "optios";
export { handle } from "optios";

export const version = "3";

migrate((previousVersion: string): void => {
  log("relay 3: migrating from version " + previousVersion + ", then failing");
  throw new Error("relay 3 cannot migrate");
});

on((event: Event): void => {
  log("relay 3: should never run");
});
