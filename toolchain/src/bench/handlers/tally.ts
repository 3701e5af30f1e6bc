// Bench handler (toolchain/src/bench/durable.toml): counts its runs, one a timer tick; each run is a durable commit.
import { Event, on } from "optios";
export { handle } from "optios";

export const version = "1";

let runs: u64 = 0;

on((event: Event): void => {
  runs++;
});
