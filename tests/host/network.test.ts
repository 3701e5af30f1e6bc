// The network cards' rings on the host (docs/network.md): virtio-net's receive and transmit
// queues and the e1000's rings, against devices this test plays on the fake machine —
// what the driver offers, what it hands the stack, what it refuses when a ring is full, and
// how it takes sent buffers back.
import { describe, expect, test } from "vitest";
import { type FakeMachine, startKernel } from "./fake_machine";

async function network() {
  const started = await startKernel(undefined, "network_under_test");
  const memory = () => new Uint8Array(started.kernel.memory.buffer);
  return {
    kernel: started.kernel,
    machine: started.machine,
    put(bytes: Uint8Array) {
      memory().set(bytes, started.kernel.inputPointer());
    },
    text(length: number) {
      return Buffer.from(memory().subarray(started.kernel.outputPointer(), started.kernel.outputPointer() + length)).toString("utf8");
    },
  };
}

const read16 = (machine: FakeMachine, address: number) => Buffer.from(machine.readPhysical(address, 2)).readUInt16LE();
const frame = (length: number, fill: number) => Buffer.alloc(length, fill);

/** A virtqueue of `size` at `base`, as the device sees it: its available ring, and answers in its used ring. */
class DeviceQueue {
  seen = 0;
  constructor(readonly machine: FakeMachine, readonly base: number, readonly size: number) {}

  get available(): number {
    return this.base + 16 * this.size;
  }

  get used(): number {
    return this.base + Math.ceil((16 * this.size + 6 + 2 * this.size) / 4096) * 4096;
  }

  /** The chains offered since last asked: each head's [address, length, flags]. */
  offered(): Array<{ head: number; address: bigint; length: number; flags: number }> {
    const chains = [];
    for (; this.seen < read16(this.machine, this.available + 2); this.seen++) {
      const head = read16(this.machine, this.available + 4 + 2 * (this.seen % this.size));
      const bytes = Buffer.from(this.machine.readPhysical(this.base + 16 * head, 16));
      chains.push({ head, address: bytes.readBigUInt64LE(0), length: bytes.readUInt32LE(8), flags: bytes.readUInt16LE(12) });
    }
    return chains;
  }

  answer(head: number, written: number): void {
    const index = read16(this.machine, this.used + 2);
    const entry = Buffer.alloc(8);
    entry.writeUInt32LE(head, 0);
    entry.writeUInt32LE(written, 4);
    this.machine.writePhysical(this.used + 4 + 8 * (index % this.size), entry);
    this.machine.writePhysical(this.used + 2, Buffer.from([(index + 1) & 0xff, (index + 1) >> 8]));
  }
}

describe("virtio-net", () => {
  const RECEIVE = 0x200000;
  const SEND = 0x210000;
  const BUFFERS = 0x300000;

  test("a send is a zeroed header and the frame in one buffer; a full ring refuses, and sent buffers come back", async () => {
    const { kernel, machine, put, text } = await network();
    kernel.virtioCreate(BigInt(RECEIVE), BigInt(SEND), BigInt(BUFFERS));
    const device = new DeviceQueue(machine, SEND, 64);
    machine.writePhysical(BUFFERS + 32 * 2048, Buffer.alloc(64 * 2048, 0xee)); // stale bytes where the header goes
    put(frame(60, 0xab));
    expect(kernel.transmit(60)).toBe(1);
    const [sent] = device.offered();
    expect([sent.length, sent.flags]).toEqual([70, 0]); // header + frame, read by the device
    const bytes = Buffer.from(machine.readPhysical(sent.address, 70));
    expect(bytes.subarray(0, 10)).toEqual(Buffer.alloc(10));
    expect(bytes.subarray(10)).toEqual(frame(60, 0xab));
    const notified = () => machine.portWrites.filter((write) => write.port === 0xc010 && write.value === 1).length;
    expect(notified()).toBe(1); // queue 1 notified
    expect(read16(machine, device.available)).toBe(1); // NO_INTERRUPT: sent buffers are taken back without one
    // A device that is taking buffers anyway (the used ring's NO_NOTIFY) is not notified: a notification is an exit to the hypervisor.
    machine.writePhysical(device.used, Buffer.from([1, 0]));
    put(frame(60, 0xab));
    expect(kernel.transmit(60)).toBe(1);
    expect(notified()).toBe(1);
    machine.writePhysical(device.used, Buffer.from([0, 0]));
    expect(kernel.transmit(60)).toBe(1);
    expect(notified()).toBe(2);
    device.offered();

    for (let i = 3; i < 64; i++) expect(kernel.transmit(60)).toBe(1);
    expect(kernel.transmit(60)).toBe(0); // 64 buffers in flight: refused, not overwritten
    expect(text(kernel.counters())).toBe("received 0/0, dropped 0/0/0, sent 64/3840, refused 1");
    const inFlight = device.offered();
    device.answer(sent.head, 0);
    expect(kernel.transmit(60)).toBe(1); // its buffer is free again
    const [again] = device.offered();
    expect(again.address).toBe(sent.address);
    expect(inFlight.map((chain) => chain.address)).not.toContain(again.address);
  });

  test("what arrives goes to the stack without its header; a runt is dropped and counted; every buffer is offered again", async () => {
    const { kernel, machine, text } = await network();
    kernel.virtioCreate(BigInt(RECEIVE), BigInt(SEND), BigInt(BUFFERS));
    const device = new DeviceQueue(machine, RECEIVE, 32);
    const buffers = device.offered();
    expect(buffers).toHaveLength(32);
    expect(read16(machine, device.available)).toBe(0); // frames that arrive interrupt
    expect(buffers.every((buffer) => buffer.length === 2048 && buffer.flags === 2)).toBe(true); // written by the device
    device.answer(buffers[0].head, 10 + 98);
    device.answer(buffers[1].head, 10 + 8); // shorter than an Ethernet header
    device.answer(buffers[2].head, 10 + 1514);
    const to = (buffer: { address: bigint }, length: number) => `0x${(buffer.address + 10n).toString(16)}+${length}`;
    expect(text(kernel.service(32))).toBe(`frames 3, to the stack: ${to(buffers[0], 98)} ${to(buffers[2], 1514)}`);
    expect(text(kernel.counters())).toBe("received 2/1612, dropped 1/0/0, sent 0/0, refused 0");
    expect(device.offered().map((buffer) => buffer.address)).toEqual([buffers[0], buffers[1], buffers[2]].map((buffer) => buffer.address));
  });

  test("a limit (the stack's queue room) takes only so many frames; the rest wait in the ring, their buffers not offered again, for the next service", async () => {
    const { kernel, machine, text } = await network();
    kernel.virtioCreate(BigInt(RECEIVE), BigInt(SEND), BigInt(BUFFERS));
    const device = new DeviceQueue(machine, RECEIVE, 32);
    const buffers = device.offered();
    for (let i = 0; i < 3; i++) device.answer(buffers[i].head, 10 + 60 + i);
    const to = (buffer: { address: bigint }, length: number) => `0x${(buffer.address + 10n).toString(16)}+${length}`;
    expect(text(kernel.service(2))).toBe(`frames 2, to the stack: ${to(buffers[0], 60)} ${to(buffers[1], 61)}`);
    expect(device.offered().map((buffer) => buffer.address)).toEqual([buffers[0].address, buffers[1].address]);
    expect(text(kernel.service(0))).toBe("frames 0, to the stack: ");
    expect(text(kernel.service(2))).toBe(`frames 1, to the stack: ${to(buffers[2], 62)}`);
    expect(text(kernel.counters())).toBe("received 3/183, dropped 0/0/0, sent 0/0, refused 0");
  });
});

describe("e1000 transmit", () => {
  const REGISTERS = 0xfeb00000;
  const RINGS = 0x400000;
  const BUFFERS = 0x500000;
  const TDT = REGISTERS + 0x3818;
  const SEND_RING = RINGS + 4096;
  const descriptor = (machine: FakeMachine, index: number) => Buffer.from(machine.readPhysical(SEND_RING + 16 * index, 16));

  test("each send fills the next descriptor (end of packet, CRC, report status) and moves the tail; a full ring refuses until the card is done", async () => {
    const { kernel, machine, put, text } = await network();
    kernel.e1000Create(BigInt(REGISTERS), BigInt(RINGS), BigInt(BUFFERS));
    put(frame(42, 0x5a));
    expect(kernel.transmit(42)).toBe(1);
    const first = descriptor(machine, 0);
    expect(first.readUInt16LE(8)).toBe(42);
    expect(first[11]).toBe(0x01 | 0x02 | 0x08);
    expect(Buffer.from(machine.readPhysical(first.readBigUInt64LE(0), 42))).toEqual(frame(42, 0x5a));
    expect(Buffer.from(machine.readPhysical(TDT, 4)).readUInt32LE()).toBe(1);

    for (let i = 1; i < 15; i++) expect(kernel.transmit(42)).toBe(1);
    expect(kernel.transmit(42)).toBe(0); // 15 of 16: the tail may not catch up with the head
    expect(text(kernel.counters())).toBe("received 0/0, dropped 0/0/0, sent 15/630, refused 1");
    machine.writePhysical(SEND_RING + 12, Buffer.from([1])); // the card is done with the first: DD
    expect(kernel.transmit(42)).toBe(1);
    expect(Buffer.from(machine.readPhysical(TDT, 4)).readUInt32LE()).toBe(0); // wrapped
    expect(kernel.transmit(42)).toBe(0); // the second is still the card's
  });
});

describe("e1000 receive", () => {
  const REGISTERS = 0xfeb00000;
  const RINGS = 0x400000;
  const BUFFERS = 0x500000;
  const register = (machine: FakeMachine, offset: number, value: number) =>
    machine.writePhysical(REGISTERS + offset, Buffer.from(new Uint32Array([value]).buffer));
  /** The card wrote receive descriptor `index`: a frame of `length` bytes at `address`, done. */
  const filled = (machine: FakeMachine, index: number, address: number, length: number) => {
    const descriptor = Buffer.alloc(16);
    descriptor.writeBigUInt64LE(BigInt(address), 0);
    descriptor.writeUInt16LE(length, 8);
    descriptor[12] = 0x01; // DD
    machine.writePhysical(RINGS + 16 * index, descriptor);
  };

  test("frames the card finished go to the stack and their descriptors back to it; what the card dropped itself is counted by why, including frames it missed for want of a descriptor", async () => {
    const { kernel, machine, text } = await network();
    kernel.e1000Create(BigInt(REGISTERS), BigInt(RINGS), BigInt(BUFFERS));
    filled(machine, 0, 0x600000, 60);
    filled(machine, 1, 0x600800, 10); // shorter than an Ethernet header: dropped, counted short
    register(machine, 0x40a4, 2); // RUC: 2 frames too short for the card
    register(machine, 0x40ac, 1); // ROC: 1 too long
    register(machine, 0x4010, 5); // MPC: 5 missed, the ring full
    expect(text(kernel.service(8))).toBe("frames 2, to the stack: 0x600000+60");
    expect(machine.readPhysical(RINGS + 12, 1)[0]).toBe(0); // handed back: the card may fill it again
    expect(Buffer.from(machine.readPhysical(REGISTERS + 0x2818, 4)).readUInt32LE()).toBe(1); // RDT: the last one handed back
    expect(text(kernel.counters())).toBe("received 1/60, dropped 3/1/5, sent 0/0, refused 0");
  });
});
