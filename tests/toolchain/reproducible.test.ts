// Reproducible builds (#14): two clean builds of the same sources in different folders give
// byte-identical kernel, modules, initrd, store and ISO; each generation records its tools.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createScratchRoot, type ScratchBuild } from "../../toolchain/src/build/scratch.ts";
import { defaultKernelArguments, paths } from "../../toolchain/src/project.ts";
import { runOptios } from "./store/helpers.ts";

const roots: ScratchBuild[] = [];
afterAll(() => roots.forEach((root) => root.remove()));

/** Every file under `folder` (relative path → SHA-256), except what is expected to differ. */
function digests(folder: string, skip: (path: string) => boolean): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      const key = relative(folder, path);
      if (skip(key)) continue;
      if (statSync(path).isDirectory()) visit(path);
      else found.set(key, createHash("sha256").update(readFileSync(path)).digest("hex"));
    }
  };
  visit(folder);
  return found;
}

/** The store, less its database (row timestamps, SQLite's own page layout) and lock. */
const storeNoise = (path: string) => /^(metadata\.db.*|\.lock|\.tmp|\.trash)$/.test(path);

describe("two clean builds in different folders", () => {
  it("give byte-identical kernel, modules, initrd, store entries, generation records and ISO", async () => {
    for (let build = 0; build < 2; build++) {
      const scratch = createScratchRoot({ clean: true });
      roots.push(scratch);
      const built = await runOptios(["build", "--root", scratch.root, "--kernel-arguments", defaultKernelArguments], { environment: { SOURCE_DATE_EPOCH: "1700000000" } });
      expect(built.stderr).toBe("");
      expect(built.status).toBe(0);
    }
    const [first, second] = roots.map((scratch) => scratch.root);
    const outputs = [paths.kernelElf, paths.iso, "build/initrd.cpio", ...readdirSync(join(first, paths.handlerModules)).filter((name) => name.endsWith(".module")).map((name) => join(paths.handlerModules, name)),
      ...readdirSync(join(first, paths.programModules)).filter((name) => name.endsWith(".module")).map((name) => join(paths.programModules, name))];
    expect(outputs.length).toBeGreaterThan(5);
    for (const output of outputs) expect(readFileSync(join(second, output)).equals(readFileSync(join(first, output))), output).toBe(true);
    const stores = [first, second].map((root) => digests(join(root, "store"), storeNoise));
    expect([...stores[0].keys()].some((path) => path.startsWith(".generations/"))).toBe(true);
    expect(stores[1]).toEqual(stores[0]);

    const generations = JSON.parse((await runOptios(["generations", "--json", "--store", join(first, "store")])).stdout) as Array<{ tools: Record<string, string> }>;
    expect(Object.keys(generations[0].tools).sort()).toEqual(["assemblyscript", "cpio", "gcc", "ld", "node", "objcopy", "wasm2c", "wat2wasm"]);
    expect(generations[0].tools.node).toBe(process.version);
  }, 900_000);
});
