// The xHCI driver's transfer rings on the host (kernel/usb/xhci.ts, docs/storage.md): TRBs as
// the controller reads them — the cycle bit that hands each one over, the link TRB that
// closes the page and toggles the cycle (chained when a TD runs across it), and bulk TDs cut
// at 64 KiB boundaries with their chain, interrupt and TD Size bits.
import { describe, expect, test } from "vitest";
import { startKernel } from "./fake_machine";

const BASE = 0x200000;
const TRB_BYTES = 16;
const LINK = 6;
const NORMAL = 1;
const CYCLE = 1;
const TOGGLE = 1 << 1;
const CHAIN = 1 << 4;
const IOC = 1 << 5;

async function ring() {
  const { kernel, machine } = await startKernel(undefined, "usb_under_test");
  kernel.ringCreate(BigInt(BASE));
  const trb = (index: number) => {
    const bytes = Buffer.from(machine.readPhysical(BASE + index * TRB_BYTES, TRB_BYTES));
    const control = bytes.readUInt32LE(12);
    return { parameter: bytes.readBigUInt64LE(0), status: bytes.readUInt32LE(8), control, type: (control >> 10) & 0x3f, cycle: control & CYCLE };
  };
  return { kernel, trb };
}

describe("a transfer ring", () => {
  test("255 TRBs, then a link TRB back to the page's start with the lap's cycle and Toggle Cycle; the next lap has cycle 0", async () => {
    const { kernel, trb } = await ring();
    for (let i = 0; i < 255; i++) {
      expect(kernel.ringPush(BigInt(i), i, NORMAL << 10, false)).toBe(BigInt(BASE + i * TRB_BYTES));
    }
    expect(trb(254)).toMatchObject({ parameter: 254n, status: 254, type: NORMAL, cycle: 1 });
    expect(trb(255)).toMatchObject({ parameter: BigInt(BASE), type: LINK, cycle: 1 });
    expect(trb(255).control & TOGGLE).toBe(TOGGLE);
    expect(trb(255).control & CHAIN).toBe(0); // no TD runs across it
    expect(kernel.ringDequeue()).toBe(BigInt(BASE)); // cycle 0 now
    kernel.ringPush(7n, 7, NORMAL << 10, false);
    expect(trb(0)).toMatchObject({ parameter: 7n, type: NORMAL, cycle: 0 });
    expect(kernel.ringDequeue()).toBe(BigInt(BASE + TRB_BYTES));
  });

  test("a TD running across the link TRB has it chained, so the controller reads on into the next lap", async () => {
    const { kernel, trb } = await ring();
    for (let i = 0; i < 254; i++) kernel.ringPush(0n, 0, NORMAL << 10, false);
    kernel.ringPush(1n, 0, (NORMAL << 10) | CHAIN, true); // the TD's first TRB, the ring's last before the link
    expect(trb(255).type).toBe(LINK);
    expect(trb(255).control & CHAIN).toBe(CHAIN);
    kernel.ringPush(2n, 0, (NORMAL << 10) | IOC, false);
    expect(trb(0)).toMatchObject({ parameter: 2n, cycle: 0 });
  });
});

describe("a bulk TD", () => {
  test("cut where its buffer crosses 64 KiB boundaries, chained, the last TRB interrupting; TD Size counts the packets after each", async () => {
    const { kernel, trb } = await ring();
    // 72 KiB from 4 KiB below a boundary: 4 KiB, 64 KiB, 4 KiB.
    const last = kernel.ringQueueNormal(0x1f000n, 0x12000, 512);
    expect(last).toBe(BigInt(BASE + 2 * TRB_BYTES));
    const parts = [0, 1, 2].map(trb);
    expect(parts.map((part) => part.parameter)).toEqual([0x1f000n, 0x20000n, 0x30000n]);
    expect(parts.map((part) => part.status & 0x1ffff)).toEqual([0x1000, 0x10000, 0x1000]);
    expect(parts.map((part) => part.status >>> 17)).toEqual([31, 8, 0]); // 68 KiB left: 136 packets, capped at 31; 4 KiB: 8
    expect(parts.map((part) => part.control & (CHAIN | IOC))).toEqual([CHAIN, CHAIN, IOC]);
    expect(parts.every((part) => part.type === NORMAL && part.cycle === 1)).toBe(true);
  });

  test("a CBW of 31 bytes is one TRB that interrupts", async () => {
    const { kernel, trb } = await ring();
    expect(kernel.ringQueueNormal(0x5000n, 31, 512)).toBe(BigInt(BASE));
    expect(trb(0)).toMatchObject({ parameter: 0x5000n, status: 31 });
    expect(trb(0).control & (CHAIN | IOC)).toBe(IOC);
  });
});
