// Editors understand the AssemblyScript folders: a tsconfig.json per folder, and the TypeScript checker passes over them.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { editorConfig } from "../../toolchain/src/commands/new.ts";
import { toolchainRepository } from "../../toolchain/src/project.ts";

/** Each AssemblyScript folder and where the API is from there ("" for the kernel, which does not use it). */
const folders: Array<[string, string]> = [
  ["handlers", "./api"], ["programs", "../handlers/api"], ["tests/qemu/handlers", "../../../handlers/api"],
  ["tests/qemu/programs", "../../../handlers/api"], ["tests/toolchain/harness", "../../../handlers/api"], ["kernel", ""], ["tests/host", ""],
];

/** The TypeScript compiler's entry, when the package is installed (it is not a dependency yet: docs/editors.md). */
function typescriptCompiler(): string | null {
  try {
    return createRequire(join(toolchainRepository, "package.json")).resolve("typescript/bin/tsc");
  } catch {
    return null;
  }
}

describe("editor configuration", () => {
  it("has a tsconfig.json in every AssemblyScript folder; module folders' are what optios new scaffolds", () => {
    for (const [folder, api] of folders) {
      const file = join(toolchainRepository, folder, "tsconfig.json");
      expect(existsSync(file), file).toBe(true);
      const config = JSON.parse(readFileSync(file, "utf8"));
      expect(config.extends, file).toBe("assemblyscript/std/assembly.json");
      if (api) expect(readFileSync(file, "utf8"), file).toBe(editorConfig(api));
      if (api) expect(existsSync(join(toolchainRepository, folder, api, "optios.ts")), `${file}: the path it maps "optios" to`).toBe(true);
    }
  });

  const compiler = typescriptCompiler();
  it.skipIf(compiler === null)("passes the TypeScript checker (tsc --noEmit) in every AssemblyScript folder", () => {
    for (const [folder] of folders) {
      const run = spawnSync(process.execPath, [compiler!, "--noEmit", "-p", join(toolchainRepository, folder)], { encoding: "utf8" });
      expect(run.status, `${folder}:\n${run.stdout}${run.stderr}`).toBe(0);
    }
  }, 120_000);
});
