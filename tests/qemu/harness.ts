// QEMU boot-test harness: boots build/ artifacts under TCG and kills every guest after each test.
//
// The machine itself (spawn, serial capture, waitFor, exited, kill) is
// toolchain/src/bench/machine.ts, shared with `make bench`; this file adds what tests
// need around it: the "run make first" check, timeouts sized for a 2-core CI machine,
// and an afterEach that SIGKILLs whatever a test left running.
//
// Guests boot a private copy of build/kernel.elf and build/optios.iso, taken when a test
// file starts: a rebuild during the run cannot change the images under a test, and a
// `make run` holding a lock on build/optios.iso cannot make QEMU refuse to start.

import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll } from "vitest";
import { paths } from "../../toolchain/src/project.ts";
import { startMachine, stopAllMachines, type Machine, type MachineOptions } from "../../toolchain/src/bench/machine.ts";

export { BANNER_FIRST_LINE, BANNER_LAST_LINE, parseBanner, type Banner } from "../../toolchain/src/bench/banner.ts";
export type { Machine } from "../../toolchain/src/bench/machine.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUILT_KERNEL = resolve(ROOT, paths.kernelElf);
const BUILT_ISO = resolve(ROOT, paths.iso);
/** The images tests boot: copies of the build's, set by useMachines() before the first test. */
export const images = { kernel: "", iso: "" };
/** The version the banner must report: the project's, from package.json. */
export const VERSION: string = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")).version;

/** Banner through PVH or SeaBIOS (about 0.2–0.8 s here; CI machines are slower and shared). */
export const BANNER_TIMEOUT_MILLISECONDS = 60_000;
/** Banner through OVMF + GRUB (about 6 s here under TCG). */
export const UEFI_BANNER_TIMEOUT_MILLISECONDS = 150_000;
/** A test-mode guest (test=selftest, test=fault) ending QEMU through isa-debug-exit. */
export const EXIT_TIMEOUT_MILLISECONDS = 60_000;

/** QEMU exit statuses from isa-debug-exit: the guest writes v, QEMU exits with (v << 1) | 1. */
export const EXIT_SUCCESS = (0x10 << 1) | 1; // 33
export const EXIT_FAILURE = (0x11 << 1) | 1; // 35

/**
 * Call once at the top of a test file: checks that the build exists before any test
 * runs, and kills every guest after each test, whatever the test did.
 */
export function useMachines(): void {
  let directory = "";
  beforeAll(() => {
    const missing = [BUILT_KERNEL, BUILT_ISO].filter((file) => !existsSync(file));
    if (missing.length > 0) throw new Error(`${missing.join(" and ")} missing: run make first`);
    directory = mkdtempSync(join(tmpdir(), "optios-images-"));
    images.kernel = join(directory, "kernel.elf");
    images.iso = join(directory, "optios.iso");
    copyFileSync(BUILT_KERNEL, images.kernel);
    copyFileSync(BUILT_ISO, images.iso);
  });
  afterEach(async () => {
    await stopAllMachines();
  });
  afterAll(() => {
    if (directory) rmSync(directory, { recursive: true, force: true });
  });
}

/** Starts a guest; `useMachines()` guarantees it is killed after the test. */
export function boot(options: MachineOptions): Machine {
  return startMachine(options);
}
