// The network: the NICs found at boot, the stack that runs on the first, and the shell's `net` (docs/network.md).
//
// At boot every virtio-net function (virtio_net.ts) and Intel 8254x (e1000.ts, QEMU's default
// NIC on `-M pc`) is set up. A NIC that is absent or fails is one log line, and the system
// runs on without it. The interrupt only acknowledges; the kernel loop takes the frames
// (networkService) and queues each for the network stack — lwIP in its own wasm instance,
// the handler `net` (services/network/stack.c) — as an EVENT_FRAME. Everything else the stack
// does goes through its gate calls (gate/net_calls.ts): frames out, what arrived for the
// handlers that listen, its address and counters, the timer it needs next.
//
//   NIC ─rx ring─► networkService ─EVENT_FRAME─► [net: lwIP] ─net_deliver─► EVENT_UDP/TCP_* ─► handler
//   NIC ◄─tx ring─ net_transmit ◄──────────────── [net: lwIP] ◄─EVENT_NET_REQUEST─ udp_send/tcp_send (at commit)
//
// Packet memory is bounded by queues: the stack's queue (its system entry's queue, of
// NET_PAYLOAD_MAX_BYTES each), each listener's queue, and lwIP's own pools in its memory. A
// frame that finds the stack's queue full is dropped and counted ("stack busy").

import { physicalCopyIn, readTsc } from "../arch/x86_64/machine";
import { moduleSetTransactional } from "../arch/x86_64/modules";
import { picVector } from "../arch/x86_64/pic8259";
import { pciDevices } from "../arch/x86_64/pci";
import { VIRTIO_VENDOR } from "../arch/x86_64/virtio";
import { Text } from "../console/text";
import { LEVEL_INFO, LEVEL_WARNING, line, log } from "../log/log";
import { E1000, E1000_IDS, INTEL_VENDOR } from "./e1000";
import { CAPABILITY_NET_STACK, EVENT_FRAME, NET_DHCP_BOUND, NET_DHCP_FALLBACK, NET_DHCP_REQUESTING, NET_DHCP_STATIC, NET_DHCP_WAITING,
  NET_PAYLOAD_MAX_BYTES, NetState } from "../gate/interface";
import { eventQueues, handlers, handlerTimers, postTo } from "../handlers/registry";
import { SystemDescriptor } from "../config/boot_descriptor";
import { netCallsConfigure } from "../gate/net_calls";
import { NO_DEADLINE } from "../events/timers";
import { clockNanoseconds } from "../time/clock";
import { NetworkCard } from "./network_card";
import { VIRTIO_NET_ID, VIRTIO_NET_MODERN_ID, VirtioNet } from "./virtio_net";

const nics = new Array<NetworkCard>();
const seen = new Array<string>();

/** The network stack's handler index, -1 when there is none; the timer it asks for (net_state); what it reported. */
let stack: i32 = -1;
let stackTimer: i32 = -1;
export const stackState = new StaticArray<u8>(offsetof<NetState>());
let stackReported = false;
/** Frames dropped because there was no stack, or its queue was full (frameRoom keeps them in the card instead). */
let droppedNoStack: u64 = 0;
let droppedStackBusy: u64 = 0;
/** Loop passes that left frames in a card because the stack's queue had no room for them (frameRoom). */
let heldStackBusy: u64 = 0;
const frame = new StaticArray<u8>(NET_PAYLOAD_MAX_BYTES);
/**
 * Deliveries the stack and each handler listening on a port may take in one dispatch round
 * (handlers/dispatcher.ts), each its own run. An echo is two of the stack's runs (the frame,
 * the reply) to one of the listener's: with one a round, the stack answered at most a
 * datagram every two rounds and its queue overflowed at 16,000 a second; with the stack at 8
 * and its listeners at 1, the stack handed a listener up to 8 datagrams a round and the
 * listener's queue overflowed instead (13,000 a second; 15,000 with both at 8).
 */
const NETWORK_DELIVERIES_PER_ROUND = 8;

/** The card the stack runs on: the first found, or null. */
export function primaryCard(): NetworkCard | null {
  return nics.length > 0 ? nics[0] : null;
}

/**
 * The handler granted net.stack is the network stack: frames go to it, and it gets a timer it
 * sets itself. Without a card it is not started (it gets no boot event), and one line says so.
 */
export function networkStart(system: SystemDescriptor): void {
  netCallsConfigure(system);
  for (let i = 0; i < handlers.length; i++) {
    const grants = handlers[i].settings.grants;
    let isStack = false;
    for (let g = 0; g < grants.length; g++) if (grants[g].capability == CAPABILITY_NET_STACK) isStack = true;
    if (!isStack) continue;
    if (nics.length == 0) {
      handlers[i].runsAtBoot = false;
      note(LEVEL_WARNING, line.clear().string("[network] is configured but there is no network card; the stack '")
        .string(handlers[i].name).string("' is not started"));
      return;
    }
    stack = i;
    // Every frame would otherwise be a transaction; the stack's own instance is its containment,
    // and a trap resets it (dispatcher.ts). docs/network.md, "Runs without snapshots".
    if (moduleSetTransactional(handlers[i].module, false) == 0) handlers[i].transactional = false;
    handlers[i].deliveriesPerRound = NETWORK_DELIVERIES_PER_ROUND;
    for (let l = 0; l < handlers.length; l++) {
      const settings = handlers[l].settings;
      if (settings.udpPorts != 0 || settings.tcpPorts != 0) handlers[l].deliveriesPerRound = NETWORK_DELIVERIES_PER_ROUND;
    }
    stackTimer = handlerTimers.add(i, 0, NO_DEADLINE - 1, 0);
    if (stackTimer >= 0) handlerTimers.timer(stackTimer).active = false;
    return;
  }
  if (system.network.enabled) note(LEVEL_WARNING, line.clear().string("[network] is configured but its stack did not load; no network"));
}

export function networkStack(): i32 {
  return stack;
}

/** net_state: what the stack reported; its next timer, `wake` milliseconds from now (0xffffffff: none). */
export function networkStackReported(state: usize): void {
  memory.copy(changetype<usize>(stackState), state, offsetof<NetState>());
  stackReported = true;
  if (stackTimer < 0) return;
  const wake = changetype<NetState>(state).wakeMilliseconds;
  const timer = handlerTimers.timer(stackTimer);
  timer.active = wake != 0xffffffff;
  timer.deadline = clockNanoseconds(readTsc()) + <u64>wake * 1_000_000;
}

/**
 * The guest's share of a request and its answer (make bench): TSC cycles from a frame's
 * arrival at the kernel to the next frame handed to the card, the last SHARE_SAMPLES of them.
 */
const SHARE_SAMPLES = 1024;
const shareSamples = new StaticArray<u64>(SHARE_SAMPLES);
const shareSorted = new StaticArray<u64>(SHARE_SAMPLES);
let shareCount: u64 = 0;
let lastArrivalTsc: u64 = 0;

/** A frame was handed to the card: one sample if it is the first since a frame arrived. */
export function networkFrameSent(): void {
  if (lastArrivalTsc == 0) return;
  shareSamples[<i32>(shareCount % SHARE_SAMPLES)] = readTsc() - lastArrivalTsc;
  shareCount++;
  lastArrivalTsc = 0;
}

/** The median of the samples kept (0 for none). */
function shareMedian(): u64 {
  const count = <i32>min<u64>(shareCount, SHARE_SAMPLES);
  if (count == 0) return 0;
  for (let i = 0; i < count; i++) {                       // insertion sort: at most 1,024, only for `net`
    const value = shareSamples[i];
    let j = i - 1;
    while (j >= 0 && shareSorted[j] > value) {
      shareSorted[j + 1] = shareSorted[j];
      j--;
    }
    shareSorted[j + 1] = value;
  }
  return shareSorted[count / 2];
}

/** A good frame at physical `address`: copied and queued for the stack. */
function frameArrived(address: u64, length: u32): void {
  lastArrivalTsc = readTsc();
  if (stack < 0) {
    droppedNoStack++;
    return;
  }
  physicalCopyIn(changetype<usize>(frame), address, length);
  if (!postTo(stack, <u8>EVENT_FRAME, 0, 0, clockNanoseconds(readTsc()), changetype<usize>(frame), <i32>length)) droppedStackBusy++;
}

/** Sets every virtio-net NIC up; logs each NIC found, or that there is none. */
export function networkInitialize(): void {
  const devices = pciDevices();
  for (let i = 0; i < devices.length; i++) {
    const pci = devices[i];
    const why = new StaticArray<string>(1);
    let kind = "";
    let nic: NetworkCard | null = null;
    if (pci.vendor == VIRTIO_VENDOR && (pci.device == VIRTIO_NET_ID || pci.device == VIRTIO_NET_MODERN_ID)) {
      kind = "virtio-net";
      nic = VirtioNet.open(pci, why);
    } else if (pci.vendor == INTEL_VENDOR && E1000_IDS.includes(pci.device)) {
      kind = "e1000";
      nic = E1000.open(pci, why);
    } else continue;
    if (nic == null) note(LEVEL_WARNING, line.clear().string(kind).string(" ").string(pci.location).string(" not used: ").string(why[0]));
    else {
      nics.push(nic);
      note(LEVEL_INFO, line.clear().string("eth").decimal(nics.length - 1).string(": ").string(nic.name).string(", MAC ").text(mac(nic)));
    }
  }
  if (seen.length == 0) note(LEVEL_INFO, line.clear().string("no network card; running without a network"));
}

const macText = new Text(32);

function mac(nic: NetworkCard): Text {
  macText.clear();
  for (let i = 0; i < 6; i++) {
    if (i > 0) macText.char(0x3a);
    macText.hex(nic.mac[i], 2);
  }
  return macText;
}

const noted = new Text();

function note(level: u8, text: Text): void {
  seen.push(String.UTF8.decodeUnsafe(text.pointer, text.length));
  log(level, noted.clear().string("net: ").text(text));
}

/** A PCI interrupt on `vector`: each NIC on that line acknowledges its own (the caller sends the EOI). */
export function networkInterrupt(vector: u32): void {
  for (let i = 0; i < nics.length; i++) if (picVector(nics[i].interruptLine) == vector) nics[i].interrupt();
}

export function isNetworkVector(vector: u32): bool {
  for (let i = 0; i < nics.length; i++) if (picVector(nics[i].interruptLine) == vector) return true;
  return false;
}

/** The kernel loop: takes what the NICs received and sent; how many frames. */
export function networkService(): i32 {
  const room = frameRoom();
  let taken = 0;
  for (let i = 0; i < nics.length; i++) {
    taken += nics[i].service(frameArrived, room - taken);
    if (taken == room && nics[i].pending) heldStackBusy++;
  }
  return taken;
}

/** Whether a NIC has frames waiting for networkService, and the stack's queue room for them. */
export function networkPending(): bool {
  if (frameRoom() == 0) return false;
  for (let i = 0; i < nics.length; i++) if (nics[i].pending) return true;
  return false;
}

/**
 * How many more frames the stack's queue takes now: frames may fill half of it, the rest is
 * for its listeners' sends (EVENT_NET_REQUEST, refused when the queue is full). Frames beyond
 * it wait in the card's receive ring, where the card holds them (QEMU keeps what comes
 * meanwhile in its own queue; a real card drops what does not fit and counts it), instead of
 * being copied only to be dropped: backpressure, as a NAPI driver's budget gives Linux.
 */
function frameRoom(): i32 {
  if (stack < 0) return I32.MAX_VALUE; // no stack: every frame is taken, dropped and counted
  const frames = max<i32>(1, eventQueues.queue(stack).capacity / 2); // a stack with a queue of 1 still gets frames
  return max<i32>(0, frames - eventQueues.countFor(stack));
}

/** Writes the `net` report, a line at a time, through `emit`. */
export function networkReport(out: Text, emit: (text: Text) => void): void {
  emit(out.clear().string("NIC   DEVICE              MAC                RX FRAMES   RX BYTES      DROPPED (SHORT/LONG/NO ROOM)  TX FRAMES  TX BYTES    TX RING FULL"));
  for (let i = 0; i < nics.length; i++) {
    const nic = nics[i];
    out.clear().string("eth").decimal(i).padTo(6).column(nic.name, 26).text(mac(nic)).padTo(45).decimal(nic.framesReceived).padTo(57)
      .decimal(nic.bytesReceived).padTo(71).decimal(nic.droppedTruncated + nic.droppedOversize + nic.droppedNoRoom).string(" (")
      .decimal(nic.droppedTruncated).string("/").decimal(nic.droppedOversize).string("/").decimal(nic.droppedNoRoom).string(")").padTo(101)
      .decimal(nic.framesSent).padTo(112).decimal(nic.bytesSent).padTo(124).decimal(nic.sendsRefused);
    emit(out);
  }
  if (stack >= 0) stackReport(out, emit);
  for (let i = 0; i < seen.length; i++) emit(out.clear().string("net: ").string(seen[i]));
}

function stackReport(out: Text, emit: (text: Text) => void): void {
  const state = changetype<NetState>(changetype<usize>(stackState));
  out.clear().string("eth0: ");
  if (!stackReported || state.address == 0) out.string("no address yet");
  else out.text(ipv4(state.address)).string("/").decimal(prefixLength(state.netmask));
  out.string(" (").string(dhcpText(state.dhcp)).string(")");
  if (stackReported && state.gateway != 0) out.string(", gateway ").text(ipv4(state.gateway));
  if (stackReported && state.dns != 0) out.string(", dns ").text(ipv4(state.dns));
  emit(out);
  emit(out.clear().string("stack: held in the card ").decimal(heldStackBusy).string(" times (stack busy); dropped before the stack: ")
    .decimal(droppedStackBusy).string(" (stack busy), ").decimal(droppedNoStack)
    .string(" (no stack); link: ").decimal(state.linkDropped).string(" dropped, arp: ").decimal(state.arpDropped).string(" dropped"));
  emit(out.clear().string("ip:   ").decimal(state.ipReceived).string(" received, ").decimal(state.ipDropped).string(" dropped (")
    .decimal(state.ipChecksum).string(" bad checksum, ").decimal(state.ipMalformed).string(" malformed, ").decimal(state.fragmentsDropped)
    .string(" fragments)"));
  emit(out.clear().string("fragments: ").decimal(state.fragmentsReceived).string(" received, ").decimal(state.fragmentsDropped)
    .string(" dropped on arrival, ").decimal(state.reassembliesFailed).string(" datagrams never completed (timed out or evicted)"));
  emit(out.clear().string("udp:  ").decimal(state.udpReceived).string(" received, ").decimal(state.udpDropped).string(" dropped (")
    .decimal(state.udpChecksum).string(" bad checksum, ").decimal(state.udpMalformed).string(" malformed, ").decimal(state.udpRefused)
    .string(" to closed ports)"));
  emit(out.clear().string("tcp:  ").decimal(state.tcpReceived).string(" received, ").decimal(state.tcpDropped).string(" dropped (")
    .decimal(state.tcpChecksum).string(" bad checksum, ").decimal(state.tcpMalformed).string(" malformed, ").decimal(state.tcpRefused)
    .string(" refused with a reset); ").decimal(state.tcpHalfOpenDropped).string(" half-open dropped for new SYNs, ")
    .decimal(state.tcpNoConnection).string(" times short of memory"));
  emit(out.clear().string("icmp: ").decimal(state.icmpEchoes).string(" echo replies sent; errors (unreachable, time exceeded): ")
    .decimal(state.icmpErrorsSent).string(" sent, ").decimal(state.icmpErrorsLimited).string(" not sent (over the rate limit)"));
  emit(out.clear().string("guest share: frame received -> next frame sent, p50 ").decimal(shareMedian()).string(" cycles (last ")
    .decimal(min<u64>(shareCount, SHARE_SAMPLES)).string(" of ").decimal(shareCount).string(")"));
}

const ipv4Text = new Text(16);

/** a.b.c.d */
export function ipv4(address: u32): Text {
  ipv4Text.clear();
  for (let shift = 24; shift >= 0; shift -= 8) {
    ipv4Text.decimal((address >> shift) & 0xff);
    if (shift > 0) ipv4Text.char(0x2e);
  }
  return ipv4Text;
}

function prefixLength(netmask: u32): u32 {
  return <u32>popcnt(netmask);
}

function dhcpText(state: u32): string {
  if (state == NET_DHCP_STATIC) return "static";
  if (state == NET_DHCP_REQUESTING) return "DHCP: asking";
  if (state == NET_DHCP_BOUND) return "DHCP";
  if (state == NET_DHCP_FALLBACK) return "static: no DHCP lease came";
  if (state == NET_DHCP_WAITING) return "DHCP: no lease yet, still asking";
  return "?";
}
