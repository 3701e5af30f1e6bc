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
  kernel.armWithin(50n * MILLISECOND, 50n * MILLISECOND); // fires within 10 ms already: sooner than needed is fine
  expect(count()).toBe(UNTOUCHED);
  kernel.armWithin(10n * MILLISECOND, 10n * MILLISECOND); // a little of those 10 ms has passed: still soon enough
  expect(count()).toBe(UNTOUCHED);
  kernel.armWithin(5n * MILLISECOND, 5n * MILLISECOND); // too late for a 5 ms budget: armed again
  expect(count()).toBe(5 * TICKS_PER_MILLISECOND);

  machine.tsc += 20n * MILLISECOND; // the timer has fired: nothing is armed
  mark();
  kernel.armWithin(50n * MILLISECOND, 50n * MILLISECOND);
  expect(count()).toBe(50 * TICKS_PER_MILLISECOND);

  kernel.disarm();
  expect(count()).toBe(0);
  kernel.armWithin(50n * MILLISECOND, 50n * MILLISECOND); // disarmed: armed again
  expect(count()).toBe(50 * TICKS_PER_MILLISECOND);
});

test("a run arms the timer for the shortest budget, so the shorter-budget runs after it need no write of their own", async () => {
  const { kernel, machine } = await startKernel((fake) => {
    fake.hardwareFakes.read_msr = () => BigInt(BASE) | 0x900n;
    fake.writePhysical(CURRENT_COUNT, Buffer.from(new Uint32Array([0xffffffff - TICKS_PER_MILLISECOND]).buffer));
  }, "local_apic_under_test");
  kernel.initialize(TSC_HZ);
  const count = () => Buffer.from(machine.readPhysical(INITIAL_COUNT, 4)).readUInt32LE();
  const UNTOUCHED = 7;
  const mark = () => machine.writePhysical(INITIAL_COUNT, Buffer.from(new Uint32Array([UNTOUCHED]).buffer));

  const firesWithin = (nanoseconds: bigint) => kernel.firesWithin(nanoseconds) !== 0;
  expect(firesWithin(1000n * MILLISECOND)).toBe(false); // nothing armed
  kernel.armWithin(20n * MILLISECOND, 10n * MILLISECOND); // the network stack's 20 ms; the echo handler's 10 ms is the shortest
  expect(count()).toBe(10 * TICKS_PER_MILLISECOND);
  expect(firesWithin(10n * MILLISECOND)).toBe(true);
  expect(firesWithin(9n * MILLISECOND)).toBe(false);
  mark();
  machine.tsc += 1n * MILLISECOND;
  const asked = kernel.timesAsked();
  kernel.armWithin(10n * MILLISECOND, 10n * MILLISECOND); // the echo's run
  kernel.armWithin(20n * MILLISECOND, 10n * MILLISECOND); // the stack's again
  expect(count()).toBe(UNTOUCHED);
  expect(kernel.timesAsked()).toBe(asked); // the shortest budget is looked up only to arm
  expect(firesWithin(9n * MILLISECOND)).toBe(true);

  kernel.armWithin(5n * MILLISECOND, 50n * MILLISECOND); // never armed for longer than the budget it must meet
  expect(count()).toBe(5 * TICKS_PER_MILLISECOND);
  machine.tsc += 6n * MILLISECOND; // fired: it fires within nothing any more
  expect(firesWithin(1000n * MILLISECOND)).toBe(false);
});
