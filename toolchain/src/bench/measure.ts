// The bench's measurements: timed boots, floor boots, the smallest RAM that boots, sizes.

import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { BANNER_FIRST_LINE, BANNER_LAST_LINE, parseBanner } from "./banner.ts";
import { FLOOR_MESSAGE } from "./floor.ts";
import { startMachine, type Machine, type MachineOptions } from "./machine.ts";

/** Longest a single bench boot may take before it counts as failed. */
export const BOOT_TIMEOUT_MILLISECONDS = 60_000;
/** Longest a memory probe may take to show the whole banner. */
export const PROBE_TIMEOUT_MILLISECONDS = 20_000;
export const MEMORY_SEARCH_MEBIBYTES = { smallest: 1, largest: 64 };

export interface OptiosBoot {
  /** Host milliseconds from spawn to the banner's first line on serial. */
  wallMilliseconds: number;
  /** Guest-reported: machine start (TSC ≈ 0 under TCG) to kernel entry. */
  entryMilliseconds: number;
  /** Guest-reported: kernel entry to banner. */
  bannerMilliseconds: number;
}

export interface FloorBoot {
  /** Host milliseconds from spawn to the floor guest's "floor" line on serial. */
  wallMilliseconds: number;
  /** Host milliseconds from spawn to QEMU's exit (the floor guest exits at once). */
  exitMilliseconds: number;
}

/** Boots OptiOS once; kills QEMU as soon as the whole banner has arrived. */
export async function timeOptiosBoot(options: MachineOptions): Promise<OptiosBoot> {
  const machine = startMachine(options);
  try {
    const first = await machine.waitFor(BANNER_FIRST_LINE, BOOT_TIMEOUT_MILLISECONDS);
    await machine.waitFor(BANNER_LAST_LINE, BOOT_TIMEOUT_MILLISECONDS);
    const banner = parseBanner(machine.output);
    return {
      wallMilliseconds: first.at,
      entryMilliseconds: banner.boot.entryMilliseconds,
      bannerMilliseconds: banner.boot.bannerMilliseconds,
    };
  } finally {
    machine.kill();
    await machine.exited;
  }
}

/** Boots the floor guest once and waits for QEMU to exit on its own. */
export async function timeFloorBoot(options: MachineOptions): Promise<FloorBoot> {
  const machine = startMachine(options);
  try {
    const seen = await machine.waitFor(FLOOR_MESSAGE, BOOT_TIMEOUT_MILLISECONDS);
    const status = await machine.waitForExit(BOOT_TIMEOUT_MILLISECONDS);
    if (status !== 33) throw new Error(`floor guest: QEMU exited with ${status}, expected 33`);
    return { wallMilliseconds: seen.at, exitMilliseconds: machine.endedAt! };
  } finally {
    machine.kill();
    await machine.exited;
  }
}

export interface MemoryProbe {
  mebibytes: number;
  booted: boolean;
}

/** What a memory probe waits for: the PVH banner, or the ISO booted to a shell that answers. */
export interface MemoryGoal {
  /** The guest to boot, without its memory. */
  boot: Omit<MachineOptions, "memory">;
  /** Resolves when the guest reached the goal; rejects (or times out) when it did not. */
  reach(machine: Machine): Promise<void>;
}

/** The whole banner through PVH. */
export function bannerGoal(kernel: string): MemoryGoal {
  return { boot: { kernel }, reach: async (machine) => void (await machine.waitFor(BANNER_LAST_LINE, PROBE_TIMEOUT_MILLISECONDS)) };
}

export const SHELL_PROMPT = "optios$ ";
/** What the kernel prints when the shell cannot start: the probe fails at once instead of at its timeout. */
const SHELL_MISSING = /memory: this machine needs more memory|boot: no shell to start|programs: cannot start 'shell'/;

/** The ISO (SeaBIOS, GRUB) booted to a shell that answers `mem` with its memory line. */
export function isoShellGoal(iso: string): MemoryGoal {
  return shellGoal({ iso });
}

/** `boot` (an ISO, or a kernel with its initrd) to a shell that answers `mem` with its memory line. */
export function shellGoal(boot: Omit<MachineOptions, "memory" | "failOn">): MemoryGoal {
  return {
    boot: { ...boot, failOn: new RegExp(`^PANIC|${SHELL_MISSING.source}`, "m") },
    reach: async (machine) => {
      await machine.waitFor(SHELL_PROMPT, PROBE_TIMEOUT_MILLISECONDS);
      const from = machine.output.length;
      await machine.type("mem\r");
      await machine.waitFor(/memory: .* total, .* free/, PROBE_TIMEOUT_MILLISECONDS, from);
    },
  };
}

/**
 * Bisects for the smallest `-m` (whole MiB) at which `goal` is reached, assuming that more
 * memory never hurts. Returns undefined if even the largest fails. `range` defaults to 1–64 MiB.
 */
export async function findSmallestMemory(goal: MemoryGoal, probes: MemoryProbe[],
  range: { smallest: number; largest: number } = MEMORY_SEARCH_MEBIBYTES): Promise<number | undefined> {
  const probe = async (mebibytes: number): Promise<boolean> => {
    const machine = startMachine({ ...goal.boot, memory: `${mebibytes}M` });
    let booted = true;
    try {
      await goal.reach(machine);
    } catch {
      booted = false;
    } finally {
      machine.kill();
      await machine.exited;
    }
    probes.push({ mebibytes, booted });
    return booted;
  };
  let failing = range.smallest - 1; // largest size known (or assumed) to fail
  let booting = range.largest; // smallest size known to boot
  if (!(await probe(booting))) return undefined;
  while (booting - failing > 1) {
    const middle = Math.floor((failing + booting) / 2);
    if (await probe(middle)) booting = middle;
    else failing = middle;
  }
  return booting;
}

export interface Sizes {
  kernelElfBytes: number;
  isoBytes: number;
  kernelWasm?: { path: string; bytes: number };
  /** Sections of the kernel ELF as `size` (Berkeley format) counts them. */
  sections?: { text: number; data: number; bss: number };
}

export function measureSizes(kernelElf: string, iso: string, kernelWasm: string): Sizes {
  const sizes: Sizes = { kernelElfBytes: statSync(kernelElf).size, isoBytes: statSync(iso).size };
  if (existsSync(kernelWasm)) sizes.kernelWasm = { path: kernelWasm, bytes: statSync(kernelWasm).size };
  try {
    const lines = execFileSync("size", [kernelElf], { encoding: "utf8" }).trim().split("\n");
    const [text, data, bss] = lines[1].trim().split(/\s+/).map(Number);
    sizes.sections = { text, data, bss };
  } catch {
    // `size` missing: the section figures are simply left out.
  }
  return sizes;
}
