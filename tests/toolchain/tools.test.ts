// Missing tools: the build stops before any step and names each tool's Debian package.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { build } from "../../toolchain/src/build/pipeline.ts";
import { BuildError } from "../../toolchain/src/build/process.ts";
import {
  buildRequirements, installRequirements,
  checkTools,
  describeMissing,
  findCommand,
  findMissing,
  guiRequirements,
  initrdRequirements,
  linuxGuestRequirements,
  lwipRequirements,
  runRequirements,
  uefiRequirements,
} from "../../toolchain/src/build/tools.ts";
import { loadProject, toolchainRepository } from "../../toolchain/src/project.ts";

let emptyPath: string;
let fakePath: string;

beforeAll(() => {
  emptyPath = mkdtempSync(join(tmpdir(), "optios-empty-path-"));
  fakePath = mkdtempSync(join(tmpdir(), "optios-fake-path-"));
  for (const requirement of [...buildRequirements, ...runRequirements]) {
    if (requirement.kind !== "command") continue;
    writeFileSync(join(fakePath, requirement.name), "#!/bin/sh\nexit 0\n");
    chmodSync(join(fakePath, requirement.name), 0o755);
  }
});

afterAll(() => {
  rmSync(emptyPath, { recursive: true, force: true });
  rmSync(fakePath, { recursive: true, force: true });
});

function errorOf(action: () => void): BuildError {
  try {
    action();
  } catch (error) {
    if (error instanceof BuildError) return error;
    throw error;
  }
  throw new Error("expected a BuildError");
}

describe("checkTools", () => {
  test("with no tools on PATH, names every command's Debian package", () => {
    const error = errorOf(() => checkTools("tools", buildRequirements, { path: emptyPath, fileExists: () => true }));
    expect(error.step).toBe("tools");
    for (const [tool, debianPackage] of [
      ["wasm2c", "wabt"],
      ["gcc", "gcc"],
      ["ld", "binutils"],
      ["grub-mkimage", "grub-common"],
      ["mformat", "mtools"],
      ["xorriso", "xorriso"],
    ]) {
      expect(error.message).toMatch(new RegExp(`${tool} .*\\(Debian package ${debianPackage}\\)`));
    }
    expect(error.message).toContain("sudo apt-get install -y --no-install-recommends wabt gcc binutils grub-common mtools xorriso");
  });

  test("missing GRUB platform directories name grub-pc-bin and grub-efi-amd64-bin", () => {
    const missing = findMissing(buildRequirements, { path: fakePath, fileExists: (path) => !path.startsWith("/usr/lib/grub/") });
    const message = describeMissing(missing);
    expect(message).toContain("/usr/lib/grub/i386-pc/boot_hybrid.img  (Debian package grub-pc-bin)");
    expect(message).toContain("/usr/lib/grub/x86_64-efi/kernel.img  (Debian package grub-efi-amd64-bin)");
    expect(message).toContain("install -y --no-install-recommends grub-pc-bin grub-efi-amd64-bin");
    expect(message).not.toContain("wabt");
  });

  test("QEMU, OVMF and the GUI are named only by what run needs", () => {
    const qemu = describeMissing(findMissing(runRequirements, { path: emptyPath }));
    expect(qemu).toContain("qemu-system-x86_64  (Debian package qemu-system-x86)");
    const uefi = describeMissing(findMissing(uefiRequirements, { fileExists: () => false }));
    expect(uefi).toContain("/usr/share/OVMF/OVMF_CODE_4M.fd  (Debian package ovmf)");
    const gui = describeMissing(findMissing(guiRequirements, { fileExists: () => false }));
    expect(gui).toContain("(Debian package qemu-system-gui)");
  });

  test("passes when every command is on PATH and every file exists", () => {
    expect(() => checkTools("tools", buildRequirements, { path: fakePath, fileExists: () => true })).not.toThrow();
    expect(findCommand("wasm2c", fakePath)).toBe(join(fakePath, "wasm2c"));
    expect(findCommand("wasm2c", emptyPath)).toBeUndefined();
  });

  test("build() fails in the tools step, before running any other step", async () => {
    const lines: string[] = [];
    const project = loadProject(toolchainRepository);
    await expect(build(project, { tools: { path: emptyPath }, log: (line) => lines.push(line) })).rejects.toMatchObject({
      step: "tools",
      message: expect.stringContaining("wasm2c  (Debian package wabt)"),
    });
    expect(lines).toEqual([]);
  });
});

describe("ensure-dependencies.sh", () => {
  test("checks the same commands and files, with the same packages, as tools.ts", () => {
    const script = readFileSync(join(toolchainRepository, "toolchain/scripts/ensure-dependencies.sh"), "utf8");
    const table = script.slice(script.indexOf("requirements=("), script.indexOf("\n)\n"));
    const fromScript = [...table.matchAll(/^\s*"(command|file)\s+(\S+)\s+(\S+)"$/gm)].map(([, kind, name, debianPackage]) => `${kind} ${name} ${debianPackage}`);
    const fromTools = [...buildRequirements, ...installRequirements, ...runRequirements, ...uefiRequirements, ...initrdRequirements,
      ...linuxGuestRequirements, ...lwipRequirements].map(
      (requirement) => `${requirement.kind} ${requirement.name} ${requirement.packages.join(",")}`,
    );
    expect(fromScript.sort()).toEqual([...new Set(fromTools)].sort());
  });
});
