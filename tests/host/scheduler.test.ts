// The foreground scheduling policy: slots, round robin, waiting for input, ending and reaping.
import { beforeEach, describe, expect, test } from "vitest";
import { startKernel, type KernelUnderTest } from "./fake_machine.ts";

const FREE = 0;
const RUNNABLE = 1;
const WAITING = 2;
const ENDED = 3;

let k: KernelUnderTest["kernel"];

beforeEach(async () => {
  ({ kernel: k } = await startKernel(undefined, "scheduler_under_test"));
  k.create(4);
});

/** The next `count` picks. */
function picks(count: number): number[] {
  return Array.from({ length: count }, () => k.pickNext() as number);
}

describe("foreground scheduler", () => {
  test("nothing runs before a program is started", () => {
    expect(k.pickNext()).toBe(-1);
    expect(k.freeSlot()).toBe(0);
  });

  test("runnable programs take turns, round robin, and each turn is counted", () => {
    k.occupy(0);
    k.occupy(1);
    k.occupy(3);
    expect(picks(7)).toEqual([0, 1, 3, 0, 1, 3, 0]);
    expect([k.turns(0), k.turns(1), k.turns(3)]).toEqual([3n, 2n, 2n]);
    expect(Boolean(k.needsTimeSlice())).toBe(true);
  });

  test("a lone runnable program runs without a time slice", () => {
    k.occupy(2);
    expect(picks(3)).toEqual([2, 2, 2]);
    expect(Boolean(k.needsTimeSlice())).toBe(false);
  });

  test("a program waiting for input is skipped until its input arrives", () => {
    k.occupy(0);
    k.occupy(1);
    k.wait(0);
    expect(k.state(0)).toBe(WAITING);
    expect(picks(3)).toEqual([1, 1, 1]);
    k.wake(0);
    expect(k.state(0)).toBe(RUNNABLE);
    expect(picks(2)).toEqual([0, 1]);
  });

  test("with every program waiting nothing is runnable: the CPU may halt", () => {
    k.occupy(0);
    k.wait(0);
    expect(k.pickNext()).toBe(-1);
  });

  test("waking a program that is not waiting changes nothing", () => {
    k.occupy(0);
    k.wake(0);
    k.wake(1);
    expect([k.state(0), k.state(1)]).toEqual([RUNNABLE, FREE]);
  });

  test("an ended program is never picked and its slot is free again once reaped", () => {
    k.occupy(0);
    k.occupy(1);
    k.end(0);
    expect(k.state(0)).toBe(ENDED);
    expect(picks(2)).toEqual([1, 1]);
    expect(k.freeSlot()).toBe(2);
    k.reap(0);
    expect(k.state(0)).toBe(FREE);
    expect(k.freeSlot()).toBe(0);
  });

  test("every slot taken: no free slot", () => {
    k.create(2);
    k.occupy(0);
    k.occupy(1);
    expect(k.freeSlot()).toBe(-1);
  });
});
