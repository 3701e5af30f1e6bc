// Files on the data disk, in QEMU (docs/storage.md): a handler's writes belong to its run, the
// shell's ls, cat and rm work under /data, files outlive a reboot and a SIGKILL, a full disk
// refuses a write by name, and a damaged record is refused while the file keeps its version before.
//
// Builds tests/qemu/systems/files.toml (the handler notes, with "data": its own /data/notes/)
// and drives notes from the shell's `emit note …`.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { constant } from "../../interface/optios.ts";
import { type Machine, startMachine, stopAllMachines } from "../../toolchain/src/bench/machine.ts";
import { buildSystemInScratch, type ScratchBuild } from "../../toolchain/src/build/scratch.ts";
import { createDataDisk, imageWithDataPartition } from "../../toolchain/src/disk.ts";
import { defaultKernelArguments } from "../../toolchain/src/project.ts";
import { logRecords } from "../../toolchain/src/disk_log.ts";
import { UEFI_BANNER_TIMEOUT_MILLISECONDS } from "./harness.ts";
import { BOOT_TIMEOUT_MILLISECONDS, BUILD_TIMEOUT_MILLISECONDS, shellCommand, SHELL_PROMPT } from "./shell_session.ts";

let scratch: ScratchBuild | undefined;
beforeAll(async () => {
  scratch = await buildSystemInScratch("tests/qemu/systems/files.toml", defaultKernelArguments, BUILD_TIMEOUT_MILLISECONDS);
}, BUILD_TIMEOUT_MILLISECONDS);
afterAll(async () => {
  await stopAllMachines();
  scratch?.remove();
});

async function bootWith(disk: string, bus: "virtio" | "ahci" | "nvme" | "usb" = "virtio"): Promise<Machine> {
  const machine = startMachine({ iso: scratch!.iso, memory: "128M", dataDisk: disk, dataDiskBus: bus });
  await machine.waitFor(SHELL_PROMPT, BOOT_TIMEOUT_MILLISECONDS);
  return machine;
}

/** Emits `event` with `payload` from the shell and waits for notes' line `until`; the output since. */
function note(machine: Machine, event: string, payload: string, until: RegExp): Promise<string> {
  return shellCommand(machine, `emit ${event}${payload ? ` ${payload}` : ""}`, until);
}

/** Turns the machine off from the shell and waits for QEMU to end. */
async function powerOff(machine: Machine): Promise<void> {
  await machine.type("poweroff\r");
  expect(await machine.waitForExit(BOOT_TIMEOUT_MILLISECONDS)).toBe(0);
  await stopAllMachines();
}

describe.each(["virtio", "ahci", "nvme", "usb"] as const)("files on the data disk (%s)", (bus) => {
  test("a handler's appends land with its run; the shell lists and prints them; they outlive a SIGKILL", async () => {
    const disk = join(scratch!.root, "build", `files-${bus}.img`);
    createDataDisk(disk, 16 * 1024 * 1024);
    const first = await bootWith(disk, bus);
    expect(first.output).toContain("[notes] notes: boot: (notes.txt: no such file) in 0 files");
    await note(first, "note", "first", /notes: now first\|\r?\n/);
    await note(first, "note", "second", /notes: now first\|second\|\r?\n/);
    expect(await shellCommand(first, "ls /")).toMatch(/^data\/\r?$/m);
    expect(await shellCommand(first, "ls /data")).toMatch(/^notes\/\r?$/m);
    expect(await shellCommand(first, "ls /data/notes")).toMatch(/^notes\.txt\r?$/m);
    expect(await shellCommand(first, "cat /data/notes/notes.txt")).toMatch(/first\r?\nsecond\r?\n/);
    // A later run has started, so the second append's commit was flushed before it (durability "commit").
    await note(first, "note.check", "", /notes: check first\|second\|\r?\n/);
    first.kill();
    await stopAllMachines();
    const second = await bootWith(disk, bus);
    expect(second.output).toContain("[notes] notes: boot: first|second| in 1 files");
    await powerOff(second);
  });
});

describe.sequential("files on the data disk: transactions, rm, a full disk, damage", () => {
  const disk = () => join(scratch!.root, "build", "files.img");
  let machine: Machine;

  test("a run that fails after appending leaves the file as it was", async () => {
    createDataDisk(disk(), 16 * 1024 * 1024);
    machine = await bootWith(disk());
    await note(machine, "note", "alpha", /notes: now alpha\|\r?\n/);
    const output = await note(machine, "note.fail", "beta", /'notes' aborted: notes fails on purpose/);
    expect(output).toContain("[notes] (rolled back) notes: now alpha|beta|"); // its own read saw the append
    await shellCommand(machine, "reset notes", /reset: 'notes' is back to its initial state/); // its retries would fail the same way
    await note(machine, "note.check", "", /notes: check .*\r?\n/);
    expect(machine.output).toMatch(/notes: check alpha\|\r?\n/);
    expect(await shellCommand(machine, "cat /data/notes/notes.txt")).not.toContain("beta");
  });

  test("a run that waited for the disk (its append read the file) and then spins is still stopped by its budget", async () => {
    // The disk wait arms the local APIC for its own deadline; the budget's timer must come back after it.
    const output = await note(machine, "note.spin", "gamma", /'notes' overran its 2s budget.*\r?\n/);
    expect(output).toContain("[notes] (rolled back) notes: now alpha|gamma|");
    await shellCommand(machine, "reset notes", /reset: 'notes' is back to its initial state/);
    await note(machine, "note.check", "", /notes: check alpha\|\r?\n/);
  });

  test("rm removes a file; the handler then finds none; rm of a missing file says so", async () => {
    expect(await shellCommand(machine, "rm /data/notes/notes.txt")).not.toContain("rm:");
    expect(await shellCommand(machine, "ls /data/notes")).not.toContain("notes.txt");
    await note(machine, "note.check", "", /notes: check \(notes\.txt: no such file\)\r?\n/);
    expect(await shellCommand(machine, "rm /data/notes/notes.txt")).toContain("rm: /data/notes/notes.txt: no such file");
    expect(await shellCommand(machine, "cat /data/../etc/motd")).toContain("cat: /data/../etc/motd: a path on the data disk must be /data/");
  });

  test("a full disk refuses the write with a named error, and the handler goes on", async () => {
    // 16 MiB: files may take a quarter of the log, about 4 MiB; a fourth 1 MiB file does not fit.
    for (const file of [1, 2, 3]) await note(machine, "note.fill", "", new RegExp(`notes: wrote big-${file}\\r?\\n`));
    const output = await note(machine, "note.fill", "", /notes: write refused: .*\r?\n/);
    expect(output).toContain("notes: write refused: big-4: the data disk's space for files is full, or it holds DATA_FILES_MAX files (see: df)");
    expect(await shellCommand(machine, "df")).toMatch(/^files: 3 of 256, 3\.0 MiB; they take 3\.0 MiB of the 4\.0 MiB files may use\r?$/m);
    await note(machine, "note", "still writing", /notes: now still writing\|\r?\n/);
  });

  test("a record damaged on the disk is refused with its place named; the file keeps the version before it", async () => {
    await note(machine, "note", "gamma", /notes: now still writing\|gamma\|\r?\n/);
    await powerOff(machine);
    const image = readFileSync(disk());
    const newest = newestFileRecord(image, "/data/notes/notes.txt");
    image[(newest + 1) * 512 + 3] ^= 0xff; // a byte of its contents
    writeFileSync(disk(), image);
    machine = await bootWith(disk());
    expect(machine.output).toContain(`data disk: /data/notes/notes.txt: its record at sector ${newest} fails its checksum (damaged on the disk); ` +
      "the file keeps the version before it");
    expect(machine.output).toContain("[notes] notes: boot: still writing| in 4 files");
    await note(machine, "note", "delta", /notes: now still writing\|delta\|\r?\n/);
    await powerOff(machine);
  });
});

// The image booted from a USB stick (xHCI, bulk-only transport) by SeaBIOS and by OVMF (which puts the
// controller's registers above 4 GiB), and written to a SATA disk.
const imageBuses = [
  { bus: "usb" as const, firmware: "bios", name: String.raw`usb 00:0\d\.0 port 1` },
  { bus: "usb" as const, firmware: "uefi", name: String.raw`usb 00:0\d\.0 port 1` },
  { bus: "ahci" as const, firmware: "bios", name: String.raw`ahci 00:0\d\.0 port 0` },
];

describe.each(imageBuses)("a USB image with a data partition (optios build --data), on $bus by $firmware", ({ bus, firmware, name }) => {
  test("booted from it, the kernel finds the data partition by its label and keeps files there across boots; nothing else is written", async () => {
    const image = join(scratch!.root, "build", `image-${bus}-${firmware}.img`);
    imageWithDataPartition(scratch!.iso, image, 16 * 1024 * 1024);
    const before = readFileSync(image);
    const boot = async () => {
      // The firmware boots the disk itself.
      const machine = startMachine({ memory: "128M", dataDisk: image, dataDiskBus: bus, uefi: firmware === "uefi" });
      await machine.waitFor(SHELL_PROMPT, firmware === "uefi" ? UEFI_BANNER_TIMEOUT_MILLISECONDS : BOOT_TIMEOUT_MILLISECONDS);
      return machine;
    };
    const first = await boot();
    expect(first.output).toMatch(new RegExp(`data disk: 'optios-data' on ${name} partition 3, 16\\.0 MiB, format 1, write cache flushed on commit\\r?\\n`));
    await note(first, "note", "kept on the stick", /notes: now kept on the stick\|\r?\n/);
    await powerOff(first);
    const second = await boot();
    expect(second.output).toContain("[notes] notes: boot: kept on the stick| in 1 files");
    await powerOff(second);
    const after = readFileSync(image);
    const start = before.readUInt32LE(446 + 2 * 16 + 8); // the third MBR entry's first sector
    expect(before[446 + 2 * 16 + 4]).toBe(0xda);
    expect(after.subarray(0, start * 512).equals(before.subarray(0, start * 512)), "the ISO's part of the image is untouched").toBe(true);
    expect(after.subarray(start * 512).equals(before.subarray(start * 512)), "the data partition was written").toBe(false);
  }, 2 * UEFI_BANNER_TIMEOUT_MILLISECONDS);
});

/** The sector of the newest LOG_FILE record for `path` in a data disk image. */
function newestFileRecord(image: Buffer, path: string): number {
  const records = logRecords(image).filter((record) => record.kind === constant("LOG_FILE") && record.path === path);
  expect(records.length, `no record of ${path} in the image`).toBeGreaterThan(0);
  return records.reduce((newest, record) => (record.sequence > newest.sequence ? record : newest)).sector;
}
