// Bench handler: each run makes one synchronous call to bench-callee (the kernel times it).
import { call, Event, on } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  call("bench-callee");
});
