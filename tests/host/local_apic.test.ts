// The local APIC's timer: a handler run arms it only when the timer would fire later than
// the run's budget allows (docs/handlers.md, "Budget"), since every write to it is an exit to
// the hypervisor in a VM. The registers are the fake machine's memory at the APIC's base.
import { expect, test } from "vitest";
import { startKernel } from "./fake_machine";

const BASE = 0xfee00000;
const INITIAL_COUNT = BASE + 0x380;
const CURRENT_COUNT = BASE + 0x390;
const TSC_HZ = 1_000_000_000n;
/** Timer ticks per second the calibration measures: 62,500 in its 1 ms (QEMU's 1 GHz bus clock, divided by 16). */
const TICKS_PER_MILLISECOND = 62_500;
const MILLISECOND = 1_000_000n;

test("the budget timer is armed only when it would fire too late: runs one after another share one arming", async () => {
  const { kernel, machine } = await startKernel((fake) => {
    fake.hardwareFakes.read_msr = () => BigInt(BASE) | 0x900n;
    // What the counter reads after the calibration's millisecond.
    fake.writePhysical(CURRENT_COUNT, Buffer.from(new Uint32Array([0xffffffff - TICKS_PER_MILLISECOND]).buffer));
  }, "local_apic_under_test");
  expect(kernel.initialize(TSC_HZ)).toBe(BigInt(TICKS_PER_MILLISECOND * 1000));
  const count = () => Buffer.from(machine.readPhysical(INITIAL_COUNT, 4)).readUInt32LE();
  const UNTOUCHED = 7;
  const mark = () => machine.writePhysical(INITIAL_COUNT, Buffer.from(new Uint32Array([UNTOUCHED]).buffer));

  kernel.arm(10n * MILLISECOND);
  expect(count()).toBe(10 * TICKS_PER_MILLISECOND);
  mark();
  kernel.armWithin(50n * MILLISECOND); // fires within 10 ms already: sooner than needed is fine
  expect(count()).toBe(UNTOUCHED);
  kernel.armWithin(10n * MILLISECOND); // a little of those 10 ms has passed: still soon enough
  expect(count()).toBe(UNTOUCHED);
  kernel.armWithin(5n * MILLISECOND); // too late for a 5 ms budget: armed again
  expect(count()).toBe(5 * TICKS_PER_MILLISECOND);

  machine.tsc += 20n * MILLISECOND; // the timer has fired: nothing is armed
  mark();
  kernel.armWithin(50n * MILLISECOND);
  expect(count()).toBe(50 * TICKS_PER_MILLISECOND);

  kernel.disarm();
  expect(count()).toBe(0);
  kernel.armWithin(50n * MILLISECOND); // disarmed: armed again
  expect(count()).toBe(50 * TICKS_PER_MILLISECOND);
});
