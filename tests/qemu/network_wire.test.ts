// A hostile wire (docs/network.md): the test is the other end of the guest's socket netdev, in
// its UDP mode (each frame one datagram on 127.0.0.1: a wire that drops what does not fit, as
// a real one does, where the stream mode would throttle the sender instead), and sends the
// stack malformed frames of every kind, a fragment flood and a SYN flood. Each is
// dropped and counted (`net`), a closed port is refused on the wire (ICMP port unreachable, a
// reset), and the machine keeps serving: UDP echo answers before and after, the shell answers.
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Machine, startMachine, stopAllMachines } from "../../toolchain/src/bench/machine.ts";
import { buildSystemInScratch, type ScratchBuild } from "../../toolchain/src/build/scratch.ts";
import { frameBuilder, openWire, type Wire as WireEnd } from "../../toolchain/src/bench/frames.ts";
import { defaultKernelArguments } from "../../toolchain/src/project.ts";
import { BOOT_TIMEOUT_MILLISECONDS, BUILD_TIMEOUT_MILLISECONDS, SHELL_PROMPT, shellCommand } from "./shell_session.ts";

const PEER_IP = Buffer.from([10, 0, 9, 1]);
const LINK = {
  guestMac: Buffer.from([0x52, 0x54, 0x00, 0x00, 0x09, 0x02]),
  peerMac: Buffer.from([0x52, 0x54, 0x00, 0x00, 0x09, 0x01]),
  guestIp: Buffer.from([10, 0, 9, 2]), // tests/qemu/systems/network_b.toml
  peerIp: PEER_IP,
};
const { ethernet, ipv4, pseudoChecksum, udp } = frameBuilder(LINK);

function tcpSyn(sourcePort: number, port: number): Buffer {
  const segment = Buffer.alloc(20);
  segment.writeUInt16BE(sourcePort, 0);
  segment.writeUInt16BE(port, 2);
  segment.writeUInt32BE(1000, 4);
  segment[12] = 5 << 4;
  segment[13] = 0x02; // SYN
  segment.writeUInt16BE(8192, 14);
  segment.writeUInt16BE(pseudoChecksum(6, segment), 16);
  return segment;
}

/** What the guest sent, frame by frame, on a wire whose other end is this test (openWire: ARP for the peer answered). */
class Wire {
  readonly frames: Buffer[] = [];
  /** This test's end (beforeAll opens it). */
  end!: WireEnd;

  send(frame: Buffer): void {
    this.end.send(frame);
  }

  /** IPv4 frames from the guest of `protocol` seen since `from`. */
  ipFrames(protocol: number, from = 0): Buffer[] {
    return this.frames.slice(from).filter((frame) => frame.readUInt16BE(12) === 0x0800 && frame[23] === protocol);
  }

  async waitFor(test: () => boolean, milliseconds: number): Promise<boolean> {
    for (const deadline = Date.now() + milliseconds; Date.now() < deadline;) {
      if (test()) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return test();
  }
}

let scratch: ScratchBuild | undefined;
let machine: Machine;
const wire = new Wire();

beforeAll(async () => {
  scratch = await buildSystemInScratch("tests/qemu/systems/network_b.toml", defaultKernelArguments, BUILD_TIMEOUT_MILLISECONDS);
  wire.end = await openWire(LINK, (frame) => wire.frames.push(frame));
  machine = startMachine({ iso: scratch.iso, memory: "128M", nic: wire.end.nic() });
  await machine.waitFor(/net: eth0: 10\.0\.9\.2\/24 \(static\)/, BOOT_TIMEOUT_MILLISECONDS);
  await machine.waitFor(SHELL_PROMPT, BOOT_TIMEOUT_MILLISECONDS);
}, BUILD_TIMEOUT_MILLISECONDS + BOOT_TIMEOUT_MILLISECONDS);

afterAll(async () => {
  await stopAllMachines();
  wire.end?.close();
  scratch?.remove();
});

/** Sends a datagram to the echo and waits for it to come back. */
async function echoAnswers(text: string): Promise<boolean> {
  const from = wire.frames.length;
  wire.send(ethernet(0x0800, ipv4(17, udp(4000, 7, Buffer.from(text)))));
  return wire.waitFor(() => wire.ipFrames(17, from).some((frame) => frame.subarray(42).toString() === text), 10_000);
}

/** The DNS answer to the query in `frame` (UDP to port 53): `name` is at `address`. */
function dnsAnswer(frame: Buffer, address: Buffer): Buffer {
  const query = frame.subarray(42);
  let end = 12;
  while (query[end] !== 0) end += query[end] + 1;
  const question = query.subarray(12, end + 5); // the name, its 0, type and class
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // the query's id
  header.writeUInt16BE(0x8180, 2); // a response, recursion available, no error
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 6);
  const answer = Buffer.alloc(16);
  answer.writeUInt16BE(0xc00c, 0); // the name, as in the question
  answer.writeUInt16BE(1, 2); // A
  answer.writeUInt16BE(1, 4); // IN
  answer.writeUInt32BE(60, 6);
  answer.writeUInt16BE(4, 10);
  address.copy(answer, 12);
  return udp(53, frame.readUInt16BE(34), Buffer.concat([header, question, answer]));
}

test("a handler connects to a host by name: the stack asks DNS on the wire, then opens the connection to the answer", async () => {
  const from = wire.frames.length;
  await shellCommand(machine, "emit connect");
  expect(await wire.waitFor(() => wire.ipFrames(17, from).some((frame) => frame.readUInt16BE(36) === 53), 10_000)).toBe(true);
  const query = wire.ipFrames(17, from).find((frame) => frame.readUInt16BE(36) === 53)!;
  expect(query.subarray(54).toString("latin1")).toContain("\x04peer\x04test\x00");
  wire.send(ethernet(0x0800, ipv4(17, dnsAnswer(query, PEER_IP))));
  const syn = () => wire.ipFrames(6, from).find((frame) => frame.subarray(30, 34).equals(PEER_IP) && frame.readUInt16BE(36) === 7000 &&
    (frame[47] & 0x02) !== 0);
  expect(await wire.waitFor(() => syn() !== undefined, 10_000)).toBe(true);
  // Nobody answers the SYN with a connection here: a reset from the peer closes it, and the handler hears so.
  const reset = Buffer.alloc(20);
  const segment = syn()!.subarray(34, 54);
  reset.writeUInt16BE(7000, 0);
  reset.writeUInt16BE(segment.readUInt16BE(0), 2);
  reset.writeUInt32BE(0, 4);
  reset.writeUInt32BE((segment.readUInt32BE(4) + 1) >>> 0, 8);
  reset[12] = 5 << 4;
  reset[13] = 0x14; // RST, ACK
  reset.writeUInt16BE(pseudoChecksum(6, reset), 16);
  wire.send(ethernet(0x0800, ipv4(6, reset)));
  await machine.waitFor(/resolver: connection \d+ closed/, 10_000);
}, 60_000);

/** The stack's limit on ICMP errors (services/network/stack.c): this many a second, after a burst of ICMP_ERRORS_BURST. */
const ICMP_ERRORS_PER_SECOND = 100;
const ICMP_ERRORS_BURST = 10;

test("ICMP errors are rate limited: a burst to closed ports gets a few port unreachables, and each one not sent is counted", async () => {
  const net = () => shellCommand(machine, "net");
  const number = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? -1);
  const refused = (text: string) => number(text, /^udp: .* (\d+) to closed ports/m);
  const errorsSent = (text: string) => number(text, /^icmp: .*errors \(unreachable, time exceeded\): (\d+) sent/m);
  const errorsLimited = (text: string) => number(text, /^icmp: .* (\d+) not sent \(over the rate limit\)/m);
  const before = await net();
  const from = wire.frames.length;
  const started = Date.now();
  for (let i = 0; i < 500; i++) {
    wire.send(ethernet(0x0800, ipv4(17, udp(5000 + i, 19, Buffer.from("anyone?")))));
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 20)); // within what the card's ring holds
  }
  expect(await echoAnswers("after the closed ports")).toBe(true); // the stack has worked through the burst
  const after = await net();
  const seconds = (Date.now() - started) / 1000;
  const unreachables = wire.ipFrames(1, from).filter((frame) => frame[34] === 3 && frame[35] === 3).length;
  const refusedNow = refused(after) - refused(before);
  const sent = errorsSent(after) - errorsSent(before);
  const limited = errorsLimited(after) - errorsLimited(before);
  console.log(`closed ports: ${refusedNow} refused in ${seconds.toFixed(2)} s, ${sent} unreachables sent (${unreachables} seen on the wire), ${limited} not sent`);
  expect(refusedNow, after).toBeGreaterThanOrEqual(250);
  expect(sent + limited, after).toBe(refusedNow); // each refusal either answered or counted as limited
  expect(unreachables).toBeGreaterThanOrEqual(1);
  expect(unreachables).toBeLessThanOrEqual(sent);
  expect(sent).toBeLessThanOrEqual(ICMP_ERRORS_BURST + Math.ceil(ICMP_ERRORS_PER_SECOND * seconds));
  expect(limited).toBeGreaterThan(0);
}, 60_000);

test("a SYN flood does not shut the status page: a new client's SYN is answered at once, the half-open connections it pushed out are counted", async () => {
  const net = () => shellCommand(machine, "net");
  const halfOpenDropped = (text: string) => Number(/^tcp: .* (\d+) half-open dropped for new SYNs/m.exec(text)?.[1] ?? -1);
  const before = await net();
  for (let port = 40000; port < 40200; port++) wire.send(ethernet(0x0800, ipv4(6, tcpSyn(port, 80)))); // nobody will finish these
  const from = wire.frames.length;
  const synAck = () => wire.ipFrames(6, from).some((frame) => frame.readUInt16BE(34) === 80 && frame.readUInt16BE(36) === 41000 && (frame[47] & 0x12) === 0x12);
  let answered = false;
  for (let attempt = 0; attempt < 6 && !answered; attempt++) { // a real client sends its SYN again after 1 s; this one after 0.5 s
    wire.send(ethernet(0x0800, ipv4(6, tcpSyn(41000, 80))));
    answered = await wire.waitFor(synAck, 500);
  }
  expect(answered, "the SYN-ACK to the new client").toBe(true);
  const after = await net();
  expect(halfOpenDropped(after) - halfOpenDropped(before), after).toBeGreaterThanOrEqual(190); // 200 SYNs, 8 kept in the backlog
}, 60_000);

test("a datagram too long for a handler (reassembled from fragments) is dropped and counted, not cut", async () => {
  const dropped = async () => Number(/^udp: .* (\d+) dropped/m.exec(await shellCommand(machine, "net"))?.[1]);
  const before = await dropped();
  const datagram = udp(4003, 7, Buffer.alloc(2000, 0x6f)); // 2,008 bytes: more than NET_DATA_MAX_BYTES (1,472)
  const from = wire.frames.length;
  wire.send(ethernet(0x0800, ipv4(17, datagram.subarray(0, 1480), { id: 7000, fragment: 0x2000 })));        // more fragments
  wire.send(ethernet(0x0800, ipv4(17, datagram.subarray(1480), { id: 7000, fragment: 1480 / 8 })));         // the last
  expect(await echoAnswers("still echoing")).toBe(true);
  expect(wire.ipFrames(17, from).some((frame) => frame.readUInt16BE(34) === 7 && frame.readUInt16BE(36) === 4003)).toBe(false);
  expect(await dropped()).toBe(before + 1);
}, 60_000);

test("malformed frames, floods and closed ports are dropped and counted; the machine keeps serving", async () => {
  expect(await echoAnswers("before")).toBe(true);

  const good = udp(4000, 7, Buffer.from("never echoed"));
  const badIpChecksum = ipv4(17, good);
  badIpChecksum[10] ^= 0xff;
  const badUdpChecksum = Buffer.from(good);
  badUdpChecksum[6] ^= 0xff;
  const truncated = ipv4(17, good).subarray(0, 30);           // total length says more than the frame has
  const badVersion = ipv4(17, good);
  badVersion[0] = 0x65;
  const shortUdp = Buffer.from(good);
  shortUdp.writeUInt16BE(4, 4);                               // a UDP length below its own header
  const badTcpChecksum = tcpSyn(5000, 80);
  badTcpChecksum[16] ^= 0xff;
  for (const frame of [
    ethernet(0x0800, badIpChecksum), ethernet(0x0800, ipv4(17, badUdpChecksum)), ethernet(0x0800, truncated),
    ethernet(0x0800, badVersion), ethernet(0x0800, ipv4(17, shortUdp)), ethernet(0x0800, ipv4(6, badTcpChecksum)),
    ethernet(0x0800, Buffer.alloc(10)),                     // not even an IPv4 header
  ]) wire.send(frame);

  // A fragment flood: 200 first fragments that are never completed.
  for (let id = 100; id < 300; id++) wire.send(ethernet(0x0800, ipv4(17, Buffer.alloc(64, 1), { id, fragment: 0x2000 })));
  // A SYN flood on the status page's port.
  for (let port = 20000; port < 20200; port++) wire.send(ethernet(0x0800, ipv4(6, tcpSyn(port, 80))));

  // Closed ports: ICMP port unreachable for UDP, a reset for TCP. Right after the floods the
  // stack may still be working through them (and the wire may drop a probe), so the probes
  // are sent again every half second until answered.
  const before = wire.frames.length;
  const unreachable = () => wire.ipFrames(1, before).some((frame) => frame[34] === 3 && frame[35] === 3);
  const reset = () => wire.ipFrames(6, before).some((frame) => frame.readUInt16BE(34) === 81 && (frame[47] & 0x04) !== 0);
  for (const deadline = Date.now() + 20_000; !(unreachable() && reset()) && Date.now() < deadline;) {
    wire.send(ethernet(0x0800, ipv4(17, udp(4001, 19, Buffer.from("anyone?")))));
    wire.send(ethernet(0x0800, ipv4(6, tcpSyn(4002, 81))));
    await wire.waitFor(() => unreachable() && reset(), 500);
  }
  expect(unreachable()).toBe(true);
  expect(reset()).toBe(true);

  expect(await echoAnswers("after")).toBe(true);
  const report = await shellCommand(machine, "net");
  const number = (pattern: RegExp) => Number(pattern.exec(report)?.[1] ?? -1);
  expect(number(/^ip: .*\((\d+) bad checksum/m)).toBeGreaterThanOrEqual(1);
  expect(number(/^ip: .* (\d+) malformed/m)).toBeGreaterThanOrEqual(2);
  expect(number(/^udp: .*\((\d+) bad checksum/m)).toBeGreaterThanOrEqual(1);
  expect(number(/^udp: .* (\d+) to closed ports/m)).toBeGreaterThanOrEqual(1);
  expect(number(/^tcp: .*\((\d+) bad checksum/m)).toBeGreaterThanOrEqual(1);
  expect(number(/^tcp: .* (\d+) refused with a reset/m)).toBeGreaterThanOrEqual(1);
  // The fragment flood: every first fragment held, and the datagrams given up counted (4 fit in reassembly at once).
  expect(number(/^fragments: (\d+) received/m), report).toBeGreaterThanOrEqual(200);
  expect(number(/^fragments: .* (\d+) datagrams never completed/m), report).toBeGreaterThanOrEqual(196);
  expect(await shellCommand(machine, "echo still answering")).toContain("still answering");
  expect(await shellCommand(machine, "handlers")).toMatch(/^net\s+lwip-2\.1\s+\d+\s+0\s/m);
}, 120_000);

test("a flood at the wire's full rate (SYNs and never-completed fragments, as fast as this end sends them): the shell answers and handlers run during it, frames the stack has no room for wait in the card (the wire drops what does not fit), and echo answers after", async () => {
  const report = async () => shellCommand(machine, "net");
  const number = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? -1);
  const heartbeats = async () => number(await shellCommand(machine, "handlers"), /^heartbeat\s+\S+\s+(\d+)/m);
  const cardFrames = /^eth0\s.*?(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\s+(\d+)/m; // RX FRAMES, after the MAC
  const framesBefore = number(await report(), cardFrames);
  const beatsBefore = await heartbeats();
  // Frames made once and sent round and round: SYNs to the status page from 1,000 ports, first fragments of 1,000 datagrams.
  const frames: Buffer[] = [];
  for (let i = 0; i < 1000; i++) {
    frames.push(ethernet(0x0800, ipv4(6, tcpSyn(30000 + i, 80))));
    frames.push(ethernet(0x0800, ipv4(17, Buffer.alloc(64, 2), { id: 10000 + i, fragment: 0x2000 })));
  }
  let sent = 0;
  let flooding = true;
  const flood = (async () => {
    while (flooding) {
      // As fast as this end sends: QEMU reads what the card has room for, and the wire (the
      // sockets' buffers) drops the rest, as a real one would. A turn for the event loop every
      // 100 (a datagram's send callback comes before any other I/O: awaiting it is no turn).
      for (let i = 0; i < 100; i++) wire.send(frames[sent++ % frames.length]);
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  let during = "";
  let beatsDuring = 0;
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    during = await shellCommand(machine, "echo answering during the flood");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    beatsDuring = await heartbeats();
  } finally {
    flooding = false; // also when the shell did not answer: the flood must not outlive the test
    await flood;
  }
  expect(during).toContain("answering during the flood");
  expect(beatsDuring, "the heartbeat handler's timer ran during the flood").toBeGreaterThan(beatsBefore);
  // Echo answers once the stack has worked through what the card held.
  let answered = false;
  for (const deadline = Date.now() + 30_000; !answered && Date.now() < deadline;) answered = await echoAnswers("after the flood");
  expect(answered).toBe(true);
  const after = await report();
  const received = number(after, cardFrames) - framesBefore;
  console.log(`line-rate flood: ${sent} frames sent in 3 s, ${received} received by the card; ${/^stack: .*$/m.exec(after)?.[0]}; ` +
    `${/^ip: .*$/m.exec(after)?.[0]}`);
  expect(received).toBeGreaterThan(frames.length); // more than one round of the 2,000 frames reached the card
  expect(number(after, /^stack: held in the card (\d+) times \(stack busy\)/m), after).toBeGreaterThan(0);
  expect(await shellCommand(machine, "handlers")).toMatch(/^net\s+lwip-2\.1\s+\d+\s+0\s/m); // the stack never failed
}, 120_000);
