// heartbeat: its run count persists from one run to the next.
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadHandler } from "../../toolchain/src/harness/index.ts";

it("logs its persisted run count", async () => {
  const heartbeat = await loadHandler(join(import.meta.dirname, "handler.ts"));
  expect([heartbeat.timer(), heartbeat.timer(), heartbeat.timer()].map((run) => run.logs)).toEqual([
    ["heartbeat: run 1"], ["heartbeat: run 2"], ["heartbeat: run 3"],
  ]);
});
