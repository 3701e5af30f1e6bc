// The store commands as the CLI will run them: output, exit statuses, --help.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { storeCommands } from "../../../toolchain/src/commands/index.ts";
import { recordGeneration } from "../../../toolchain/src/store/generations.ts";
import { systemWith, temporaryStore, textFiles } from "./helpers.ts";

const command = (name: string) => storeCommands.find((item) => item.name === name)!;

/** Runs a command, capturing what it writes to stdout and stderr. */
async function run(name: string, argv: string[]): Promise<{ status: number; output: string; errors: string }> {
  let output = "";
  let errors = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((output += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((errors += String(chunk)), true));
  const status = await command(name).run(argv);
  vi.restoreAllMocks();
  return { status, output, errors };
}

afterEach(() => vi.restoreAllMocks());

async function storeWithTwoGenerations(): Promise<string> {
  const store = await temporaryStore();
  for (const code of ["v1", "v2"]) {
    const kernel = await store.addEntry("kernel", textFiles({ "kernel.elf": code }));
    await recordGeneration(store, [{ role: "kernel", name: "kernel", path: kernel.path, bootFile: "kernel.elf" }], systemWith("1.0"));
  }
  store.close();
  return store.root;
}

describe("store commands", () => {
  it("each has a --help naming its usage", async () => {
    for (const item of storeCommands) {
      const { status, output } = await run(item.name, ["--help"]);
      expect(status).toBe(0);
      expect(output).toContain(`usage: optios ${item.name}`);
    }
  });

  it("generations --json, rollback, gc and info work on one store", async () => {
    const root = await storeWithTwoGenerations();
    const listed = JSON.parse((await run("generations", ["--json", "--store", root])).output) as Array<{ number: number; isDefault: boolean }>;
    expect(listed.map((generation) => [generation.number, generation.isDefault])).toEqual([[2, true], [1, false]]);
    expect((await run("rollback", ["--store", root])).output).toBe("generation 1 is now the default boot entry (first generation)\n");
    expect((await run("generations", ["--store", root])).output.split("\n")[1]).toMatch(/^\*   1 /);
    expect((await run("gc", ["--keep", "1", "--store", root])).output).toBe("removed no generations; deleted 0 entries, 0 B\n");
    const info = JSON.parse((await run("info", ["--json", "--store", root])).output);
    expect(info).toMatchObject({ entries: 2, entryBytes: 4, generations: [{ number: 2, size: 2 }, { number: 1, size: 2, isDefault: true }] });
  });

  it("store verify exits 0 when intact; usage errors exit 2 with a hint", async () => {
    const root = await storeWithTwoGenerations();
    expect(await run("store", ["verify", "--store", root])).toMatchObject({ status: 0, output: "checked 2 entries, 2 files: intact\n" });
    const wrong = await run("gc", ["--keep", "none", "--store", root]);
    expect(wrong).toMatchObject({ status: 1, errors: "optios gc: --keep none: expected a whole number, at least 1\n" });
    expect((await run("generations", ["--colour"])).status).toBe(2);
  });

  it("new handler scaffolds a handler with a test and README, once", async () => {
    const root = mkdtempSync(join(tmpdir(), "optios-new-"));
    expect((await run("new", ["handler", "doorbell", "--root", root])).output).toBe("created handlers/doorbell/: handler.ts, handler.test.ts, README.md\n" +
      "created handlers/tsconfig.json, so editors understand AssemblyScript (docs/editors.md)\n");
    expect(readFileSync(join(root, "handlers/doorbell/handler.ts"), "utf8")).toContain(`log("doorbell: run " + runs.toString());`);
    expect(readFileSync(join(root, "handlers/doorbell/README.md"), "utf8")).toContain("The API is handlers/api/optios.ts");
    expect((await run("new", ["handler", "doorbell", "--root", root])).status).toBe(1);
    expect((await run("new", ["program", "Bad Name", "--root", root])).errors).toContain("expected a name of 1 to 32 lower-case letters");
    expect((await run("new", ["program", "shell", "--root", root])).status).toBe(0);
    expect(existsSync(join(root, "programs/shell/program.ts"))).toBe(true);
  });
});
