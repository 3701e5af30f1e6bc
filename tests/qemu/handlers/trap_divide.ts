// Test fixture: traps with an integer divide by zero after corrupting its state.
import { Event, now, on } from "optios";
import { runTrapFixture } from "./trap_fixture";
export { handle } from "optios";

export const version = "1";

let divisor: i32 = 0;

on((event: Event): void => runTrapFixture(event, "trap-divide", (): void => {
  // `now()` keeps the compiler from folding the division away.
  if (<i32>(now() & 1) / divisor == 7) divisor = 1;
}));
