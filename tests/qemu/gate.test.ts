// The gate in QEMU: granted calls work, ungranted ones are refused and logged while everything runs on; a bad descriptor boots a safe system.
//
// Builds tests/qemu/systems/gate.toml into a scratch root: a handler `caller` granted
// emit:allowed.* and status:target, the handler `target` it may reach, and a shell granted
// less than the default one. One boot serves the tests of the first group, in order. The
// second group boots the same kernel directly (PVH) with the system's initrd, its boot
// descriptor damaged or removed.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Machine, startMachine, stopAllMachines } from "../../toolchain/src/bench/machine.ts";
import { initrdStaging } from "../../toolchain/src/build/initrd.ts";
import { buildSystemInScratch, type ScratchBuild } from "../../toolchain/src/build/scratch.ts";
import { defaultKernelArguments, paths } from "../../toolchain/src/project.ts";
import { COMMAND_TIMEOUT_MILLISECONDS, outputSince, SHELL_PROMPT, shellCommand } from "./shell_session.ts";

const SYSTEM = "tests/qemu/systems/gate.toml";
const BUILD_TIMEOUT_MILLISECONDS = 540_000;
const BOOT_TIMEOUT_MILLISECONDS = 120_000;
const PROMPT = SHELL_PROMPT;
const NOT_GRANTED = "not granted: the module's capabilities do not allow this call";

let scratch: ScratchBuild | undefined;
let machine: Machine;
const temporary: string[] = [];

beforeAll(async () => {
  scratch = await buildSystemInScratch(SYSTEM, defaultKernelArguments, BUILD_TIMEOUT_MILLISECONDS);
}, BUILD_TIMEOUT_MILLISECONDS);

afterAll(async () => {
  await stopAllMachines();
  scratch?.remove();
  for (const folder of temporary) rmSync(folder, { recursive: true, force: true });
});

const since = (from: number) => outputSince(machine, from);
const command = (line: string, until?: RegExp | string) => shellCommand(machine, line, until);

describe.sequential("capabilities, granted and refused", () => {
  beforeAll(async () => {
    machine = startMachine({ iso: scratch!.iso, memory: "128M" });
    await machine.waitFor(PROMPT, BOOT_TIMEOUT_MILLISECONDS);
  }, BOOT_TIMEOUT_MILLISECONDS);

  test("log text is escaped: a module can neither forge a kernel line nor drive the terminal", async () => {
    await machine.waitFor("[forger] forger: hello", BOOT_TIMEOUT_MILLISECONDS);
    const output = since(0);
    expect(output).toContain("[forger] forger: hello\\x0d\\x0ahandlers: 'target' trapped (unreachable executed); run rolled back\\x1b[2J");
    expect(output).not.toMatch(/^handlers: 'target' trapped/m);
    expect(output).not.toContain("\u001b[2J");
  });

  test("emit: a granted event reaches its subscriber; an ungranted one is refused and logged, and the handler runs on", async () => {
    const output = await command("emit go", /caller: done[\s\S]*target: got allowed\.one as allowed\.one, named allowed\.one/);
    expect(output).toContain("[caller] caller: emit allowed.one -> sent");
    expect(output).toContain(`[caller] caller: emit denied.one -> ${NOT_GRANTED}`);
    expect(output).toContain("gate: refused caller's call emit: it needs the capability emit:denied.one (1 refusal)");
    // Event.nameNumber == eventNumber("allowed.one"), and Event.name, from the kernel, is its name.
    expect(output).toContain("[target] target: got allowed.one as allowed.one, named allowed.one");
    expect(output).not.toContain("target: got denied.one");
  });

  test("status: the granted handler's counters are read; another's are refused", async () => {
    const output = since(0);
    expect(output).toMatch(/\[caller\] caller: status target -> runs=\d+/);
    expect(output).toContain(`[caller] caller: status caller -> ${NOT_GRANTED}`);
    expect(output).toContain("gate: refused caller's call status: it needs the capability status:caller (2 refusals)");
  });

  test("refusals are logged rate-limited (1st, 2nd, 4th…), and the refused handler keeps running", async () => {
    const output = await command("emit go", /caller: done/);
    expect(output).toContain("[caller] caller: emit allowed.one -> sent");
    expect(output).not.toContain("(3 refusals)");
    expect(output).toContain("gate: refused caller's call status: it needs the capability status:caller (4 refusals)");
  });

  test("the shell's emit: an event it was not granted is refused with the reason", async () => {
    const output = await command("emit other");
    expect(output).toContain(`emit: 'other': ${NOT_GRANTED}`);
    expect(output).toContain("gate: refused shell's call emit: it needs the capability emit:other (1 refusal)");
  });

  test("report: granted topics are written (log, handlers), ungranted ones refused (mem, uptime)", async () => {
    expect(await command("mem")).toContain(`mem: ${NOT_GRANTED}`);
    expect(await command("uptime")).toContain(`uptime: ${NOT_GRANTED}`);
    expect(await command("log")).toContain("gate: refused caller's call emit");
    expect(await command("handlers")).toMatch(/^caller +1 +\d+ +0 +\d+ +\d+\/16 +0\/0 +running +-$/m);
  });

  test("reset: the granted handler is reset; another is refused", async () => {
    expect(await command("reset caller")).toContain(`reset: ${NOT_GRANTED}`);
    expect(await command("reset target")).toContain("reset: 'target' is back to its initial state");
  });

  test("files:read: the boot filesystem can be read", async () => {
    expect(await command("cat /etc/system.toml")).toContain('hostname = "gate-test"');
  });

  test("capabilities lists what each handler and running program was granted", async () => {
    const output = await command("capabilities");
    expect(output).toMatch(/^caller +handler +emit:allowed\.\*, status:target$/m);
    expect(output).toMatch(/^target +handler +none$/m);
    expect(output).toMatch(/^forger +handler +none$/m);
    expect(output).toMatch(/^shell +program +emit:go, report:log, report:capabilities, report:handlers, files:read, reset:target, programs, power, net.ping, data:\/data\/\*$/m);
  });

  test("programs: a granted run is carried out (here, on the shell's console, it ends by itself)", async () => {
    expect(await command("run counter 10")).toContain("counter: counted to 10 million");
    expect(await command("run -b counter")).toContain("run: all 1 console has a program ([foreground] max = 1)");
  });

  test("power: a granted poweroff turns the machine off", async () => {
    await machine.type("poweroff\r");
    await machine.exited;
    expect(machine.output).not.toMatch(/PANIC|exception/);
  });
});

/** The scratch system's initrd with `edit` applied to its staging tree, packed again with cpio. */
function initrdWith(edit: (staging: string) => void): string {
  const folder = mkdtempSync(join(tmpdir(), "optios-gate-initrd-"));
  temporary.push(folder);
  const staging = join(folder, "root");
  cpSync(join(scratch!.root, initrdStaging), staging, { recursive: true });
  edit(staging);
  const names = execFileSync("find", [".", "-mindepth", "1"], { cwd: staging, encoding: "utf8" }).split("\n").filter(Boolean).sort();
  const archive = join(folder, "initrd.cpio");
  writeFileSync(archive, execFileSync("cpio", ["--create", "--format=newc", "--quiet"], { cwd: staging, input: names.join("\n") + "\n" }));
  return archive;
}

describe.sequential("a missing or damaged boot descriptor", () => {
  test.each([
    ["damaged", (staging: string) => {
      const file = join(staging, "etc", "system.descriptor");
      const bytes = readFileSync(file);
      bytes[bytes.length - 1] ^= 0x20;
      writeFileSync(file, bytes);
    }, /boot descriptor: \/etc\/system\.descriptor: damaged: checksum 0x[0-9a-f]+ does not match the recorded 0x[0-9a-f]+; starting a safe system: no handlers, the shell/],
    ["missing", (staging: string) => rmSync(join(staging, "etc", "system.descriptor")),
      /boot descriptor: \/etc\/system\.descriptor is missing from the boot filesystem; starting a safe system: no handlers, the shell/],
  ])("%s: a safe system boots, says why, and its shell answers with only the rescue capabilities", async (_, edit, message) => {
    const initrd = initrdWith(edit);
    machine = startMachine({ kernel: join(scratch!.root, paths.kernelElf), initrd, memory: "128M" });
    await machine.waitFor(PROMPT, BOOT_TIMEOUT_MILLISECONDS);
    expect(machine.output).toMatch(message);
    expect(machine.output).not.toContain("handlers: started");
    expect(await command("capabilities")).toMatch(/^shell +program +report:\*, files:read, power$/m);
    expect(await command("run counter")).toContain(`run: ${NOT_GRANTED}`);
    expect(await command("cat /etc/system.toml")).toContain('hostname = "gate-test"');
    await stopAllMachines();
  }, BOOT_TIMEOUT_MILLISECONDS + 4 * COMMAND_TIMEOUT_MILLISECONDS);
});
