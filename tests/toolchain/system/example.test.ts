// docs/system-config.md's complete example, systems/kitchen/system.toml, loads as documented (doc_examples.test.ts checks the block is that file).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toolchainRepository } from "../../../toolchain/src/project.ts";
import { loadSystem } from "../../../toolchain/src/system/load.ts";

const EXAMPLE = "systems/kitchen/system.toml";

describe("the documented complete example", () => {
  it("loads: it overrides what base.toml sets and adds a doorbell that may emit door events", async () => {
    const { config } = await loadSystem(join(toolchainRepository, EXAMPLE), { root: toolchainRepository });
    expect(config.system).toEqual({ hostname: "kitchen", version: "0.2.0", keepGenerations: 5, deploy: false });
    expect(config.foreground).toEqual({ max: 2, programs: ["shell", "counter"] });
    expect(config.handlers.map((handler) => handler.name)).toEqual(["heartbeat", "doorbell", "net"]); // net: the stack [network] adds
    expect(config.handlers[1].capabilities).toEqual(["emit:door.*"]);
  });
});
