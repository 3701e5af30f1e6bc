// heartbeat: its run count persists from one run to the next; it says so once at info level, then at debug level.
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadHandler } from "../../toolchain/src/harness/index.ts";

it("logs its persisted run count, the first run at info level and the beats after at debug level", async () => {
  const heartbeat = await loadHandler(join(import.meta.dirname, "handler.ts"));
  expect([heartbeat.timer(), heartbeat.timer(), heartbeat.timer()].map((run) => run.logLines)).toEqual([
    [{ level: 6, text: "heartbeat: run 1 (one a second from now on, at debug level: log debug shows them)" }],
    [{ level: 7, text: "heartbeat: run 2" }],
    [{ level: 7, text: "heartbeat: run 3" }],
  ]);
});
