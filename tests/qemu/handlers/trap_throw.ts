// Test fixture: throws an Error after corrupting its state; the kernel must report its message and source line.
import { Event, on } from "optios";
import { runTrapFixture } from "./trap_fixture";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => runTrapFixture(event, "trap-throw", (): void => {
  throw new Error("trap-throw fails on purpose");
}));
