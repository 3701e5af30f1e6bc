// The network calls: the stack's own (net.stack) and the handlers' (net.udp, net.tcp, net.send); docs/network.md.
//
// The stack (the handler `net`, lwIP in its own instance) asks for its configuration, hands
// frames to the card, delivers what arrived to the handler listening on its port, and reports
// its state. A handler's sends are queued for the stack as EVENT_NET_REQUEST deliveries while
// its run goes on: like its posts, they are withdrawn if the run rolls back and reach the
// stack only once it committed, so what a rolled-back run sent never leaves the machine.
//
// TCP connections are numbered by the stack; the kernel remembers which handler each belongs
// to (from the EVENT_TCP_OPENED it delivered), and a handler may write to or close only its own.

import { readTsc } from "../arch/x86_64/machine";
import { SystemDescriptor } from "../config/boot_descriptor";
import { eventQueues, handlers, postTo } from "../handlers/registry";
import { networkFrameSent, networkStack, networkStackReported, primaryCard } from "../net/network";
import { clockNanoseconds } from "../time/clock";
import { Caller } from "./callers";
import { copyIn, copyOut } from "./copy";
import { ERROR_BAD_ADDRESS, ERROR_BAD_ARGUMENT, ERROR_NO_NETWORK, ERROR_NOT_FOUND, ERROR_QUEUE_FULL, ERROR_TOO_LONG, EVENT_NET_REQUEST,
  EVENT_TCP_CLOSED, EVENT_TCP_DATA, EVENT_TCP_OPENED, EVENT_UDP, NET_DATA_MAX_BYTES, NET_HANDLER_PORTS_MAX, NET_HOSTNAME_MAX_BYTES,
  NET_DELIVERY_FORGET, NET_PAYLOAD_MAX_BYTES, NET_PING, NET_TCP_ABORT, NET_TCP_CONNECT, NET_PORTS_MAX, NET_TCP_CLOSE, NET_TCP_SEND, NET_UDP_SEND, NetConfig, NetDelivery, NetRequest,
  NetState } from "./interface";

/** The system's [network] and hostname, kept at boot for net_config. */
let system: SystemDescriptor | null = null;

export function netCallsConfigure(descriptor: SystemDescriptor): void {
  system = descriptor;
}

// ---------------------------------------------------------------- connections

const CONNECTIONS_MAX = 64;
const connectionNumbers = new StaticArray<u32>(CONNECTIONS_MAX);
const connectionOwners = new StaticArray<i32>(CONNECTIONS_MAX);
/** For a connection tcp_connect asked for: the sequence number of its request (withdrawn with a rolled-back run); 0 otherwise. */
const connectionRequests = new StaticArray<u64>(CONNECTIONS_MAX);
/** Connections tcp_connect opens are numbered by the kernel, with the high bit set; the stack numbers those it accepts from 1. */
const OUTGOING: u32 = 0x80000000;
let nextOutgoing: u32 = 1;

function connectionSlot(connection: u32): i32 {
  if (connection == 0) return -1;
  for (let i = 0; i < CONNECTIONS_MAX; i++) if (connectionNumbers[i] == connection) return i;
  return -1;
}

/** The handler a connection was given to, -1 if none. */
export function connectionOwner(connection: u32): i32 {
  const slot = connectionSlot(connection);
  return slot < 0 ? -1 : connectionOwners[slot];
}

function remember(connection: u32, owner: i32, request: u64 = 0): bool {
  for (let i = 0; i < CONNECTIONS_MAX; i++) {
    if (connectionNumbers[i] != 0) continue;
    connectionNumbers[i] = connection;
    connectionOwners[i] = owner;
    connectionRequests[i] = request;
    return true;
  }
  return false;
}

/** A run rolled back: the connections it asked tcp_connect for (their requests were withdrawn) are forgotten. */
export function netRunRolledBack(firstSequence: u64): void {
  for (let i = 0; i < CONNECTIONS_MAX; i++) {
    if (connectionNumbers[i] != 0 && connectionRequests[i] != 0 && connectionRequests[i] >= firstSequence) connectionNumbers[i] = 0;
  }
}

function forget(connection: u32): void {
  const slot = connectionSlot(connection);
  if (slot >= 0) connectionNumbers[slot] = 0;
}

// ---------------------------------------------------------------- the stack's calls

const configuration = new StaticArray<u8>(offsetof<NetConfig>() + NET_HOSTNAME_MAX_BYTES + 4 * NET_PORTS_MAX);

/** The index-th port of a descriptor port list (u16s from the lowest bits; 0 ends the list). */
function packedPort(packed: u64, index: i32): u16 {
  return <u16>(packed >> (16 * index));
}

/** Unpacks a descriptor port list after `count` ports already at `ports`. */
function addPorts(packed: u64, ports: usize, count: i32): i32 {
  for (let i = 0; i < NET_HANDLER_PORTS_MAX && count < NET_PORTS_MAX; i++) {
    const port = packedPort(packed, i);
    if (port == 0) break;
    store<u16>(ports + 2 * count, port);
    count++;
  }
  return count;
}

/** net_config(destination, capacity): NetConfig, the hostname and the listening ports; the bytes written. */
export function netConfig(caller: Caller, module: i32, destination: u64, capacity: u64, c: u64, d: u64, e: u64): i64 {
  const card = primaryCard();
  if (card == null || system == null || !system!.network.enabled) return ERROR_NO_NETWORK;
  const bytes = <u64>configuration.length;
  if (capacity < bytes) return ERROR_TOO_LONG;
  const base = changetype<usize>(configuration);
  memory.fill(base, 0, <usize>bytes);
  const config = changetype<NetConfig>(base);
  const network = system!.network;
  config.mac0 = card.mac[0];
  config.mac1 = card.mac[1];
  config.mac2 = card.mac[2];
  config.mac3 = card.mac[3];
  config.mac4 = card.mac[4];
  config.mac5 = card.mac[5];
  config.flags = network.flags;
  config.address = network.address;
  config.prefix = network.prefix;
  config.gateway = network.gateway;
  config.dns = network.dns;
  config.dhcpTimeoutMilliseconds = network.dhcpTimeoutMilliseconds;
  config.hostnameBytes = <u16>String.UTF8.encodeUnsafe(changetype<usize>(network.hostname), min(network.hostname.length, NET_HOSTNAME_MAX_BYTES),
    base + offsetof<NetConfig>());
  const udp = base + offsetof<NetConfig>() + NET_HOSTNAME_MAX_BYTES;
  const tcp = udp + 2 * NET_PORTS_MAX;
  let udpCount = 0;
  let tcpCount = 0;
  for (let i = 0; i < handlers.length; i++) {
    udpCount = addPorts(handlers[i].settings.udpPorts, udp, udpCount);
    tcpCount = addPorts(handlers[i].settings.tcpPorts, tcp, tcpCount);
  }
  config.udpPortCount = udpCount;
  config.tcpPortCount = tcpCount;
  if (!copyOut(module, destination, base, bytes)) return ERROR_BAD_ADDRESS;
  return <i64>bytes;
}

const outgoing = new StaticArray<u8>(NET_PAYLOAD_MAX_BYTES);

/** net_transmit(frame, length): one frame to the card; ERROR_QUEUE_FULL when its ring is full. */
export function netTransmit(caller: Caller, module: i32, frame: u64, length: u64, c: u64, d: u64, e: u64): i64 {
  const card = primaryCard();
  if (card == null) return ERROR_NO_NETWORK;
  if (length > <u64>outgoing.length) return ERROR_TOO_LONG;
  if (!copyIn(module, changetype<usize>(outgoing), frame, length)) return ERROR_BAD_ADDRESS;
  if (!card.transmit(changetype<usize>(outgoing), <u32>length)) return ERROR_QUEUE_FULL;
  networkFrameSent();
  return 0;
}

const deliveryHeader = new StaticArray<u8>(offsetof<NetDelivery>());
const deliveryData = new StaticArray<u8>(NET_DATA_MAX_BYTES);

/** The handler listening on `port` (UDP or TCP), -1 if none. */
function listener(tcp: bool, port: u32): i32 {
  for (let i = 0; i < handlers.length; i++) {
    const packed = tcp ? handlers[i].settings.tcpPorts : handlers[i].settings.udpPorts;
    for (let p = 0; p < NET_HANDLER_PORTS_MAX; p++) if (<u32>packedPort(packed, p) == port && port != 0) return i;
  }
  return -1;
}

/**
 * net_deliver(header, data, length): what arrived for a handler, queued as its event. A UDP
 * datagram's Event.source is (its port << 16) | the local port and Event.name the sender's
 * address; a connection's source is its number. ERROR_QUEUE_FULL asks the stack to offer it later.
 */
export function netDeliver(caller: Caller, module: i32, headerAddress: u64, data: u64, length: u64, d: u64, e: u64): i64 {
  if (length > <u64>NET_DATA_MAX_BYTES) return ERROR_TOO_LONG;
  if (!copyIn(module, changetype<usize>(deliveryHeader), headerAddress, <u64>deliveryHeader.length)) return ERROR_BAD_ADDRESS;
  if (!copyIn(module, changetype<usize>(deliveryData), data, length)) return ERROR_BAD_ADDRESS;
  const header = changetype<NetDelivery>(changetype<usize>(deliveryHeader));
  const kind = header.kind;
  let target: i32;
  let source: u32;
  if (kind == EVENT_UDP) {
    target = listener(false, header.localPort);
    source = (<u32>header.port << 16) | <u32>header.localPort;
  } else if (kind == EVENT_TCP_OPENED && (header.connection & OUTGOING) != 0) {
    target = connectionOwner(header.connection);                 // one tcp_connect asked for
    source = header.connection;
    if (target >= 0) connectionRequests[connectionSlot(header.connection)] = 0;
  } else if (kind == EVENT_TCP_OPENED) {
    target = listener(true, header.localPort);
    source = header.connection;
  } else if (kind == EVENT_TCP_CLOSED && header.flags == NET_DELIVERY_FORGET) {
    forget(header.connection);
    return 0;
  } else if (kind == EVENT_TCP_DATA || kind == EVENT_TCP_CLOSED) {
    target = connectionOwner(header.connection);
    source = header.connection;
  } else return ERROR_BAD_ARGUMENT;
  if (target < 0) return ERROR_NOT_FOUND;
  const accepted = kind == EVENT_TCP_OPENED && (header.connection & OUTGOING) == 0;
  if (accepted && !remember(header.connection, target)) return ERROR_QUEUE_FULL;
  const now = clockNanoseconds(readTsc());
  if (!postTo(target, <u8>kind, source, header.address, now, changetype<usize>(deliveryData), <i32>length)) {
    if (accepted) forget(header.connection);
    return ERROR_QUEUE_FULL;
  }
  if (kind == EVENT_TCP_CLOSED) forget(header.connection);
  return 0;
}

const reported = new StaticArray<u8>(offsetof<NetState>());

/** net_state(state, length): the stack's address, DHCP and counters, and its next timer. */
export function netState(caller: Caller, module: i32, state: u64, length: u64, c: u64, d: u64, e: u64): i64 {
  if (length != <u64>reported.length) return ERROR_BAD_ARGUMENT;
  if (!copyIn(module, changetype<usize>(reported), state, length)) return ERROR_BAD_ADDRESS;
  networkStackReported(changetype<usize>(reported));
  return 0;
}

// ---------------------------------------------------------------- the handlers' calls

const request = new StaticArray<u8>(NET_PAYLOAD_MAX_BYTES);

/** Queues a request with `length` bytes of the caller's memory at `data` for the stack; 0 or an error. */
function queueRequest(caller: Caller, module: i32, data: u64, length: u64): i64 {
  const stack = networkStack();
  if (stack < 0) return ERROR_NO_NETWORK;
  if (length > <u64>NET_DATA_MAX_BYTES) return ERROR_TOO_LONG;
  const header = offsetof<NetRequest>();
  if (!copyIn(module, changetype<usize>(request) + header, data, length)) return ERROR_BAD_ADDRESS;
  changetype<NetRequest>(changetype<usize>(request)).handler = <u32>caller.index;
  const now = clockNanoseconds(readTsc());
  return postTo(stack, <u8>EVENT_NET_REQUEST, <u32>caller.index, 0, now, changetype<usize>(request), <i32>(header + <usize>length)) ? 0 : ERROR_QUEUE_FULL;
}

function clearRequest(kind: u32): NetRequest {
  memory.fill(changetype<usize>(request), 0, offsetof<NetRequest>());
  const header = changetype<NetRequest>(changetype<usize>(request));
  header.kind = kind;
  return header;
}

/** udp_send(address, port, local port, data, length): a datagram, sent when the run commits. */
export function udpSend(caller: Caller, module: i32, address: u64, port: u64, localPort: u64, data: u64, length: u64): i64 {
  if (port == 0 || port > 65535 || localPort > 65535 || address > 0xffffffff) return ERROR_BAD_ARGUMENT;
  const header = clearRequest(NET_UDP_SEND);
  header.address = <u32>address;
  header.port = <u16>port;
  header.localPort = <u16>localPort;
  return queueRequest(caller, module, data, length);
}

/**
 * tcp_connect(host, host length, port): a connection to host:port (gate.ts checked
 * net.connect:<host>:<port>), opened by the stack when this run commits; its number at once.
 */
export function tcpConnect(caller: Caller, module: i32, host: u64, hostLength: u64, port: u64, d: u64, e: u64): i64 {
  if (port == 0 || port > 65535) return ERROR_BAD_ARGUMENT;
  const stack = networkStack();
  if (stack < 0) return ERROR_NO_NETWORK;
  const connection = OUTGOING | nextOutgoing;
  const sequence = eventQueues.nextSequence;
  if (!remember(connection, caller.index, sequence)) return ERROR_QUEUE_FULL;
  const header = clearRequest(NET_TCP_CONNECT);
  header.connection = connection;
  header.port = <u16>port;
  const result = queueRequest(caller, module, host, hostLength);
  if (result < 0) {
    forget(connection);
    return result;
  }
  nextOutgoing = nextOutgoing == 0x7fffffff ? 1 : nextOutgoing + 1;
  return <i64>connection;
}

/** tcp_send(connection, data, length): data for one of the caller's connections, written when the run commits. */
export function tcpSend(caller: Caller, module: i32, connection: u64, data: u64, length: u64, d: u64, e: u64): i64 {
  if (connectionOwner(<u32>connection) != caller.index) return ERROR_NOT_FOUND;
  clearRequest(NET_TCP_SEND).connection = <u32>connection;
  return queueRequest(caller, module, data, length);
}

/**
 * A handler's run for a network event failed, and was rolled back. Network events are not
 * retried: a datagram is dropped (UDP's senders retry), and a connection whose data could not
 * be handled is reset, so its peer knows and a poisonous request cannot block the handler's
 * other connections. True when the delivery is to be dropped rather than retried.
 */
export function netEventFailed(kind: u8, source: u32): bool {
  if (kind == <u8>EVENT_UDP) return true;
  if (kind != <u8>EVENT_TCP_OPENED && kind != <u8>EVENT_TCP_DATA) return kind == <u8>EVENT_TCP_CLOSED;
  const stack = networkStack();
  if (stack >= 0) {
    clearRequest(NET_TCP_ABORT).connection = source;
    postTo(stack, <u8>EVENT_NET_REQUEST, 0, 0, clockNanoseconds(readTsc()), changetype<usize>(request), <i32>offsetof<NetRequest>());
  }
  forget(source);
  return true;
}

/** net_ping(address, count): the stack sends `count` echo requests; its log says what came back. */
export function netPing(caller: Caller, module: i32, address: u64, count: u64, c: u64, d: u64, e: u64): i64 {
  if (address == 0 || address > 0xffffffff || count < 1 || count > 10) return ERROR_BAD_ARGUMENT;
  const stack = networkStack();
  if (stack < 0) return ERROR_NO_NETWORK;
  const header = clearRequest(NET_PING);
  header.address = <u32>address;
  header.port = <u16>count;
  const now = clockNanoseconds(readTsc());
  return postTo(stack, <u8>EVENT_NET_REQUEST, 0, 0, now, changetype<usize>(request), <i32>offsetof<NetRequest>()) ? 0 : ERROR_QUEUE_FULL;
}

/** tcp_close(connection): closes one of the caller's connections after what it wrote, when the run commits. */
export function tcpClose(caller: Caller, module: i32, connection: u64, b: u64, c: u64, d: u64, e: u64): i64 {
  if (connectionOwner(<u32>connection) != caller.index) return ERROR_NOT_FOUND;
  clearRequest(NET_TCP_CLOSE).connection = <u32>connection;
  return queueRequest(caller, module, 0, 0);
}
