// Test fixture: allocates past its memory limit after corrupting its state; the kernel must name the limit.
import { Event, on } from "optios";
import { runTrapFixture } from "./trap_fixture";
export { handle } from "optios";

export const version = "1";

const kept = new Array<Uint8Array>(0);

on((event: Event): void => runTrapFixture(event, "trap-memory", (): void => {
  for (let i = 0; i < 64; i++) kept.push(new Uint8Array(16384)); // 1 MiB, in a handler limited to 256 KiB
}));
