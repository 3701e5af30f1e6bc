// Per-handler event queues: one handler's flood fills only its own queue; storms are detected, throttled and end.
import { beforeEach, describe, expect, it } from "vitest";
import { startKernel, type KernelUnderTest } from "./fake_machine";

const SECOND = 1_000_000_000n;
const INTERVAL = 100_000_000n; // THROTTLE_INTERVAL_NANOSECONDS
const STORM = 64; // STORM_REFUSALS
const STARTED = 1;
const ENDED = 2;

let under: KernelUnderTest;
beforeEach(async () => {
  under = await startKernel(undefined, "queues_under_test");
  under.kernel.queuesCreate(3, 4);
});

describe("per-handler queues", () => {
  it("a flood fills only its own handler's queue: the others still take every event", () => {
    for (let i = 0; i < 100; i++) under.kernel.queuesPost(0, i);
    expect(under.kernel.queuesCount(0)).toBe(4);
    expect(under.kernel.queuesDropped(0)).toBe(96n);
    for (let i = 0; i < 4; i++) expect(under.kernel.queuesPost(1, 1000 + i)).toBe(1);
    expect(under.kernel.queuesCount(1)).toBe(4);
    expect(under.kernel.queuesDropped(1)).toBe(0n);
    expect(under.kernel.queuesTake(1)).toBe(1000n);
  });

  it("a handler's own queue depth (system.toml queue) bounds its queue alone; the others keep the default", () => {
    const deep = under.kernel.queuesAdd(10);
    for (let i = 0; i < 12; i++) under.kernel.queuesPost(deep, i);
    expect(under.kernel.queuesCount(deep)).toBe(10);
    expect(under.kernel.queuesDropped(deep)).toBe(2n);
    for (let i = 0; i < 6; i++) under.kernel.queuesPost(0, i);
    expect(under.kernel.queuesCount(0)).toBe(4);
    // Messages and events share the queue in the order they came: a sender's posts stay in order.
    expect(Array.from({ length: 10 }, () => under.kernel.queuesTake(deep))).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));
  });

  it("each queue is first in, first out", () => {
    for (const source of [7, 8, 9]) under.kernel.queuesPost(2, source);
    expect([under.kernel.queuesTake(2), under.kernel.queuesTake(2), under.kernel.queuesTake(2), under.kernel.queuesTake(2)])
      .toEqual([7n, 8n, 9n, -1n]);
  });

  it("a rolled-back run's emits are withdrawn from every queue, and only those", () => {
    under.kernel.queuesPost(0, 1);
    const mark = under.kernel.queuesNextSequence();
    under.kernel.queuesPost(1, 2);
    under.kernel.queuesPost(2, 3);
    under.kernel.queuesPost(0, 4);
    expect(under.kernel.queuesDiscardPostedSince(mark)).toBe(3);
    expect([under.kernel.queuesCount(0), under.kernel.queuesCount(1), under.kernel.queuesCount(2)]).toEqual([1, 0, 0]);
    expect(under.kernel.queuesTake(0)).toBe(1n);
  });
});

describe("storms", () => {
  it(`a source whose emits are refused ${STORM} times within a second is throttled, once`, () => {
    for (let i = 1; i < STORM; i++) expect(under.kernel.queuesRecordRefusal(0, BigInt(i) * 1000n)).toBe(0);
    expect(under.kernel.queuesThrottled(0)).toBe(0);
    expect(under.kernel.queuesRecordRefusal(0, 64_000n)).toBe(STARTED);
    expect(under.kernel.queuesThrottled(0)).toBe(1);
    expect(under.kernel.queuesRecordRefusal(0, 65_000n)).toBe(0); // already a storm: no second start
    expect(under.kernel.queuesThrottled(1)).toBe(0);
  });

  it("refusals spread over more than a second are no storm", () => {
    for (let i = 0; i < 3 * STORM; i++) expect(under.kernel.queuesRecordRefusal(0, BigInt(i) * (SECOND / 32n))).not.toBe(STARTED);
    expect(under.kernel.queuesThrottled(0)).toBe(0);
  });

  it("a throttled handler runs at most once per interval", () => {
    for (let i = 0; i < STORM; i++) under.kernel.queuesRecordRefusal(0, 1000n);
    const now = 1000n + INTERVAL;
    expect(under.kernel.queuesMayRun(0, now - 1n)).toBe(0);
    expect(under.kernel.queuesMayRun(0, now)).toBe(1);
    expect(under.kernel.queuesMayRun(0, now + 1n)).toBe(0);
    expect(under.kernel.queuesMayRun(0, now + INTERVAL)).toBe(1);
    expect(under.kernel.queuesMayRun(1, now)).toBe(1); // the others are never held back
  });

  it("a storm ends after a whole window without a refusal, not before", () => {
    for (let i = 0; i < STORM; i++) under.kernel.queuesRecordRefusal(0, 1000n);
    under.kernel.queuesRecordRefusal(0, SECOND + 2000n); // a refusal in the next window keeps it going
    expect(under.kernel.queuesSettle(0, SECOND + 3000n)).toBe(0);
    expect(under.kernel.queuesSettle(0, 2n * SECOND + 3000n)).toBe(0); // that window had a refusal
    expect(under.kernel.queuesThrottled(0)).toBe(1);
    expect(under.kernel.queuesSettle(0, 3n * SECOND + 4000n)).toBe(ENDED);
    expect(under.kernel.queuesThrottled(0)).toBe(0);
  });
});
