// The `optios` command line: help, unknown commands and options, options checked before building.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test, vi, type MockInstance } from "vitest";
import { main } from "../../toolchain/src/cli.ts";
import { toolchainRepository } from "../../toolchain/src/project.ts";

let printed: MockInstance;
let errors: MockInstance;

beforeEach(() => {
  printed = vi.spyOn(console, "log").mockImplementation(() => {});
  errors = vi.spyOn(console, "error").mockImplementation(() => {});
});

afterEach(() => vi.restoreAllMocks());

const output = (spy: MockInstance) => spy.mock.calls.map((call) => call.join(" ")).join("\n");

describe("optios", () => {
  test("--help lists the commands and exits 0", async () => {
    expect(await main(["--help"])).toBe(0);
    expect(output(printed)).toMatch(/usage: optios <command>[\s\S]*build[\s\S]*run/);
  });

  test.each(["build", "run"])("%s --help describes its options and exits 0 without building", async (command) => {
    expect(await main([command, "--help"])).toBe(0);
    expect(output(printed)).toContain(`usage: optios ${command} [options]`);
    expect(output(printed)).toContain("--root DIR");
    expect(await main(["help", command])).toBe(0);
  });

  test("an unknown command is refused with status 2 and a pointer to --help", async () => {
    expect(await main(["frobnicate"])).toBe(2);
    expect(output(errors)).toContain('optios: unknown command "frobnicate"');
    expect(output(errors)).toContain("optios --help");
    expect(await main(["help", "frobnicate"])).toBe(2);
  });

  test("an unknown option is refused with status 2, naming the option", async () => {
    expect(await main(["build", "--fast"])).toBe(2);
    expect(output(errors)).toMatch(/optios build: .*'--fast'/);
    expect(output(errors)).toContain("optios build --help");
  });

  test("build names its system as an argument or with --system, once", async () => {
    expect(await main(["build", "a.toml", "b.toml"])).toBe(2);
    expect(output(errors)).toContain("expected at most one system.toml, got a.toml, b.toml");
    expect(await main(["build", "a.toml", "--system", "b.toml"])).toBe(2);
    expect(output(errors)).toContain("name the system once");
    expect(await main(["build", "--root", "/nonexistent-optios-root", "systems/default/system.toml"])).toBe(1);
    expect(output(errors)).toContain("/nonexistent-optios-root/asconfig.json: not found");
  });

  test("bad run options fail before anything is built", async () => {
    expect(await main(["run", "--append", "console=serial"])).toBe(1);
    expect(output(errors)).toContain("--append needs --pvh");
    expect(await main(["run", "--accel", "hax"])).toBe(1);
    expect(output(errors)).toContain('--accel: expected tcg or kvm, got "hax"');
    expect(await main(["run", "--pvh", "--uefi"])).toBe(1);
    expect(await main(["run", "--memory", "plenty"])).toBe(1);
    expect(await main(["build", "--jobs", "0"])).toBe(1);
    expect(await main(["build", "--data", "lots"])).toBe(1);
    expect(output(errors)).toContain('--data: expected a size such as 64M or 1G, got "lots"');
    expect(output(printed)).not.toMatch(/asc|up to date/);
  });

  test("the package.json bin shim runs the TypeScript CLI", () => {
    const result = spawnSync(process.execPath, [join(toolchainRepository, "toolchain/bin/optios.js"), "help", "run"], {
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("usage: optios run [options]");
  });
});
