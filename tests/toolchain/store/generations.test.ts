// Compilation cache, generations, rollback and the GRUB menu rendered from them.
import { describe, expect, it } from "vitest";
import { cached, inputsKey } from "../../../toolchain/src/store/cache.ts";
import { listGenerations, recordGeneration, rollback, type GenerationEntry } from "../../../toolchain/src/store/generations.ts";
import { handlerModuleArguments, renderGenerationMenu } from "../../../toolchain/src/store/grub_menu.ts";
import type { Store } from "../../../toolchain/src/store/store.ts";
import { systemWith, temporaryStore, textFiles } from "./helpers.ts";

const NOON = Date.UTC(2026, 10, 22, 12, 0);

async function buildGeneration(store: Store, handlerCode: string): Promise<GenerationEntry[]> {
  const kernel = await store.addEntry("kernel", textFiles({ "kernel.elf": "kernel" }));
  const handler = await store.addEntry("handler-heartbeat", textFiles({ "heartbeat.module": handlerCode }));
  return [
    { role: "kernel", name: "kernel", path: kernel.path, bootFile: "kernel.elf" },
    { role: "module", name: "heartbeat", path: handler.path, bootFile: "heartbeat.module", arguments: "heartbeat every=250ms budget=10ms" },
  ];
}

describe("the compilation cache", () => {
  it("builds once per inputs key and returns the stored entry afterwards", async () => {
    const store = await temporaryStore();
    const inputs = { step: "handler heartbeat", sources: { "heartbeat.ts": "11" }, tools: { asc: "0.28.20" }, flags: ["-O3"] };
    let builds = 0;
    const build = () => {
      builds++;
      return textFiles({ "heartbeat.module": "compiled" });
    };
    const first = await cached(store, await inputsKey(inputs), "handler-heartbeat", build);
    const second = await cached(store, await inputsKey({ ...inputs, flags: ["-O3"] }), "handler-heartbeat", build);
    expect([first.hit, second.hit, builds]).toEqual([false, true, 1]);
    expect(second.entry.path).toBe(first.entry.path);
    const changed = await cached(store, await inputsKey({ ...inputs, tools: { asc: "0.28.21" } }), "handler-heartbeat", build);
    expect([changed.hit, builds]).toEqual([false, 2]);
    store.close();
  });
});

describe("generations", () => {
  it("records a generation only when something changed, with a summary of what", async () => {
    const store = await temporaryStore();
    const first = await recordGeneration(store, await buildGeneration(store, "v1"), systemWith("1.0"), NOON);
    expect(first).toMatchObject({ created: true, generation: { number: 1, summary: "first generation", isDefault: true, created: NOON } });
    const same = await recordGeneration(store, await buildGeneration(store, "v1"), systemWith("1.0"), NOON + 1000);
    expect(same.created).toBe(false);
    expect(same.generation.number).toBe(1);
    const second = await recordGeneration(store, await buildGeneration(store, "v2"), systemWith("1.0", "2"), NOON + 2000);
    expect(second.generation).toMatchObject({ number: 2, summary: "changed module heartbeat; heartbeat version 1 → 2", isDefault: true });
    expect(listGenerations(store).map((generation) => [generation.number, generation.isDefault])).toEqual([[2, true], [1, false]]);
    const kernel = second.generation.entries.find((entry) => entry.role === "kernel")!;
    expect(store.entry(kernel.path)!.refcount).toBe(2);
    expect(second.generation.size).toBe("kernel".length + "v2".length);
    store.close();
  });

  it("rollback makes an older generation the default until the next generation is recorded", async () => {
    const store = await temporaryStore();
    for (const code of ["v1", "v2", "v3"]) await recordGeneration(store, await buildGeneration(store, code), systemWith("1.0"), NOON);
    expect(rollback(store).number).toBe(2);
    expect(rollback(store).number).toBe(1);
    expect(() => rollback(store)).toThrow("rollback: generation 1 is the oldest kept; there is nothing older to roll back to");
    expect(rollback(store, 3).number).toBe(3);
    expect(() => rollback(store, 9)).toThrow("rollback: no generation 9; expected one of 3, 2, 1");
    rollback(store, 1);
    expect(listGenerations(store).filter((generation) => generation.isDefault).map((generation) => generation.number)).toEqual([1]);
    await recordGeneration(store, await buildGeneration(store, "v4"), systemWith("1.0"), NOON);
    expect(listGenerations(store)[0]).toMatchObject({ number: 4, isDefault: true });
    store.close();
  });
});

describe("the GRUB menu", () => {
  it("lists generations newest first with the default selected by id", async () => {
    const store = await temporaryStore();
    await recordGeneration(store, await buildGeneration(store, "v1"), systemWith("0.1.0"), NOON);
    await recordGeneration(store, await buildGeneration(store, "v2"), systemWith("0.1.0"), NOON + 3_600_000);
    rollback(store, 1);
    const generations = listGenerations(store);
    const menu = renderGenerationMenu({ generations, kernelArguments: "console=all loglevel=6" });
    const [newest, oldest] = generations;
    const module = (index: number) => generations[index].entries.find((entry) => entry.role === "module")!.path;
    const kernel = newest.entries.find((entry) => entry.role === "kernel")!.path;
    expect(menu).toBe([
      "# Generated by `optios build` from the store's generations; one entry per kept generation, newest first.",
      "set default=generation-1",
      "",
      `menuentry 'OptiOS 0.1.0 - generation 2 (2026-11-22 13:00 UTC, ${newest.contentHash.slice(0, 8)})' --id generation-2 {`,
      "  echo",
      `  multiboot2 /store/${kernel}/kernel.elf console=all loglevel=6 generation=2`,
      `  module2 /store/${module(0)}/heartbeat.module heartbeat every=250ms budget=10ms`,
      "  boot",
      "}",
      "",
      `menuentry 'OptiOS 0.1.0 - generation 1 (2026-11-22 12:00 UTC, ${oldest.contentHash.slice(0, 8)})' --id generation-1 {`,
      "  echo",
      `  multiboot2 /store/${kernel}/kernel.elf console=all loglevel=6 generation=1`,
      `  module2 /store/${module(1)}/heartbeat.module heartbeat every=250ms budget=10ms`,
      "  boot",
      "}",
      "",
    ].join("\n"));
    store.close();
  });

  it("names a handler's module on its GRUB line, and nothing else: its settings travel in the boot descriptor", () => {
    const handler = systemWith("1").config.handlers[0];
    expect(handlerModuleArguments({ ...handler, triggers: { ...handler.triggers, events: ["a", "b.c"], afterNanoseconds: 2e9 } }))
      .toBe("heartbeat");
  });
});
