// doorbell: its timer emits "door.opened" (granted in systems/kitchen/system.toml), and each "door.opened" rings once more.
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadHandler } from "../../toolchain/src/harness/index.ts";

const system = join(import.meta.dirname, "../../systems/kitchen/system.toml");

it("opens the door on its timer and counts the rings", async () => {
  const doorbell = await loadHandler(join(import.meta.dirname, "handler.ts"), { system });
  expect(doorbell.timer().emitted.map((event) => event.name)).toEqual(["door.opened"]);
  expect(doorbell.post("door.opened").logs).toEqual(["doorbell: ding dong (1 ring)"]);
  expect(doorbell.post("door.opened").logs).toEqual(["doorbell: ding dong (2 rings)"]);
});

it("is refused an event its grant does not name", async () => {
  const doorbell = await loadHandler(join(import.meta.dirname, "handler.ts"), { capabilities: ["emit:window.*"] });
  expect(doorbell.timer().emitted).toEqual([]);
  expect(doorbell.refusals).toEqual(["gate: refused doorbell's call emit: it needs the capability emit:door.opened"]);
});
