// echo: the UDP echo service (RFC 862) on port 7: each datagram goes back to its sender.
//
// The reply leaves when the run commits, like everything a handler sends (docs/network.md).
import { Event, EVENT_UDP, on, udpReply } from "optios";
export { handle } from "optios";

export const version = "1";

let echoed: u64 = 0;

on((event: Event): void => {
  if (event.kind != EVENT_UDP) return;
  if (udpReply(event, event.payload)) echoed++;
});
