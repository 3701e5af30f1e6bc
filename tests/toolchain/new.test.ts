// `optios new handler|program` and `optios test`: what new scaffolds passes its own test on the harness, run as a user would.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { toolchainRepository } from "../../toolchain/src/project.ts";

const root = mkdtempSync(join(tmpdir(), "optios-new-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const optiosBinary = join(toolchainRepository, "toolchain/bin/optios.js");
const optios = (...argumentList: string[]) => execFileSync(process.execPath, [optiosBinary, ...argumentList], { encoding: "utf8" });
/** `optios test` in the temporary project: its exit status and what vitest printed. */
const optiosTest = (...argumentList: string[]) => {
  const result = spawnSync(process.execPath, [optiosBinary, "test", ...argumentList, "--root", root],
    { cwd: root, encoding: "utf8", env: { ...process.env, CI: "true", NO_COLOR: "1" } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
};

describe("optios new and optios test", () => {
  it("scaffolds a handler and a program whose tests pass on the harness as generated, and fail when the module breaks", () => {
    symlinkSync(join(toolchainRepository, "node_modules"), join(root, "node_modules"));
    cpSync(join(toolchainRepository, "handlers/api"), join(root, "handlers/api"), { recursive: true });
    expect(optios("new", "handler", "doorbell", "--root", root)).toBe("created handlers/doorbell/: handler.ts, handler.test.ts, README.md\n" +
      "created handlers/tsconfig.json, so editors understand AssemblyScript (docs/editors.md)\n");
    expect(optios("new", "program", "greet", "--root", root)).toBe("created programs/greet/: program.ts, program.test.ts, README.md\n" +
      "created programs/tsconfig.json, so editors understand AssemblyScript (docs/editors.md)\n");
    expect(readFileSync(join(root, "handlers/doorbell/handler.test.ts"), "utf8")).toContain("loadHandler(");

    const all = optiosTest();
    expect(all.output).toMatch(/Tests\s+2 passed \(2\)/);
    expect(all.status).toBe(0);
    const one = optiosTest("greet");
    expect(one.output).toMatch(/Tests\s+1 passed \(1\)/);

    // A handler that forgets its state between runs fails the scaffolded test.
    const source = join(root, "handlers/doorbell/handler.ts");
    writeFileSync(source, readFileSync(source, "utf8").replace("runs++;", "runs = 1;"));
    const broken = optiosTest("doorbell");
    expect(broken.status).toBe(1);
    expect(broken.output).toMatch(/Tests\s+1 failed \(1\)/);
  }, 120_000);

  it("scaffolds UDP and HTTP handlers (--udp, --http) whose tests pass as generated, and fail when the handler breaks", () => {
    expect(optios("new", "handler", "shouter", "--udp", "9000", "--root", root)).toBe("created handlers/shouter/: handler.ts, handler.test.ts, README.md\n");
    expect(optios("new", "handler", "site", "--http", "8080", "--root", root)).toBe("created handlers/site/: handler.ts, handler.test.ts, README.md\n");
    expect(readFileSync(join(root, "handlers/shouter/README.md"), "utf8")).toContain('udp = [9000]\ncapabilities = ["net.udp:9000"]');
    expect(readFileSync(join(root, "handlers/site/README.md"), "utf8")).toContain('tcp = [8080]\ncapabilities = ["net.tcp:8080"]');
    for (const name of ["shouter", "site"]) {
      const run = optiosTest(name);
      expect(run.output).toMatch(/Tests\s+1 passed \(1\)/);
      expect(run.status).toBe(0);
    }
    // A page that no longer closes its connection fails the scaffolded test.
    const source = join(root, "handlers/site/handler.ts");
    writeFileSync(source, readFileSync(source, "utf8").replace("    tcpClose(connection);\n", ""));
    expect(optiosTest("site").status).toBe(1);
  }, 120_000);

  it("names what it looked for when there is no such handler or program", () => {
    const missing = optiosTest("nosuch");
    expect(missing.status).toBe(1);
    expect(missing.output).toContain("optios test: no handler or program called 'nosuch' (looked for handlers/nosuch/ and programs/nosuch/");
  });
});
