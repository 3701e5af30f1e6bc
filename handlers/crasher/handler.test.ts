// crasher: a run in every tenth second fails, and the kernel's rollback leaves the count as the last good run left it.
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadHandler } from "../../toolchain/src/harness/index.ts";

it("fails in every tenth second, and the failed run changes nothing", async () => {
  const crasher = await loadHandler(join(import.meta.dirname, "handler.ts"));
  expect(crasher.timer().logs).toEqual(["crasher: run 1 ok (state kept across rolled-back runs)"]);
  crasher.advance("9s");
  const failed = crasher.timer();
  expect(failed).toMatchObject({ committed: false, trap: { name: "ABORT" } });
  expect(failed.failure).toMatch(/^aborted: crasher fails on purpose at handlers\/crasher\/handler\.ts:\d+:\d+$/);
  expect(failed.logLines).toEqual([{ level: 4, text: "crasher: run 2 fails now; the kernel will roll it back" }]);
  crasher.advance("1s");
  // Good runs after the first are logged at debug level (7), so the console stays quiet.
  expect(crasher.timer().logLines).toEqual([{ level: 7, text: "crasher: run 2 ok (state kept across rolled-back runs)" }]);
  expect(crasher.status).toMatchObject({ runs: 3n, failures: 1n, consecutiveFailures: 0 });
});
