// Generations in QEMU: one ISO carries two generations, and each boots exactly its own system.
//
// In a scratch root with its own store, builds tests/qemu/generations/system.toml (handler
// 'versioned' at version "1"), then the same system with the handler at version "2": two
// generations. The ISO's default entry is the newest, so the boot shows version 2 and
// `generation=2` on the kernel's command line. GRUB's menu picks generation 1 both from the
// keyboard (the screen's menu) and over the serial line (as `make run` shows it). After
// `optios rollback 1` the next build writes the same ISO content with generation 1 as the
// default: version 1, `generation=1`.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BANNER_FIRST_LINE, parseBanner } from "../../toolchain/src/bench/banner.ts";
import { startMachine, stopAllMachines } from "../../toolchain/src/bench/machine.ts";
import { buildInScratch, createScratchRoot, runInScratch, scratchStore, type ScratchBuild } from "../../toolchain/src/build/scratch.ts";
import { defaultKernelArguments, toolchainRepository } from "../../toolchain/src/project.ts";

const FIXTURE = "tests/qemu/generations";
const SYSTEM = "generations/system.toml";
const BUILD_TIMEOUT_MILLISECONDS = 300_000;
const BOOT_TIMEOUT_MILLISECONDS = 120_000;

let scratch: ScratchBuild | undefined;

/** Sets the handler's version in both its source and system.toml, which must agree. */
function setHandlerVersion(root: string, version: string): void {
  const rewrite = (file: string, pattern: RegExp, replacement: string) => {
    const path = join(root, "generations", file);
    const before = readFileSync(path, "utf8");
    const after = before.replace(pattern, replacement);
    if (after === before) throw new Error(`${path}: expected a version line to rewrite to "${version}"`);
    writeFileSync(path, after);
  };
  rewrite("versioned.ts", /export const version = "[^"]*";/, `export const version = "${version}";`);
  rewrite("system.toml", /(\[\[handlers\]\][\s\S]*?\nversion = )"[^"]*"/, `$1"${version}"`);
}

/** Boots the scratch ISO's default entry and returns its serial output once the handler started. */
async function bootDefault(): Promise<string> {
  const machine = startMachine({ iso: scratch!.iso, memory: "128M" });
  try {
    await machine.waitFor(/handlers: started 'versioned' version \d+/, BOOT_TIMEOUT_MILLISECONDS);
    return machine.output.replace(/\r/g, "");
  } finally {
    await stopAllMachines();
  }
}

interface ListedGeneration {
  number: number;
  isDefault: boolean;
}

async function generations(): Promise<ListedGeneration[]> {
  return JSON.parse(await runInScratch(scratch!, ["generations", "--json", "--store", scratchStore(scratch!)], 60_000)) as ListedGeneration[];
}

beforeAll(async () => {
  scratch = createScratchRoot();
  // A real copy, not the symlinked tests/ folder: the test rewrites these files.
  cpSync(join(toolchainRepository, FIXTURE), join(scratch.root, "generations"), { recursive: true });
  await buildInScratch(scratch, SYSTEM, defaultKernelArguments, BUILD_TIMEOUT_MILLISECONDS);
  setHandlerVersion(scratch.root, "2");
  await buildInScratch(scratch, SYSTEM, defaultKernelArguments, BUILD_TIMEOUT_MILLISECONDS);
}, 2 * BUILD_TIMEOUT_MILLISECONDS);

afterAll(async () => {
  await stopAllMachines();
  scratch?.remove();
});

describe("generations on one ISO", () => {
  test("two builds that differ make two generations; a no-op rebuild makes none", async () => {
    await buildInScratch(scratch!, SYSTEM, defaultKernelArguments, BUILD_TIMEOUT_MILLISECONDS);
    expect((await generations()).map((generation) => [generation.number, generation.isDefault])).toEqual([[2, true], [1, false]]);
    const menu = readFileSync(join(scratch!.root, "build/iso-root/boot/grub/grub.cfg"), "utf8");
    expect(menu).toContain("set default=generation-2");
    expect(menu).toMatch(/set timeout=[1-9]/);
    expect([...menu.matchAll(/^menuentry 'OptiOS 1 - generation (\d+) \(\d{4}-\d\d-\d\d \d\d:\d\d UTC, [0-9a-f]{8}\)'/gm)]
      .map((match) => match[1])).toEqual(["2", "1"]);
  }, BUILD_TIMEOUT_MILLISECONDS);

  test("the default entry boots generation 2: its kernel command line and its handler version", async () => {
    const output = await bootDefault();
    expect(output).toMatch(/cmdline: .*generation=2/);
    expect(output).toContain("handlers: started 'versioned' version 2");
    expect(output).not.toContain("handlers: started 'versioned' version 1");
  }, BOOT_TIMEOUT_MILLISECONDS + 30_000);

  test("on the same ISO, choosing the second menu entry boots generation 1", async () => {
    // GRUB counts down 3 s with two generations. Pressing Down stops the countdown and moves
    // to the older entry (it stays there however often it is pressed); Enter boots it. The
    // presses start before the menu shows and go on past the point it certainly has.
    const machine = startMachine({ iso: scratch!.iso, memory: "128M", monitor: true, reboot: true });
    try {
      for (let press = 0; press < 25; press++) {
        await machine.sendKey("down").catch(() => undefined); // the socket may not be up yet
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await machine.sendKey("ret");
      await machine.waitFor(/handlers: started 'versioned' version \d+/, BOOT_TIMEOUT_MILLISECONDS);
      const output = machine.output.replace(/\r/g, "");
      expect(output).toMatch(/cmdline: .*generation=1/);
      expect(output).toContain("handlers: started 'versioned' version 1");

      // A version bump resets the state: reboot (warm) into the default entry, generation 2.
      await machine.waitFor(/versioned: run 3 as version 1/, BOOT_TIMEOUT_MILLISECONDS);
      const from = machine.output.length;
      await machine.type("reboot\r");
      await machine.waitFor(/versioned: run 1 as version 2/, BOOT_TIMEOUT_MILLISECONDS, from);
      const afterReboot = machine.output.slice(from).replace(/\r/g, "");
      expect(afterReboot).toContain("reboot: saved the state of 1 handler for the next boot");
      expect(afterReboot).toMatch(/cmdline: .*generation=2/);
      expect(afterReboot).toContain("handlers: 'versioned' is version 2, its saved state version 1: starting from its initial state");
    } finally {
      await stopAllMachines();
    }
  }, 2 * BOOT_TIMEOUT_MILLISECONDS + 30_000);

  test("over the serial line, as `make run` sees it: GRUB's menu as plain text, Down then Enter boots generation 1", async () => {
    // GRUB lists both generations on COM1 (a dumb terminal: text, no escape codes) and counts
    // down 3 s. The test waits until the older entry is listed, so GRUB reads the serial line,
    // then sends a terminal's Down arrow (ESC [ B), which stops the countdown and marks the
    // older entry with GRUB's '*', and Enter once that mark is shown.
    const machine = startMachine({ iso: scratch!.iso, memory: "128M" });
    try {
      const olderEntry = /[ *]OptiOS 1 - generation 1 \(/;
      const menuShown = (await machine.waitFor(olderEntry, BOOT_TIMEOUT_MILLISECONDS)).match.index;
      await machine.type("\x1b[B");
      await machine.waitFor(/\*OptiOS 1 - generation 1 \(/, BOOT_TIMEOUT_MILLISECONDS, menuShown + 1);
      await machine.type("\r");
      await machine.waitFor(/handlers: started 'versioned' version \d+/, BOOT_TIMEOUT_MILLISECONDS);
      const output = machine.output.replace(/\r/g, "");
      expect(output).toMatch(/cmdline: .*generation=1/);
      expect(output).toContain("handlers: started 'versioned' version 1");
      expect(output).not.toContain("handlers: started 'versioned' version 2");
      // GRUB wrote only text: no escape sequence reached the serial line before the kernel's banner.
      const beforeBanner = machine.output.slice(0, BANNER_FIRST_LINE.exec(machine.output)!.index);
      expect(beforeBanner).toContain("OptiOS 1 - generation 2 (");
      expect(beforeBanner).not.toContain("\x1b");
      expect(parseBanner(machine.output).commandLine).toMatch(/ generation=1$/);
    } finally {
      await stopAllMachines();
    }
  }, 2 * BOOT_TIMEOUT_MILLISECONDS);

  test("a warm reboot into the same version resumes the handler's state where it was", async () => {
    const machine = startMachine({ iso: scratch!.iso, memory: "128M", reboot: true });
    try {
      await machine.waitFor(/versioned: run 3 as version 2/, BOOT_TIMEOUT_MILLISECONDS);
      const from = machine.output.length;
      await machine.type("reboot\r");
      await machine.waitFor(/handlers: 'versioned' resumed the state it had before the reboot \(version 2, /, BOOT_TIMEOUT_MILLISECONDS, from);
      const beforeReboot = [...machine.output.slice(0, from).matchAll(/versioned: run (\d+) as version 2/g)].map((match) => Number(match[1]));
      const last = beforeReboot.at(-1)!;
      await machine.waitFor(new RegExp(`versioned: run ${last + 1} as version 2`), BOOT_TIMEOUT_MILLISECONDS, from);
      expect(machine.output.slice(from)).not.toMatch(/versioned: run 1 as version 2/);
    } finally {
      await stopAllMachines();
    }
  }, 2 * BOOT_TIMEOUT_MILLISECONDS);

  test("after `optios rollback 1` and a rebuild, the ISO boots exactly generation 1", async () => {
    await runInScratch(scratch!, ["rollback", "1", "--store", scratchStore(scratch!)], 60_000);
    await buildInScratch(scratch!, SYSTEM, defaultKernelArguments, BUILD_TIMEOUT_MILLISECONDS);
    expect((await generations()).find((generation) => generation.isDefault)?.number).toBe(1);
    const output = await bootDefault();
    expect(output).toMatch(/cmdline: .*generation=1/);
    expect(output).toContain("handlers: started 'versioned' version 1");
    expect(output).not.toContain("handlers: started 'versioned' version 2");
  }, BUILD_TIMEOUT_MILLISECONDS + BOOT_TIMEOUT_MILLISECONDS);
});
