// The gc benchmark on a small synthetic store: both collectors agree on what is garbage.
import { describe, expect, it } from "vitest";
import { benchmarkGarbageCollection } from "../../../toolchain/src/store/gc_bench.ts";

describe("gc benchmark", () => {
  it("collects the oldest generation's entries (1 in 10 here) by both methods and reports a ratio", async () => {
    const result = await benchmarkGarbageCollection({ entries: 200, generations: 10 });
    expect(result).toMatchObject({ entries: 200, generations: 10, garbageEntries: 20 });
    expect(result.ratio).toBeGreaterThan(0);
  });
});
