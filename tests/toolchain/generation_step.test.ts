// The "generation" build step and the ISO's choice of generations, on a fake project (no real tools).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { initrdArchive } from "../../toolchain/src/build/initrd.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { generationRecord, generationStep, readGenerationRecord, storeFolder, withProjectStore } from "../../toolchain/src/build/generation.ts";
import { menuGenerations, referencedFiles, withoutOldestDroppable } from "../../toolchain/src/build/iso.ts";
import { runStep } from "../../toolchain/src/build/step.ts";
import { paths, type Project } from "../../toolchain/src/project.ts";
import { listGenerations, rollback } from "../../toolchain/src/store/generations.ts";

const SYSTEM = `[system]
hostname = "box"
version = "1.0"
keep_generations = 2

[[handlers]]
name = "heartbeat"
source = "heartbeat.ts"
version = "1"
every = "250ms"
budget = "10ms"
`;

/** A project root holding only what the generation step reads: kernel.elf, one module, the initrd, system.toml. */
function fakeProject(): Project {
  const root = mkdtempSync(join(tmpdir(), "optios-generation-"));
  mkdirSync(join(root, paths.handlerModules), { recursive: true });
  mkdirSync(join(root, "system"));
  writeFileSync(join(root, "system", "system.toml"), SYSTEM);
  writeFileSync(join(root, "system", "heartbeat.ts"), 'export const version = "1";\n');
  writeFileSync(join(root, paths.kernelElf), "kernel one");
  writeFileSync(join(root, paths.handlerModules, "heartbeat.module"), "heartbeat one");
  writeFileSync(join(root, initrdArchive), "initrd one");
  return { root, version: "0.1.0", kernelMaximumMemoryPages: 16, sourceDateEpoch: 0, systemFile: "system/system.toml", kernelArguments: "console=all", testKernel: false };
}

const context = (project: Project) => ({ project, jobs: 1 });

describe("the generation step", () => {
  test("records a generation when something changed, and nothing on a no-op rebuild", async () => {
    const project = fakeProject();
    expect((await runStep(context(project), generationStep)).tasksRun).toBe(1);
    expect(readGenerationRecord(project.root)?.number).toBe(1);
    expect((await runStep(context(project), generationStep)).tasksRun).toBe(0);

    writeFileSync(join(project.root, paths.handlerModules, "heartbeat.module"), "heartbeat two");
    expect((await runStep(context(project), generationStep)).tasksRun).toBe(1);
    const generations = await withProjectStore(project, listGenerations);
    expect(generations.map((generation) => generation.number)).toEqual([2, 1]);
    expect(generations[0].summary).toBe("changed module heartbeat");
    const roles = generations[0].entries.map((entry) => `${entry.role} ${entry.name} ${entry.bootFile ?? "-"} ${entry.arguments ?? "-"}`);
    expect(roles).toEqual([
      "config system - -",
      "kernel kernel kernel.elf console=all",
      "module heartbeat heartbeat.module heartbeat",
      "module initrd initrd.cpio initrd",
    ]);
    expect(generations[0].entries.find((entry) => entry.role === "kernel")!.path)
      .toBe(generations[1].entries.find((entry) => entry.role === "kernel")!.path);
    rmSync(project.root, { recursive: true, force: true });
  });

  test("a store removed or rewritten since the last build is recorded into again", async () => {
    const project = fakeProject();
    await runStep(context(project), generationStep);
    rmSync(join(project.root, storeFolder), { recursive: true, force: true });
    expect((await runStep(context(project), generationStep)).tasksRun).toBe(1);
    expect(await withProjectStore(project, (store) => listGenerations(store).length)).toBe(1);
    expect(JSON.parse(readFileSync(join(project.root, generationRecord), "utf8")).number).toBe(1);
    rmSync(project.root, { recursive: true, force: true });
  });
});

describe("the ISO's generations", () => {
  test("the newest K, plus the default one when a rollback chose an older generation", async () => {
    const project = fakeProject();
    for (const text of ["one", "two", "three"]) {
      writeFileSync(join(project.root, paths.handlerModules, "heartbeat.module"), `heartbeat ${text}`);
      await runStep(context(project), generationStep);
    }
    await withProjectStore(project, (store) => {
      expect(menuGenerations(listGenerations(store), 2).map((generation) => generation.number)).toEqual([3, 2]);
      rollback(store, 1);
      const listed = menuGenerations(listGenerations(store), 2);
      expect(listed.map((generation) => generation.number)).toEqual([3, 2, 1]);
      // One kernel and one initrd shared by all three, three modules, one config: six files on the ISO.
      const files = referencedFiles(store, listed).map((file) => file.path);
      expect(files.filter((file) => file.endsWith("/kernel.elf"))).toHaveLength(1);
      expect(files.filter((file) => file.endsWith("/heartbeat.module"))).toHaveLength(3);
      expect(files.filter((file) => file.endsWith("/initrd.cpio"))).toHaveLength(1);
      expect(files).toHaveLength(6);
      expect(files.every((file) => /^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}-[a-z]+\//.test(file))).toBe(true);
      // Over the ISO's size budget the oldest generation goes first, never the newest or the default.
      const numbers = (list: { number: number }[]) => list.map((generation) => generation.number);
      expect(numbers(withoutOldestDroppable(listed))).toEqual([3, 1]); // 1 is the default now: 2 goes
      const two = withoutOldestDroppable(listed);
      expect(numbers(withoutOldestDroppable(two))).toEqual([3, 1]); // nothing droppable is left
    });
    rmSync(project.root, { recursive: true, force: true });
  });
});
