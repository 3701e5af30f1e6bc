// Bench handlers' shared body (loop.ts, group.ts in toolchain/src/bench/durable.toml): commits
// back to back. "go.loop" / "go.group" starts it, each run then posts the next to itself (so
// its queue is never empty), "halt" stops it. The bench counts its runs over a host-timed window: durable
// commits per second with its durability ("commit" for bench-loop, "interval:10ms" for
// bench-group). Each run changes its globals (a counter), the least a commit writes.
import { Event, EVENT_APP, on, post } from "optios";

let running = false;
let runs: u64 = 0;

/** Registers the loop for the handler called `self` (its own name, to post to). */
export function commitLoop(self: string): void {
  selfName = self;
  on((event: Event): void => {
    if (event.kind == EVENT_APP) running = event.name.startsWith("go.");
    if (!running) return;
    runs++;
    post(selfName);
  });
}

let selfName = "";
