// `optios new handler|program`: what it scaffolds compiles and its own test passes, run as a user would.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toolchainRepository } from "../../toolchain/src/project.ts";

const root = mkdtempSync(join(tmpdir(), "optios-new-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const optios = (...argumentList: string[]) =>
  execFileSync(process.execPath, [join(toolchainRepository, "toolchain/bin/optios.js"), ...argumentList], { encoding: "utf8" });

describe("optios new", () => {
  it("scaffolds a handler and a program, each with a test that passes against a fake kernel", () => {
    symlinkSync(join(toolchainRepository, "node_modules"), join(root, "node_modules"));
    cpSync(join(toolchainRepository, "handlers/api"), join(root, "handlers/api"), { recursive: true });
    expect(optios("new", "handler", "doorbell", "--root", root)).toBe("created handlers/doorbell/: handler.ts, handler.test.ts, README.md\n");
    expect(optios("new", "program", "greet", "--root", root)).toBe("created programs/greet/: program.ts, program.test.ts, README.md\n");
    for (const file of ["handlers/doorbell/handler.test.ts", "programs/greet/program.test.ts"]) expect(existsSync(join(root, file)), file).toBe(true);
    const report = execFileSync(process.execPath, [join(toolchainRepository, "node_modules/vitest/vitest.mjs"), "run", "--root", root],
      { cwd: root, encoding: "utf8", env: { ...process.env, CI: "true", NO_COLOR: "1" } });
    expect(report).toMatch(/Tests\s+2 passed \(2\)/);
  }, 120_000);
});
