// pinger (two machines): every timer run sends "ping N" to the other machine's UDP echo
// (10.0.9.2:7) from port 5000, and logs each answer that comes back.
import { Event, EVENT_TIMER, EVENT_UDP, ipv4, ipv4Text, log, on, udpSend } from "optios";
export { handle } from "optios";

export const version = "1";

let sent: u32 = 0;

on((event: Event): void => {
  if (event.kind == EVENT_TIMER) {
    sent++;
    udpSend(ipv4("10.0.9.2"), 7, 5000, Uint8Array.wrap(String.UTF8.encode("ping " + sent.toString())));
  } else if (event.kind == EVENT_UDP) {
    log("pinger: " + ipv4Text(event.address) + ":" + event.port.toString() + " answered '" + String.UTF8.decode(event.payload.buffer) + "'");
  }
});
