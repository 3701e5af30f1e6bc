// INTEGRATION: runs the real tools (asc, wasm2c, gcc, ld, grub-mkimage, mtools, xorriso).
//
// Needs the kernel sources (kernel/main.ts) and the Debian packages of
// toolchain/scripts/ensure-dependencies.sh; skipped, saying so, without the kernel.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, test } from "vitest";
import { ISO_BUDGET_BYTES } from "../../toolchain/src/build/iso.ts";
import { KERNEL_BUDGET_BYTES } from "../../toolchain/src/build/link.ts";
import { build, type BuildResult } from "../../toolchain/src/build/pipeline.ts";
import { loadProject, paths, toolchainRepository } from "../../toolchain/src/project.ts";

const kernelPresent = existsSync(join(toolchainRepository, paths.kernelEntry));
const buildTimeout = 600_000;

/** Step name → how many of its tasks ran. */
function tasksRun(result: BuildResult): Record<string, number> {
  return Object.fromEntries(result.steps.map((step) => [step.name, step.tasksRun]));
}

const quiet = { log: () => {} };

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

if (!kernelPresent) {
  test.skip(`[integration] real build: skipped, ${paths.kernelEntry} not found in ${toolchainRepository}`, () => {});
}

describe.skipIf(!kernelPresent)("[integration] real build of this repository", () => {
  test(
    "a second build skips every step; the ISO exists and is within its budget (3 MiB)",
    async () => {
      const project = loadProject(toolchainRepository);
      await build(project, quiet);
      const second = await build(project, quiet);
      expect(second.steps.map((step) => step.name)).toEqual(["interface", "asc", "wasm2c", "gcc", "ld", "handlers", "programs", "initrd", "generation", "grub", "iso"]);
      for (const step of second.steps) expect({ step: step.name, ran: step.tasksRun }).toEqual({ step: step.name, ran: 0 });
      const iso = join(project.root, paths.iso);
      expect(existsSync(iso)).toBe(true);
      expect(statSync(iso).size).toBeLessThanOrEqual(ISO_BUDGET_BYTES);
      expect(second.isoBytes).toBe(statSync(iso).size);
      expect(second.kernelBytes).toBeLessThanOrEqual(KERNEL_BUDGET_BYTES);
      // A multiboot2 header (magic 0xe85250d6) must sit in the kernel's first 32 KiB.
      const head = readFileSync(join(project.root, paths.kernelElf)).subarray(0, 32768);
      expect(head.includes(Buffer.from([0xd6, 0x50, 0x52, 0xe8]))).toBe(true);
    },
    buildTimeout,
  );
});

describe.skipIf(!kernelPresent)("[integration] incremental rebuilds in a copy of the project", () => {
  let root = "";
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test(
    "only the work whose inputs changed is redone, judged by content, not by time",
    async () => {
      root = mkdtempSync(join(tmpdir(), "optios-incremental-"));
      for (const entry of ["interface", "kernel", "boot", "iso", "handlers", "programs", "services", "systems", "asconfig.json"]) {
        cpSync(join(toolchainRepository, entry), join(root, entry), { recursive: true });
      }
      const project = loadProject(root);
      const first = await build(project, quiet);
      expect(Object.values(tasksRun(first)).every((count) => count > 0)).toBe(true);
      const objectCount = first.steps.find((step) => step.name === "gcc")!.tasksTotal;

      // A comment in one C file: that object is recompiled, comes out identical, and so
      // nothing after gcc reruns.
      const libc = join(root, "boot", "libc.c");
      writeFileSync(libc, `${readFileSync(libc, "utf8")}\n/* touched by build.integration.test.ts */\n`);
      const afterComment = await build(project, quiet);
      expect(tasksRun(afterComment)).toEqual({ interface: 0, asc: 0, wasm2c: 0, gcc: 1, ld: 0, handlers: 0, programs: 0, initrd: 0, generation: 0, grub: 0, iso: 0 });
      expect(afterComment.steps.find((step) => step.name === "gcc")!.tasksTotal).toBe(objectCount);

      // A changed handler rebuilds its own module, the initrd (whose descriptor records the module's
      // CRC-32, for live deploys) and the ISO that carries them, never the kernel.
      const heartbeat = join(root, "handlers", "heartbeat", "handler.ts");
      writeFileSync(heartbeat, readFileSync(heartbeat, "utf8").replace('"heartbeat: run "', '"heartbeat: beat "'));
      expect(tasksRun(await build(project, quiet))).toEqual({ interface: 0, asc: 0, wasm2c: 0, gcc: 0, ld: 0, handlers: 1, programs: 0, initrd: 1, generation: 1, grub: 0, iso: 1 });

      // A changed program rebuilds its own module and the initrd that carries it in /bin.
      const counter = join(root, "programs", "counter", "program.ts");
      writeFileSync(counter, readFileSync(counter, "utf8").replace('" million\\n"', '" million counted\\n"'));
      expect(tasksRun(await build(project, quiet))).toEqual({ interface: 0, asc: 0, wasm2c: 0, gcc: 0, ld: 0, handlers: 0, programs: 1, initrd: 1, generation: 1, grub: 0, iso: 1 });

      // A lost output is rebuilt, and only it; seconds later it is byte for byte the same
      // (fixed dates: FAT keeps 2-second times, ISO 9660 1-second ones).
      const iso = join(root, paths.iso);
      const before = sha256(iso);
      rmSync(iso);
      await sleep(2100);
      expect(tasksRun(await build(project, quiet))).toEqual({ interface: 0, asc: 0, wasm2c: 0, gcc: 0, ld: 0, handlers: 0, programs: 0, initrd: 0, generation: 0, grub: 0, iso: 1 });
      expect(sha256(iso)).toBe(before);
    },
    buildTimeout,
  );
});
