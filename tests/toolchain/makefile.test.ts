// The Makefile front door: SYSTEM= picks the system `make` and `make run` build.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { toolchainRepository } from "../../toolchain/src/project.ts";

/**
 * The optios commands `make <arguments>` would run (make -n runs none of them). The variables
 * of a make this test may run under (make test) are left out, so it plans as a user's make would.
 */
function planned(...argumentList: string[]): string[] {
  const { MAKEFLAGS, MAKELEVEL, MFLAGS, MAKEOVERRIDES, ...environment } = process.env;
  const output = execFileSync("make", ["-n", "--no-print-directory", ...argumentList], { cwd: toolchainRepository, encoding: "utf8", env: environment });
  return output.split("\n").map((line) => line.trim()).filter((line) => line.startsWith("node toolchain/bin/optios.js"));
}

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
