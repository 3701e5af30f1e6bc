// The Makefile front door: SYSTEM= picks the system `make` and `make run` build.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { toolchainRepository } from "../../toolchain/src/project.ts";

/** The commands `make <arguments>` would run (make -n runs none of them). */
const planned = (...argumentList: string[]) =>
  execFileSync("make", ["-n", ...argumentList], { cwd: toolchainRepository, encoding: "utf8" }).trim().split("\n");

describe("make SYSTEM=", () => {
  it("builds the named system", () => {
    expect(planned("all", "SYSTEM=tests/qemu/systems/storm.toml")).toContain(
      "node toolchain/bin/optios.js build --system 'tests/qemu/systems/storm.toml'");
  });

  it("runs the named system, with the other run options", () => {
    expect(planned("run", "SYSTEM=systems/kitchen/system.toml", "PVH=1")).toContain(
      "node toolchain/bin/optios.js run --system 'systems/kitchen/system.toml' --pvh");
  });

  it("builds the default system without it", () => {
    expect(planned("all").at(-1)).toBe("node toolchain/bin/optios.js build");
  });
});
