// Test fixture for live upgrades (tests/qemu/upgrade.test.ts), version 1: a relay that keeps
// one message to itself in flight. The shell's "go" posts message 1; message n posts n + 1.
// So between any two of its runs exactly one message waits in its queue: an upgrade always
// finds one queued event to hand to the new version.
import { Event, EVENT_MESSAGE, log, on, payloadText, postText } from "optios";
export { handle } from "optios";

export const version = "1";

let relayed: u32 = 0;

on((event: Event): void => {
  if (event.kind != EVENT_MESSAGE) {
    log("relay 1: chain started");
    postText("relay", "1");
    return;
  }
  const n = I32.parseInt(payloadText(event));
  relayed++;
  postText("relay", (n + 1).toString());
});
