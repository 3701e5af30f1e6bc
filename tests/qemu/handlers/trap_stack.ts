// Test fixture: exhausts the call stack (unbounded recursion) after corrupting its state.
import { Event, on } from "optios";
import { runTrapFixture } from "./trap_fixture";
export { handle } from "optios";

export const version = "1";

function recurse(depth: i32): i32 {
  return depth == -1 ? 0 : recurse(depth + 1) + 1;
}

on((event: Event): void => runTrapFixture(event, "trap-stack", (): void => {
  recurse(0);
}));
