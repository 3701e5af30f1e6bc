// Bench handler: writes one byte in each of as many pages as the payload's first byte says.
import { Event, on } from "optios";
import { dirtyPages } from "./pages";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => dirtyPages(event));
