// Shared body of the trap fixtures: state set at boot, each later run logs it, corrupts it and traps.
//
// If rollback works, every run logs the state the boot run committed (42), although each
// run overwrote it before trapping; the kernel's log names the trap kind.
import { Event, EVENT_BOOT, log } from "optios";

let state: i32 = 0;
const scratch = new Array<i32>(0);

export function runTrapFixture(event: Event, name: string, trap: () => void): void {
  if (event.kind == EVENT_BOOT) {
    state = 42;
    log(name + ": ready state=" + state.toString());
    return;
  }
  log(name + ": state=" + state.toString());
  state = -1;
  for (let i = 0; i < 2000; i++) scratch.push(i); // dirty several pages before trapping
  trap();
}
