// breaker (network test): answers each UDP datagram on port 9 with "ok:<data>", except "trap",
// which it answers and then aborts, so its run rolls back and its reply must never leave.
import { Event, EVENT_UDP, on, udpReply } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  if (event.kind != EVENT_UDP) return;
  const text = String.UTF8.decode(event.payload.buffer);
  udpReply(event, Uint8Array.wrap(String.UTF8.encode("ok:" + text)));
  if (text == "trap") throw new Error("breaker traps after its reply, on purpose");
});
