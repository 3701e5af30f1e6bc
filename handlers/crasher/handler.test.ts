// crasher: a run in every third second fails, and the kernel's rollback leaves the count as the last good run left it.
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadHandler } from "../../toolchain/src/harness/index.ts";

it("fails in every third second, and the failed run changes nothing", async () => {
  const crasher = await loadHandler(join(import.meta.dirname, "handler.ts"));
  expect(crasher.timer().logs).toEqual(["crasher: run 1 ok (state kept across rolled-back runs)"]);
  crasher.advance("2s");
  const failed = crasher.timer();
  expect(failed).toMatchObject({ committed: false, trap: { name: "ABORT" } });
  expect(failed.failure).toMatch(/^aborted: crasher fails on purpose at handlers\/crasher\/handler\.ts:\d+:\d+$/);
  crasher.advance("1s");
  expect(crasher.timer().logs).toEqual(["crasher: run 2 ok (state kept across rolled-back runs)"]);
  expect(crasher.status).toMatchObject({ runs: 3n, failures: 1n, consecutiveFailures: 0 });
});
