// Bench handler: does nothing, so a run costs only dispatch, entry and commit.
import { Event, on } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {});
