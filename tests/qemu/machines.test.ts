// The system holds on bad input and on small and large machines: each boot says what is wrong and goes on.
//
// Boots build/kernel.elf directly (PVH) with hand-made initrds: empty, garbage, an old-format
// (070707) archive, and the build's own archive cut short after /bin/shell; a 5 KB command
// line (QEMU's option ROM overwrites the start info with it); -m 4M (too little for the shell),
// -m 3M (too little for the kernel image) and -m 5G (memory above the identity-mapped 4 GiB).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initrdArchive, initrdStaging } from "../../toolchain/src/build/initrd.ts";
import { BANNER_TIMEOUT_MILLISECONDS, boot, images, useMachines, type Machine } from "./harness.ts";
import { COMMAND_TIMEOUT_MILLISECONDS, SHELL_PROMPT, shellCommand } from "./shell_session.ts";

useMachines();

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TEST_TIMEOUT_MILLISECONDS = BANNER_TIMEOUT_MILLISECONDS + 4 * COMMAND_TIMEOUT_MILLISECONDS;
/** After the last boot line, how long a guest must stay up (no panic, QEMU still running). */
const STAYS_UP_MILLISECONDS = 1_000;
const NO_SHELL = "boot: no shell to start: the boot filesystem is missing or damaged (";
const SAFE_SYSTEM = "starting a safe system: no handlers, the shell";

let folder = "";
const initrds = { build: "", empty: "", garbage: "", odc: "", truncated: "" };

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), "optios-machines-"));
  const file = (name: string, bytes: Uint8Array) => {
    writeFileSync(join(folder, name), bytes);
    return join(folder, name);
  };
  initrds.build = join(folder, "initrd.cpio");
  copyFileSync(resolve(ROOT, initrdArchive), initrds.build);
  initrds.empty = file("empty.cpio", new Uint8Array(0));
  initrds.garbage = file("garbage.bin", Uint8Array.from({ length: 4096 }, (_, index) => (index * 131 + 0x59) & 0xff));
  const staging = resolve(ROOT, initrdStaging);
  const names = execFileSync("find", [".", "-mindepth", "1"], { cwd: staging, encoding: "utf8" }).split("\n").filter(Boolean).sort();
  initrds.odc = file("odc.cpio", execFileSync("cpio", ["-o", "-H", "odc", "--quiet"], { cwd: staging, input: names.join("\n") + "\n" }));
  // The build's archive cut inside its last file: bin/shell comes before it (names are sorted).
  const archive = readFileSync(initrds.build);
  const last = archive.lastIndexOf(Buffer.from("etc/system.toml\0"));
  initrds.truncated = file("truncated.cpio", archive.subarray(0, last + 100));
});

afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

async function staysUp(machine: Machine): Promise<void> {
  await new Promise((done) => setTimeout(done, STAYS_UP_MILLISECONDS));
  expect(machine.output).not.toMatch(/PANIC|CPU exception/);
  const status = await Promise.race([machine.exited.then(() => "exited"), Promise.resolve("running")]);
  expect(status).toBe("running");
}

describe("initrd: a bad boot filesystem is named, and the machine stays up", () => {
  test.each([
    ["empty", () => initrds.empty,
      "boot filesystem: no initrd: the loader handed over no boot module named 'initrd' nor any cpio archive (QEMU's -initrd passes none for an empty file)"],
    ["garbage", () => initrds.garbage,
      "boot filesystem: refused: initrd: not a cpio archive: it starts with the bytes 59 dc 5f e2 65 e8 ('Y?_?e?'), expected the newc magic 070701; booting without a boot filesystem"],
    ["070707", () => initrds.odc,
      "boot filesystem: refused: initrd: an old portable cpio archive (magic 070707, cpio -H odc); only the newc format is read (magic 070701, cpio -H newc); booting without a boot filesystem"],
  ])("initrd %s: its own message, the safe system, and a clear line that there is no shell to start", async (_, initrd, message) => {
    const machine = boot({ kernel: images.kernel, initrd: initrd() });
    await machine.waitFor(new RegExp(`${NO_SHELL.replace(/[()]/g, "\\$&")}.*another generation`), BANNER_TIMEOUT_MILLISECONDS);
    expect(machine.output).toContain(message);
    expect(machine.output).toContain(`boot descriptor: no boot filesystem, so no /etc/system.descriptor; ${SAFE_SYSTEM}`);
    expect(machine.output).not.toContain(SHELL_PROMPT);
    await staysUp(machine);
  }, TEST_TIMEOUT_MILLISECONDS);

  test("initrd truncated: what was read before the damage is mounted, the safe system's shell answers", async () => {
    const machine = boot({ kernel: images.kernel, initrd: initrds.truncated });
    await machine.waitFor(SHELL_PROMPT, BANNER_TIMEOUT_MILLISECONDS);
    expect(machine.output).toMatch(/boot filesystem: refused: initrd: entry 'etc\/system\.toml' at offset \d+: size \d+ runs past the end of the \d+-byte archive; the \d+ entries read before the damage are mounted read-only at \//);
    expect(machine.output).toContain(`boot descriptor: the boot filesystem is damaged, so its /etc/system.descriptor is not used; ${SAFE_SYSTEM}`);
    expect(await shellCommand(machine, "capabilities")).toMatch(/^shell +program +report:\*, files:read, power$/m);
    expect(await shellCommand(machine, "ls /bin")).toContain("shell");
  }, TEST_TIMEOUT_MILLISECONDS);
});

test("cmdline: a 5 KB PVH command line is cut with a warning, the start info QEMU overwrote is rebuilt, and the shell starts", async () => {
  const commandLine = "console=serial marker=long " + "a".repeat(5000);
  const machine = boot({ kernel: images.kernel, initrd: initrds.build, append: commandLine });
  await machine.waitFor(SHELL_PROMPT, BANNER_TIMEOUT_MILLISECONDS);
  expect(machine.output).toMatch(/PVH: QEMU's option ROM copied the 5027-byte command line into its 4096-byte buffer and overwrote the start info at 0x[0-9a-f]+; the memory map, command line and initrd were read from fw_cfg instead/);
  expect(machine.output).toContain("command line: 5027 bytes, cut to the first 1024 (COMMAND_LINE_MAX_BYTES); the rest is ignored");
  expect(machine.output).toContain("cmdline: console=serial marker=long aaaa");
  expect(machine.output).toContain("boot filesystem: mounted read-only at /");
}, TEST_TIMEOUT_MILLISECONDS);

test("memory: with -m 4M the kernel says it needs more memory, naming what it has, and stays up", async () => {
  const machine = boot({ kernel: images.kernel, initrd: initrds.build, memory: "4M" });
  await machine.waitFor(/memory: this machine needs more memory.*default system/, BANNER_TIMEOUT_MILLISECONDS);
  expect(machine.output).toMatch(/programs: cannot start 'shell': \/bin\/shell: out of memory: [\d.]+ (KiB|MiB) asked for, [\d.]+ KiB free of 3\.\d MiB/);
  expect(machine.output).toMatch(/memory: this machine needs more memory: it has 3\.\d MiB of usable RAM and its boot programs need more than that \(at least [\d.]+ MiB\); 1 boot program could not start/);
  expect(machine.output).not.toContain("trapped while starting");
  await staysUp(machine);
}, TEST_TIMEOUT_MILLISECONDS);

test("memory: with -m 3M, too little for the kernel image itself, the boot stub says how much there is and is needed", async () => {
  const machine = boot({ kernel: images.kernel, initrd: initrds.build, memory: "3M" });
  await machine.waitFor(/OptiOS: this machine needs more memory: .*docs\/benchmarks\.md\)/, BANNER_TIMEOUT_MILLISECONDS);
  expect(machine.output).toMatch(/it has 2\d{3} KiB of usable RAM, and the kernel alone needs RAM up to 0x[0-9a-f]{16} \(at least [34] MiB; a working shell needs more/);
  expect(machine.output).not.toMatch(/assertion failed|PANIC|panic/);
}, TEST_TIMEOUT_MILLISECONDS);

test("memory: with -m 5G the shell's mem reports the RAM above the identity-mapped 4 GiB as unmanaged, not used", async () => {
  const machine = boot({ kernel: images.kernel, initrd: initrds.build, memory: "5G" });
  await machine.waitFor(SHELL_PROMPT, BANNER_TIMEOUT_MILLISECONDS);
  const report = await shellCommand(machine, "mem");
  const match = report.match(/memory: 5\.0 GiB total, ([\d.]+) (MiB|GiB) used, ([\d.]+) GiB free, 2\.0 GiB unmanaged \(above the identity-mapped 4 GiB\)/);
  expect(match, report).not.toBeNull();
  const usedMebibytes = Number(match![1]) * (match![2] === "GiB" ? 1024 : 1);
  expect(usedMebibytes).toBeLessThan(1024); // the kernel, its modules and the shell: far from the 2 GiB it reported before
}, TEST_TIMEOUT_MILLISECONDS);
