// Reference-counted gc: nothing live deleted, everything dead deleted, dead rows found by index.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectGarbage, deleteTrash, nameDeadEntries, removeOldGenerations } from "../../../toolchain/src/store/gc.ts";
import { listGenerations, recordGeneration, rollback } from "../../../toolchain/src/store/generations.ts";
import { verifyStore } from "../../../toolchain/src/store/verify.ts";
import { systemWith, temporaryStore, textFiles } from "./helpers.ts";

describe("gc", () => {
  it("deletes exactly the entries no kept generation references, and their unshared pool files", async () => {
    const store = await temporaryStore();
    const kernel = await store.addEntry("kernel", textFiles({ "kernel.elf": "kernel", "shared.txt": "shared" }));
    const handlers = [];
    for (let version = 1; version <= 4; version++) {
      const handler = await store.addEntry("handler", textFiles({ "h.module": `code ${version}`, "shared.txt": "shared" }));
      handlers.push(handler);
      const entries = [{ role: "kernel", name: "kernel", path: kernel.path, bootFile: "kernel.elf" }, { role: "module", name: "h", path: handler.path, bootFile: "h.module" }];
      await recordGeneration(store, entries, systemWith("1.0", String(version)));
    }
    const orphan = await store.addEntry("orphan", textFiles({ "o": "never referenced" }));
    rollback(store, 1);
    const result = await collectGarbage(store, { keep: 2 });
    expect(result.removedGenerations).toEqual([2]); // 1 is pinned by the rollback, 3 and 4 are the newest two
    expect(result.deletedEntries.sort()).toEqual([handlers[1].path, orphan.path].sort());
    for (const live of [kernel, handlers[0], handlers[2], handlers[3]]) expect(existsSync(store.absolutePath(live.path))).toBe(true);
    for (const dead of [handlers[1], orphan]) expect(existsSync(store.absolutePath(dead.path))).toBe(false);
    expect(listGenerations(store).map((generation) => generation.number)).toEqual([4, 3, 1]);
    expect(store.entry(kernel.path)!.refcount).toBe(3);
    const pool = readdirSync(join(store.root, ".files"));
    expect(pool.length).toBe(5); // kernel.elf, shared.txt, code 1, code 3, code 4
    expect(readdirSync(join(store.root, ".trash"))).toEqual([]);
    expect((await verifyStore(store)).problems).toEqual([]);
    const again = await collectGarbage(store, { keep: 2 });
    expect(again).toEqual({ removedGenerations: [], deletedEntries: [], freedBytes: 0 });
    store.close();
  });

  it("finishes a gc that crashed after moving entries to the trash", async () => {
    const store = await temporaryStore();
    const entry = await store.addEntry("dead", textFiles({ a: "a" }));
    const { rename, chmod } = await import("node:fs/promises");
    await chmod(store.absolutePath(entry.path), 0o755);
    await rename(store.absolutePath(entry.path), join(store.root, ".trash", "crashed"));
    const result = await collectGarbage(store);
    expect(result.deletedEntries).toEqual([entry.path]);
    expect(readdirSync(join(store.root, ".trash"))).toEqual([]);
    expect(store.entry(entry.path)).toBeUndefined();
    store.close();
  });

  it("phase 1 only changes the database: the dead entry is named in trash, and phase 2 moves and deletes it", async () => {
    const store = await temporaryStore();
    const old = await store.addEntry("handler", textFiles({ "h.module": "version 1" }));
    await recordGeneration(store, [{ role: "module", name: "h", path: old.path }], systemWith("1.0", "1"));
    const current = await store.addEntry("handler", textFiles({ "h.module": "version 2" }));
    await recordGeneration(store, [{ role: "module", name: "h", path: current.path }], systemWith("1.0", "2"));
    const named = nameDeadEntries(store, 1);
    expect(named.removedGenerations).toEqual([1]);
    expect(named.dead.map((entry) => entry.path)).toEqual([old.path]);
    expect(existsSync(store.absolutePath(old.path))).toBe(true); // no rename yet
    expect(store.metadata.prepare("SELECT entry FROM trash").all()).toEqual([{ entry: old.path }]);
    expect(store.metadata.prepare("SELECT count(*) AS count FROM generation_references WHERE generation = 1").get()).toEqual({ count: 0 });
    // Out of the live store: writing it again before phase 2 is refused, not silently reused.
    await expect(store.addEntry("handler", textFiles({ "h.module": "version 1" }))).rejects.toThrow(`addEntry: ${old.path} is named in the trash table`);
    await deleteTrash(store);
    expect(existsSync(store.absolutePath(old.path))).toBe(false);
    expect(readdirSync(join(store.root, ".trash"))).toEqual([]);
    expect(store.entry(old.path)).toBeUndefined();
    expect((await verifyStore(store)).problems).toEqual([]);
    expect((await store.addEntry("handler", textFiles({ "h.module": "version 1" }))).written).toBe(true);
    store.close();
  });

  it("removes a generation's references as one key range, without a scan", async () => {
    const store = await temporaryStore();
    const plan = store.metadata.prepare("EXPLAIN QUERY PLAN DELETE FROM generation_references WHERE generation = 1").all() as Array<{ detail: string }>;
    expect(plan.map((step) => step.detail).join("\n")).toMatch(/SEARCH generation_references USING PRIMARY KEY \(generation=\?\)/);
    store.close();
  });

  it("finds dead entries through the partial index, not a scan of the entries table", async () => {
    const store = await temporaryStore();
    const plan = store.metadata.prepare("EXPLAIN QUERY PLAN SELECT path, size FROM entries WHERE refcount = 0").all() as Array<{ detail: string }>;
    expect(plan.map((step) => step.detail).join("\n")).toContain("USING INDEX entries_dead");
    store.close();
  });

  it("refuses to keep fewer than one generation", async () => {
    const store = await temporaryStore();
    expect(() => removeOldGenerations(store, 0)).toThrow("gc: keep 0: expected a whole number of generations, at least 1");
    store.close();
  });
});
