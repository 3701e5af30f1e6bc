// Test fixture: fails an AssemblyScript bounds check (abort) after corrupting its state.
import { Event, now, on } from "optios";
import { runTrapFixture } from "./trap_fixture";
export { handle } from "optios";

export const version = "1";

const small = new StaticArray<i32>(4);

on((event: Event): void => runTrapFixture(event, "trap-abort", (): void => {
  small[4 + <i32>(now() & 1)] = 1; // index 4 or 5: out of range
}));
