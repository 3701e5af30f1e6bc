// Event plumbing for handlers (kernel/events/): durations, the bounded queue, tickless timers, supervision.
import { beforeEach, describe, expect, it } from "vitest";
import { KernelUnderTest, startKernel } from "./fake_machine";

const MILLISECOND = 1_000_000n;
const SECOND = 1_000_000_000n;
let under: KernelUnderTest;

beforeEach(async () => {
  under = await startKernel();
});

describe("durations", () => {
  const parse = (text: string) => under.kernel.durationParseInput(under.input(text));

  it("reads a whole number with one unit, in nanoseconds", () => {
    expect(parse("250ms")).toBe(250n * MILLISECOND);
    expect(parse("2s")).toBe(2n * SECOND);
    expect(parse("1m")).toBe(60n * SECOND);
    expect(parse("3h")).toBe(3n * 3600n * SECOND);
    expect(parse("15us")).toBe(15_000n);
    expect(parse("7ns")).toBe(7n);
    expect(parse("0s")).toBe(0n);
  });

  it("refuses anything else with -1", () => {
    for (const bad of ["", "ms", "250", "2.5s", "-1s", "2 s", "2sec", "1d", "9999999999999999s"]) {
      expect(parse(bad), bad).toBe(-1n);
    }
  });
});

describe("event queue", () => {
  const post = (handler: number, source: number, payload: string, name = 0) =>
    under.kernel.queuePostInput(handler, 3, source, name, 1000n + BigInt(source), under.input(payload));
  const take = (handler = -1) => (under.kernel.queueTake(handler) ? under.result() : null);

  beforeEach(() => under.kernel.queueCreate(4, 16));

  it("delivers in posting order with kind, source, name, timestamp and payload", () => {
    expect(post(0, 1, "first", 7)).toBe(1);
    expect(post(1, 2, "second")).toBe(1);
    expect(take()).toBe("0 3 1 7 1001 first");
    expect(take()).toBe("1 3 2 0 1002 second");
    expect(take()).toBeNull();
  });

  it("drops and counts what does not fit, keeping everything already queued intact", () => {
    for (let i = 0; i < 4; i++) expect(post(0, i, `event ${i}`)).toBe(1);
    expect(post(0, 9, "overflow")).toBe(0);
    expect(post(0, 9, "x".repeat(17))).toBe(0); // longer than the 16-byte payload limit
    expect(under.kernel.queueDropped()).toBe(2n);
    expect(under.kernel.queueCount()).toBe(4);
    for (let i = 0; i < 4; i++) expect(take()).toBe(`0 3 ${i} 0 ${1000 + i} event ${i}`);
  });

  it("takes the oldest delivery of one handler and keeps the others in order", () => {
    post(0, 1, "a");
    post(1, 2, "b");
    post(0, 3, "c");
    post(1, 4, "d");
    expect(under.kernel.queueCountFor(1)).toBe(2);
    expect(take(1)).toBe("1 3 2 0 1002 b");
    expect(take()).toBe("0 3 1 0 1001 a");
    expect(take()).toBe("0 3 3 0 1003 c");
    expect(take()).toBe("1 3 4 0 1004 d");
  });

  it("keeps working across the ring's wrap-around", () => {
    for (let round = 0; round < 10; round++) {
      post(round % 2, round, `r${round}`);
      post(round % 2, round + 100, `s${round}`);
      expect(take()).toBe(`${round % 2} 3 ${round} 0 ${1000 + round} r${round}`);
      expect(take()).toBe(`${round % 2} 3 ${round + 100} 0 ${1100 + round} s${round}`);
    }
    expect(under.kernel.queueDropped()).toBe(0n);
  });

  it("withdraws what was posted since a point (a rolled-back run's emits), keeping what came before", () => {
    post(0, 1, "before");
    const mark = under.kernel.queueNextSequence();
    post(1, 2, "during");
    post(2, 3, "during too");
    expect(under.kernel.queueDiscardPostedSince(mark)).toBe(2);
    expect(take()).toBe("0 3 1 0 1001 before");
    expect(take()).toBeNull();
  });

  it("puts a failed delivery back at the front, ahead of later ones, payload intact", () => {
    post(0, 1, "failed");
    post(0, 2, "later");
    expect(under.kernel.queueTakeAndPushFront()).toBe(1);
    expect(take()).toBe("0 3 1 0 1001 failed");
    expect(take()).toBe("0 3 2 0 1002 later");
  });

  it("refuses to push back into a full queue and counts the drop", () => {
    for (let i = 0; i < 4; i++) post(0, i, `e${i}`);
    under.kernel.queueTake(-1);
    post(0, 9, "fills it");
    expect(under.kernel.queueTakeAndPushFront()).toBe(1); // take frees a slot first
    for (let i = 0; i < 4; i++) expect(take()).not.toBeNull();
    expect(under.kernel.queueDropped()).toBe(0n);
  });

  it("discards every delivery of one handler", () => {
    post(0, 1, "a");
    post(1, 2, "b");
    post(0, 3, "c");
    expect(under.kernel.queueDiscardFor(0)).toBe(2);
    expect(take()).toBe("1 3 2 0 1002 b");
    expect(take()).toBeNull();
  });
});

describe("timers", () => {
  beforeEach(() => under.kernel.timersCreate(4));

  it("reports no deadline when there are no timers (the machine may sleep indefinitely)", () => {
    expect(BigInt.asUintN(64, under.kernel.timersNextDeadline())).toBe(2n ** 64n - 1n);
    expect(under.kernel.timersTakeDue(10n * SECOND)).toBe(-1);
  });

  it("fires a one-shot timer once, at its deadline", () => {
    const timer = under.kernel.timersAdd(0, 0n, 2n * SECOND, 0n);
    expect(under.kernel.timersNextDeadline()).toBe(2n * SECOND);
    expect(under.kernel.timersTakeDue(2n * SECOND - 1n)).toBe(-1);
    expect(under.kernel.timersTakeDue(2n * SECOND)).toBe(timer);
    expect(under.kernel.timersTakeDue(3n * SECOND)).toBe(-1);
    expect(BigInt.asUintN(64, under.kernel.timersNextDeadline())).toBe(2n ** 64n - 1n);
  });

  it("re-arms a periodic timer and programs the earliest of several", () => {
    const slow = under.kernel.timersAdd(0, 0n, SECOND, SECOND);
    const fast = under.kernel.timersAdd(1, 0n, 250n * MILLISECOND, 250n * MILLISECOND);
    expect(under.kernel.timersNextDeadline()).toBe(250n * MILLISECOND);
    expect(under.kernel.timersTakeDue(250n * MILLISECOND)).toBe(fast);
    expect(under.kernel.timersNextDeadline()).toBe(500n * MILLISECOND);
    expect(under.kernel.timersTakeDue(SECOND)).toBe(slow);
    expect(under.kernel.timersTakeDue(SECOND)).toBe(fast);
    expect(under.kernel.timersTakeDue(SECOND)).toBe(-1);
    expect(under.kernel.timersNextDeadline()).toBe(1250n * MILLISECOND);
  });

  it("skips and counts periods missed while the machine was busy, instead of firing a burst", () => {
    const timer = under.kernel.timersAdd(0, 0n, SECOND, SECOND);
    expect(under.kernel.timersTakeDue(3n * SECOND + 500n * MILLISECOND)).toBe(timer);
    expect(under.kernel.timersTakeDue(3n * SECOND + 500n * MILLISECOND)).toBe(-1);
    expect(under.kernel.timersMissed(timer)).toBe(2n);
    expect(under.kernel.timersFired(timer)).toBe(1n);
    expect(under.kernel.timersNextDeadline()).toBe(4n * SECOND);
  });

  it("refuses timers beyond its capacity and stops a handler's timers", () => {
    for (let i = 0; i < 4; i++) expect(under.kernel.timersAdd(i % 2, 0n, SECOND, 0n)).toBe(i);
    expect(under.kernel.timersAdd(0, 0n, SECOND, 0n)).toBe(-1);
    expect(under.kernel.timersStopFor(0)).toBe(2);
    expect(under.kernel.timersTakeDue(SECOND)).toBe(1);
    expect(under.kernel.timersTakeDue(SECOND)).toBe(3);
    expect(under.kernel.timersTakeDue(SECOND)).toBe(-1);
  });
});

describe("supervision", () => {
  beforeEach(() => under.kernel.supervisionSetPolicy(3, 100n * MILLISECOND, 250n * MILLISECOND));

  it("doubles the back-off with each consecutive failure, up to the cap", () => {
    expect(under.kernel.supervisionBackoff(1)).toBe(100n * MILLISECOND);
    expect(under.kernel.supervisionBackoff(2)).toBe(200n * MILLISECOND);
    expect(under.kernel.supervisionBackoff(3)).toBe(250n * MILLISECOND);
    expect(under.kernel.supervisionBackoff(40)).toBe(250n * MILLISECOND);
  });

  it("holds a failed handler back until its retry time", () => {
    expect(under.kernel.supervisionFailure(SECOND, 5)).toBe(0);
    expect(under.kernel.supervisionRetryAt()).toBe(SECOND + 100n * MILLISECOND);
    expect(under.kernel.supervisionRunnable(SECOND + 99n * MILLISECOND)).toBe(0);
    expect(under.kernel.supervisionRunnable(SECOND + 100n * MILLISECOND)).toBe(1);
    expect(under.kernel.supervisionLastTrap()).toBe(5);
  });

  it("quarantines after the maximum consecutive failures, until restarted", () => {
    expect(under.kernel.supervisionFailure(0n, 1)).toBe(0);
    expect(under.kernel.supervisionFailure(SECOND, 1)).toBe(0);
    expect(under.kernel.supervisionFailure(2n * SECOND, 3)).toBe(1);
    expect(under.kernel.supervisionRunnable(100n * SECOND)).toBe(0);
    under.kernel.supervisionRestart();
    expect(under.kernel.supervisionRunnable(100n * SECOND)).toBe(1);
    expect(under.kernel.supervisionRestarts()).toBe(1n);
    expect(under.kernel.supervisionFailures()).toBe(3n);
  });

  it("clears the streak after one successful run", () => {
    under.kernel.supervisionFailure(0n, 1);
    under.kernel.supervisionFailure(SECOND, 1);
    under.kernel.supervisionSuccess();
    expect(under.kernel.supervisionConsecutive()).toBe(0);
    expect(under.kernel.supervisionFailure(2n * SECOND, 1)).toBe(0);
    expect(under.kernel.supervisionRetryAt()).toBe(2n * SECOND + 100n * MILLISECOND);
    expect(under.kernel.supervisionRuns()).toBe(4n);
  });
});
