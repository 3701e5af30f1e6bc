// Incremental rebuilds miss nothing and redo nothing (#14): one change each to a handler, a
// kernel file, a program and the system file, in a scratch root with its own copies of
// them, and after each the exact set of steps (and tasks) that ran, and what the new generation changed.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScratchBuild } from "../../toolchain/src/build/scratch.ts";
import { defaultKernelArguments } from "../../toolchain/src/project.ts";
import { runOptios, scratchWithOwnCopies, setHostname } from "./store/helpers.ts";

const EDITABLE = ["handlers", "programs", "kernel", "systems"];
let scratch: ScratchBuild;

/** Builds the scratch root; returns each step that ran with what it says ("1 of 7 rebuilt", "…, 1 from cache"), and the newest generation's summary. */
async function rebuild(): Promise<{ ran: Record<string, string>; summary: string }> {
  const built = await runOptios(["build", "--root", scratch.root, "--kernel-arguments", defaultKernelArguments]);
  expect(built.stderr).toBe("");
  expect(built.status).toBe(0);
  const ran: Record<string, string> = {};
  for (const [, step, rest] of built.stdout.matchAll(/^ {2}(\w+)\s+(.*)$/gm)) {
    if (step !== "done" && !rest.startsWith("up to date")) ran[step] = /(\d+ of \d+ rebuilt(?:, \d+ from cache)?)/.exec(rest)?.[1] ?? "ran";
  }
  const generations = JSON.parse((await runOptios(["generations", "--json", "--store", join(scratch.root, "store")])).stdout) as Array<{ summary: string }>;
  return { ran, summary: generations[0].summary };
}

function edit(path: string, from: string | RegExp, to: string): void {
  const file = join(scratch.root, path);
  const text = readFileSync(file, "utf8");
  const changed = text.replace(from, to);
  expect(changed, `${path} has ${from}`).not.toBe(text);
  writeFileSync(file, changed);
}

beforeAll(async () => {
  scratch = scratchWithOwnCopies(EDITABLE);
  await rebuild();
}, 600_000);
afterAll(() => scratch?.remove());

describe("a rebuild after one change", () => {
  it("with nothing changed runs no step", async () => {
    expect(await rebuild()).toMatchObject({ ran: {} });
  }, 120_000);

  it("to a handler recompiles that handler only, then records and packs it (the descriptor in the initrd records its CRC-32)", async () => {
    edit("handlers/heartbeat/handler.ts", '"heartbeat: run "', '"heartbeat: beat "');
    expect(await rebuild()).toEqual({
      ran: { handlers: "1 of 7 rebuilt", initrd: "ran", generation: "ran", iso: "ran" }, summary: "changed module heartbeat; changed module initrd",
    });
  }, 300_000);

  it("to a kernel file recompiles the kernel and nothing of the modules", async () => {
    edit("kernel/params.ts", 'KERNEL_VERSION = "0.1.0"', 'KERNEL_VERSION = "0.1.0-rebuilt"');
    expect(await rebuild()).toEqual({
      ran: { asc: "ran", wasm2c: "ran", gcc: "1 of 18 rebuilt", ld: "ran", generation: "ran", grub: "ran", iso: "ran" }, summary: "changed kernel",
    });
  }, 600_000);

  it("to a program recompiles that program and repacks the initrd", async () => {
    edit("programs/counter/program.ts", '" million\\n"', '" millions\\n"');
    expect(await rebuild()).toEqual({ ran: { programs: "1 of 2 rebuilt", initrd: "ran", generation: "ran", iso: "ran" }, summary: "changed module initrd" });
  }, 300_000);

  it("undone, a handler change restores the earlier module from the output cache, compiling nothing", async () => {
    edit("handlers/heartbeat/handler.ts", '"heartbeat: beat "', '"heartbeat: tick "');
    expect((await rebuild()).ran).toEqual({ handlers: "1 of 7 rebuilt", initrd: "ran", generation: "ran", iso: "ran" });
    edit("handlers/heartbeat/handler.ts", '"heartbeat: tick "', '"heartbeat: beat "');
    expect(await rebuild()).toEqual({
      ran: { handlers: "1 of 7 rebuilt, 1 from cache", initrd: "ran", generation: "ran", iso: "ran" },
      summary: "changed module heartbeat; changed module initrd",
    });
  }, 300_000);

  it("to the system file repacks the initrd and records the new config, compiling nothing", async () => {
    setHostname(scratch.root, "rebuilt");
    expect(await rebuild()).toEqual({ ran: { initrd: "ran", generation: "ran", iso: "ran" }, summary: "changed config system; changed module initrd" });
  }, 300_000);
});
