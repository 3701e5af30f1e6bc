// Test fixture: throws (AssemblyScript compiles `throw` to abort, an unreachable trap) after corrupting its state.
import { Event, on } from "optios";
import { runTrapFixture } from "./trap_fixture";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => runTrapFixture(event, "trap-unreachable", (): void => {
  throw new Error("deliberate failure");
}));
