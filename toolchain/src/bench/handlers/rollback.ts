// Bench handler: dirties as many pages as the payload's first byte says, then fails, so the run rolls back.
import { Event, on } from "optios";
import { dirtyPages } from "./pages";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  dirtyPages(event);
  throw new Error("rolled back on purpose");
});
