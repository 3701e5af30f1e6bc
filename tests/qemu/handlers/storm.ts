// Test fixture: a legal handler that floods the machine — every run emits its own event twice.
import { emit, Event, on } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  emit("storm");
  emit("storm");
});
