// The real `optios gc` and `optios build` killed (SIGKILL) at each crash point and at random
// instants: whatever they left, the next command finishes or repairs, and `store verify` passes.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScratchBuild } from "../../../toolchain/src/build/scratch.ts";
import { defaultKernelArguments } from "../../../toolchain/src/project.ts";
import { CRASH_POINTS } from "../../../toolchain/src/store/crash_point.ts";
import { recordGeneration } from "../../../toolchain/src/store/generations.ts";
import { Store, removeTree } from "../../../toolchain/src/store/store.ts";
import { runOptios, scratchWithOwnCopies, setHostname, systemWith, textFiles } from "./helpers.ts";

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await removeTree(folder); // entries are read-only folders
});

/** A real store of `generations` generations with `perGeneration` entries each, none shared. */
async function storeWithGenerations(generations: number, perGeneration: number): Promise<string> {
  const folder = mkdtempSync(join(tmpdir(), "optios-crash-"));
  folders.push(folder);
  const root = join(folder, "store");
  const store = await Store.open(root);
  for (let number = 1; number <= generations; number++) {
    const entries = [];
    for (let index = 0; index < perGeneration; index++) {
      const entry = await store.addEntry(`m${index}`, textFiles({ [`m${index}.module`]: `generation ${number} module ${index}` }));
      entries.push({ role: "module", name: `m${index}`, path: entry.path, bootFile: `m${index}.module` });
    }
    await recordGeneration(store, entries, systemWith(String(number)));
  }
  store.close();
  return root;
}

async function verify(store: string): Promise<string> {
  const verified = await runOptios(["store", "verify", "--store", store]);
  expect(verified.stdout).toMatch(/intact/);
  expect(verified.status).toBe(0);
  return verified.stdout;
}

function entryFolders(store: string): string[] {
  return readdirSync(store).filter((name) => /^[0-9a-f]{2}$/.test(name))
    .flatMap((first) => readdirSync(join(store, first)).flatMap((second) => readdirSync(join(store, first, second))));
}

describe("gc killed part-way", () => {
  for (const point of [CRASH_POINTS.gcNamed, CRASH_POINTS.gcMoved, CRASH_POINTS.gcDeleting]) {
    it(`at ${point}: the next command finishes the collection and the store verifies`, async () => {
      const store = await storeWithGenerations(4, 5);
      const killed = await runOptios(["gc", "--keep", "2", "--store", store], { environment: { OPTIOS_CRASH_AT: point } });
      expect(killed.signal).toBe("SIGKILL");
      expect(await verify(store)).toContain("checked 10 entries");
      expect(entryFolders(store)).toHaveLength(10);
      expect(readdirSync(join(store, ".trash"))).toEqual([]);
      expect(readdirSync(join(store, ".files"))).toHaveLength(10);
      expect(readdirSync(join(store, ".generations")).sort()).toEqual(["3.json", "4.json"]);
    });
  }

  it("at random instants: every kill leaves a store the next command repairs", async () => {
    const store = await storeWithGenerations(6, 40);
    for (const [keep, milliseconds] of [[5, 150], [4, 250], [3, 350], [2, 450]]) {
      await runOptios(["gc", "--keep", String(keep), "--store", store], { killAfterMilliseconds: milliseconds });
      await verify(store);
    }
    expect((await runOptios(["gc", "--keep", "1", "--store", store])).status).toBe(0);
    expect(await verify(store)).toContain("checked 40 entries");
    expect(readdirSync(join(store, ".files"))).toHaveLength(40);
  }, 120_000);
});

describe("build killed part-way", () => {
  let scratch: ScratchBuild;
  const system = "systems/default/system.toml";
  const build = (options: { environment?: Record<string, string>; killAfterMilliseconds?: number } = {}) =>
    runOptios(["build", "--root", scratch.root, "--system", system, "--kernel-arguments", defaultKernelArguments], options);

  beforeAll(async () => {
    scratch = scratchWithOwnCopies(["systems"]);
    expect((await build()).status).toBe(0);
  }, 300_000);
  afterAll(() => scratch?.remove());

  for (const point of [CRASH_POINTS.entryPending, CRASH_POINTS.entryRenamed, CRASH_POINTS.generationCommitted]) {
    it(`at ${point}: the store verifies after the next command, and the next build records the generation`, async () => {
      setHostname(scratch.root, point);
      const killed = await build({ environment: { OPTIOS_CRASH_AT: point } });
      expect(killed.signal).toBe("SIGKILL");
      await verify(join(scratch.root, "store"));
      const rebuilt = await build();
      expect(rebuilt.status).toBe(0);
      await verify(join(scratch.root, "store"));
      const listed = JSON.parse((await runOptios(["generations", "--json", "--store", join(scratch.root, "store")])).stdout) as Array<{ number: number; summary: string }>;
      expect(listed[0].summary).toMatch(/changed/);
      const records = readdirSync(join(scratch.root, "store", ".generations")).sort();
      expect(records).toEqual(listed.map((generation) => `${generation.number}.json`).sort());
    }, 120_000);
  }

  it("at random instants: the store verifies after each kill, and the last build succeeds", async () => {
    for (const [index, milliseconds] of [300, 600, 900, 1200, 1500].entries()) {
      setHostname(scratch.root, `random-${index}`);
      await build({ killAfterMilliseconds: milliseconds });
      await verify(join(scratch.root, "store"));
    }
    expect((await build()).status).toBe(0);
    await verify(join(scratch.root, "store"));
  }, 120_000);
});
