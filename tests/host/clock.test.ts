// The CMOS real-time clock read at boot: BCD and binary, 12- and 24-hour, and a clock that reads nonsense.
import { describe, expect, it } from "vitest";
import { type FakeMachine, startKernel } from "./fake_machine";

const INDEX = 0x70;
const DATA = 0x71;

/** Gives the fake machine an RTC whose registers are `registers` (index → value). */
function withRtc(registers: Record<number, number>): (machine: FakeMachine) => void {
  return (machine) => {
    let selected = 0;
    machine.onPortWrite = (port, value) => {
      if (port === INDEX) selected = value & 0x7f;
    };
    machine.portValues.set(DATA, () => registers[selected] ?? 0);
  };
}

const rtcRead = async (registers: Record<number, number>) => (await startKernel(withRtc(registers), "clock_under_test")).kernel.rtcRead();

describe("the real-time clock", () => {
  it("reads BCD in 24-hour mode (the PC default) as seconds since the Unix epoch", async () => {
    // 2026-11-27 15:20:01
    const seconds = await rtcRead({ 0x00: 0x01, 0x02: 0x20, 0x04: 0x15, 0x07: 0x27, 0x08: 0x11, 0x09: 0x26, 0x0a: 0x26, 0x0b: 0x02 });
    expect(seconds).toBe(BigInt(Date.UTC(2026, 10, 27, 15, 20, 1) / 1000));
  });

  it("reads binary values and the 12-hour clock's PM bit", async () => {
    // 2024-02-29 11:59:58 PM, binary, 12-hour
    const seconds = await rtcRead({ 0x00: 58, 0x02: 59, 0x04: 0x80 | 11, 0x07: 29, 0x08: 2, 0x09: 24, 0x0a: 0x26, 0x0b: 0x04 });
    expect(seconds).toBe(BigInt(Date.UTC(2024, 1, 29, 23, 59, 58) / 1000));
  });

  it("reads 12 AM as midnight", async () => {
    const seconds = await rtcRead({ 0x00: 0, 0x02: 0, 0x04: 12, 0x07: 1, 0x08: 1, 0x09: 30, 0x0a: 0x26, 0x0b: 0x04 });
    expect(seconds).toBe(BigInt(Date.UTC(2030, 0, 1, 0, 0, 0) / 1000));
  });

  it("says -1 (no wall clock) for a clock that reads nonsense, or one stuck in its update", async () => {
    expect(await rtcRead({ 0x00: 0x99, 0x02: 0x20, 0x04: 0x15, 0x07: 0x27, 0x08: 0x11, 0x09: 0x26, 0x0b: 0x02 })).toBe(-1n);
    expect(await rtcRead({ 0x0a: 0x80 })).toBe(-1n);
  });

  it("converts calendar dates like the C library does", async () => {
    const { kernel } = await startKernel(undefined, "clock_under_test");
    for (const [year, month, day] of [[1970, 1, 1], [2000, 2, 29], [2038, 1, 19], [2099, 12, 31]]) {
      expect(kernel.civilToUnix(year, month, day, 3, 4, 5)).toBe(BigInt(Date.UTC(year, month - 1, day, 3, 4, 5) / 1000));
    }
  });
});
