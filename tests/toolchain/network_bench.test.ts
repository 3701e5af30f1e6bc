// make bench's network figures: how the highest loss-free UDP rate is searched (network_bench.ts).
import { describe, expect, test } from "vitest";
import { highestLossFreeRate } from "../../toolchain/src/bench/network_bench.ts";

/** A guest that answers every burst up to `capacity` datagrams a second; the rates it was tried at. */
function guest(capacity: number) {
  const tried: number[] = [];
  const answersAll = async (rate: number) => {
    tried.push(rate);
    return rate <= capacity;
  };
  return { tried, answersAll };
}

describe("the highest loss-free UDP rate", () => {
  test("doubles until a burst loses, then bisects between the last two to 1,000 a second", async () => {
    const { tried, answersAll } = guest(13_400);
    expect(await highestLossFreeRate(answersAll)).toBe(13_000);
    expect(tried).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 12_000, 14_000, 13_000]);
  });

  test("a guest that loses at the first rate scores 0, one that never loses the highest rate tried", async () => {
    expect(await highestLossFreeRate(guest(500).answersAll)).toBe(0);
    expect(await highestLossFreeRate(guest(1_000_000).answersAll)).toBe(32_000);
  });

  test("a capacity exactly on a rate counts that rate", async () => {
    expect(await highestLossFreeRate(guest(16_000).answersAll)).toBe(16_000);
    expect(await highestLossFreeRate(guest(24_999).answersAll)).toBe(24_000);
  });
});
