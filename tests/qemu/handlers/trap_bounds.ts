// Test fixture: an out-of-bounds trap from safe code. A run may dirty at most 1024 pages
// (boot/snapshot.h, 4 MiB) so that it can always be undone; writing to 5 MiB in one run
// exceeds that, and boot/ ends the run with the out-of-bounds trap.
import { Event, on } from "optios";
import { runTrapFixture } from "./trap_fixture";
export { handle } from "optios";

export const version = "1";

const block = new Uint8Array(5 << 20); // allocated once, by the start code: not part of a run

on((event: Event): void => runTrapFixture(event, "trap-bounds", (): void => {
  for (let offset = 0; offset < block.length; offset += 4096) block[offset] = 1;
}));
