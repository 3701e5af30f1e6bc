// A wire the host itself is the other end of (QEMU's socket netdev), and the Ethernet frames
// sent on it: what the hostile-wire test (tests/qemu/network_wire.test.ts) injects and what
// `make bench`'s wire round trip (network_bench.ts) sends. The peer is a host on the guest's
// subnet; every frame built here goes from the peer to the guest.
import { createSocket, type Socket } from "node:dgram";

/** The two ends of the wire: the guest's card and the peer the host plays. */
export interface WireLink {
  guestMac: Buffer;
  peerMac: Buffer;
  guestIp: Buffer;
  peerIp: Buffer;
}

/** The Internet checksum (RFC 1071) of `bytes`. */
export function internetChecksum(bytes: Buffer): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) + (i + 1 < bytes.length ? bytes[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface FrameBuilder {
  /** An Ethernet frame of `type` (0x0800 IPv4, 0x0806 ARP) from the peer to the guest. */
  ethernet(type: number, payload: Buffer): Buffer;
  /** An IPv4 packet from the peer to the guest; `fragment` is the flags-and-offset field. */
  ipv4(protocol: number, payload: Buffer, options?: { id?: number; fragment?: number }): Buffer;
  /** The checksum of a UDP or TCP `segment` with the IPv4 pseudo-header, peer → guest. */
  pseudoChecksum(protocol: number, segment: Buffer): number;
  /** A UDP datagram from the peer's `sourcePort` to the guest's `port`. */
  udp(sourcePort: number, port: number, data: Buffer): Buffer;
  /** The ARP reply to `frame` when it asks who has the peer's address; undefined for any other frame. */
  arpReply(frame: Buffer): Buffer | undefined;
}

export function frameBuilder(link: WireLink): FrameBuilder {
  const ethernet = (type: number, payload: Buffer): Buffer => {
    const header = Buffer.alloc(14);
    link.guestMac.copy(header, 0);
    link.peerMac.copy(header, 6);
    header.writeUInt16BE(type, 12);
    return Buffer.concat([header, payload]);
  };
  const pseudoChecksum = (protocol: number, segment: Buffer): number => {
    const pseudo = Buffer.alloc(12);
    link.peerIp.copy(pseudo, 0);
    link.guestIp.copy(pseudo, 4);
    pseudo[9] = protocol;
    pseudo.writeUInt16BE(segment.length, 10);
    return internetChecksum(Buffer.concat([pseudo, segment]));
  };
  return {
    ethernet,
    pseudoChecksum,
    ipv4(protocol, payload, options = {}) {
      const header = Buffer.alloc(20);
      header[0] = 0x45;
      header.writeUInt16BE(20 + payload.length, 2);
      header.writeUInt16BE(options.id ?? 1, 4);
      header.writeUInt16BE(options.fragment ?? 0, 6);
      header[8] = 64;
      header[9] = protocol;
      link.peerIp.copy(header, 12);
      link.guestIp.copy(header, 16);
      header.writeUInt16BE(internetChecksum(header), 10);
      return Buffer.concat([header, payload]);
    },
    udp(sourcePort, port, data) {
      const segment = Buffer.alloc(8 + data.length);
      segment.writeUInt16BE(sourcePort, 0);
      segment.writeUInt16BE(port, 2);
      segment.writeUInt16BE(segment.length, 4);
      data.copy(segment, 8);
      segment.writeUInt16BE(pseudoChecksum(17, segment) || 0xffff, 6);
      return segment;
    },
    arpReply(frame) {
      const isRequest = frame.length >= 42 && frame.readUInt16BE(12) === 0x0806 && frame.readUInt16BE(20) === 1;
      if (!isRequest || !frame.subarray(38, 42).equals(link.peerIp)) return undefined;
      const reply = Buffer.alloc(28);
      reply.writeUInt16BE(1, 0);
      reply.writeUInt16BE(0x0800, 2);
      reply[4] = 6;
      reply[5] = 4;
      reply.writeUInt16BE(2, 6);
      link.peerMac.copy(reply, 8);
      link.peerIp.copy(reply, 14);
      link.guestMac.copy(reply, 18);
      link.guestIp.copy(reply, 24);
      return ethernet(0x0806, reply);
    },
  };
}

/** This end of a wire to a guest (openWire). */
export interface Wire {
  /** The guest's `-nic` value: its card, of `model`, on this wire. */
  nic(model?: string): string;
  /** Sends `frame` to the guest; `sent` is called once the socket has taken it. */
  send(frame: Buffer, sent?: () => void): void;
  close(): void;
}

/**
 * The other end of a guest's card: a UDP socket on 127.0.0.1 paired with QEMU's socket netdev
 * in UDP mode, one frame a datagram, so the wire drops what the card has no room for as a real
 * one does (the stream mode would slow the sender down instead). ARP requests for the peer are
 * answered here; every frame the guest sends also goes to `received`.
 */
export async function openWire(link: WireLink, received: (frame: Buffer) => void): Promise<Wire> {
  const bound = async (): Promise<Socket> => {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    return socket;
  };
  const { arpReply } = frameBuilder(link);
  const socket = await bound();
  const probe = await bound(); // QEMU's end: a port free now, which QEMU binds when it starts
  const qemuPort = probe.address().port;
  probe.close();
  const send = (frame: Buffer, sent?: () => void) => socket.send(frame, qemuPort, "127.0.0.1", sent && (() => sent()));
  socket.on("message", (frame: Buffer) => {
    const reply = arpReply(frame);
    if (reply) send(reply);
    received(frame);
  });
  const mac = [...link.guestMac].map((byte) => byte.toString(16).padStart(2, "0")).join(":");
  return {
    nic: (model = "virtio-net-pci") => `socket,udp=127.0.0.1:${socket.address().port},localaddr=127.0.0.1:${qemuPort},model=${model},mac=${mac}`,
    send,
    close: () => socket.close(),
  };
}
