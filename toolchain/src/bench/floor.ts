// Builds the floor guests: floor.S as an ELF, and a copy of the OptiOS ISO that boots it.
//
// The floor ELF has the same two entries as the kernel (PVH note, multiboot2 header) and
// only prints "floor" on COM1 before ending QEMU. The floor ISO is build/optios.iso with
// the kernel file replaced by the floor ELF (xorriso, boot records replayed), so GRUB,
// its configuration and modules are exactly those of the real ISO: the difference
// between the two ISO boots is the time spent loading and running our kernel.

import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runTool as run } from "./run_tool.ts";

const SOURCE_DIRECTORY = dirname(fileURLToPath(import.meta.url));
/** What the floor guest prints; seeing it means the guest's first instruction ran. */
export const FLOOR_MESSAGE = /^floor\r?$/m;

/** Assembles and links floor.S into `<directory>/floor.elf`; returns its path. */
export function buildFloorKernel(directory: string): string {
  mkdirSync(directory, { recursive: true });
  const object = join(directory, "floor.o");
  const elf = join(directory, "floor.elf");
  run("gcc", ["-c", "-o", object, join(SOURCE_DIRECTORY, "floor.S")]);
  run("ld", ["-m", "elf_x86_64", "-n", "-nostdlib", "-T", join(SOURCE_DIRECTORY, "floor.ld"), "-o", elf, object]);
  return elf;
}

/**
 * Writes `<directory>/floor.iso`: `iso` with the file its first `multiboot2` menu line
 * loads replaced by `floorKernel`. Throws if the GRUB configuration names no kernel.
 */
export function buildFloorIso(iso: string, floorKernel: string, directory: string): string {
  const kernelPath = findKernelPath(iso, directory);
  const output = join(directory, "floor.iso");
  rmSync(output, { force: true });
  run("xorriso", ["-indev", iso, "-outdev", output, "-map", floorKernel, kernelPath, "-boot_image", "any", "replay"]);
  return output;
}

/** The ISO path of the kernel the default (first) GRUB menu entry boots. */
function findKernelPath(iso: string, directory: string): string {
  const found = run("xorriso", ["-indev", iso, "-find", "/", "-name", "grub.cfg"]);
  const configPaths = found.split("\n").map((line) => line.trim().replace(/^'|'$/g, "")).filter(Boolean);
  for (const configPath of configPaths) {
    const extracted = join(directory, "grub.cfg");
    rmSync(extracted, { force: true });
    run("xorriso", ["-osirrox", "on", "-indev", iso, "-extract", configPath, extracted]);
    const kernel = /^\s*multiboot2\s+(?:--\S+\s+)*(\/\S+)/m.exec(readFileSync(extracted, "latin1"));
    if (kernel) return kernel[1];
  }
  throw new Error(`no "multiboot2 /path" line in the GRUB configuration of ${iso} (${configPaths.join(", ") || "no grub.cfg"})`);
}
