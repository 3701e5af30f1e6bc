// The data disk in QEMU: virtio-blk found on PCI, read, written and flushed, and known by its
// label (docs/storage.md). Each test boots the kernel directly (PVH), with the default system's
// boot filesystem (for its shell) and one disk image.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { createDataDisk, encodeSuperblock } from "../../toolchain/src/disk.ts";
import { BANNER_TIMEOUT_MILLISECONDS, boot, images, useMachines } from "./harness.ts";
import { shellCommand, SHELL_PROMPT } from "./shell_session.ts";

useMachines();
const directory = mkdtempSync(join(tmpdir(), "optios-disks-"));
const initrd = join(directory, "initrd.cpio");
copyFileSync("build/initrd.cpio", initrd); // a copy: a rebuild during the tests cannot change it
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Boots with `disk` as the data disk (or none) on `bus` to the shell; the machine. */
async function bootWith(disk: string | undefined, bus: "virtio" | "ahci" | "nvme" | "usb" | "usb2" = "virtio") {
  const machine = boot({ kernel: images.kernel, initrd, append: "console=serial", memory: "64M", dataDisk: disk, dataDiskBus: bus });
  await machine.waitFor(SHELL_PROMPT, BANNER_TIMEOUT_MILLISECONDS);
  return machine;
}

// How the log and df name each kind of disk, and the requests df counts at the prompt: the superblock's
// read and the state log's first header (an empty log); AHCI's IDENTIFY DEVICE before them.
const buses = [
  { bus: "virtio" as const, name: String.raw`virtio-blk 00:0\d\.0`, readRequests: 2 },
  { bus: "ahci" as const, name: String.raw`ahci 00:0\d\.0 port 0`, readRequests: 3 },
  // NVMe: IDENTIFY controller and namespace, and the I/O queue pair's two creations, before them.
  { bus: "nvme" as const, name: String.raw`nvme 00:0\d\.0`, readRequests: 6 },
  // A USB stick on xHCI: its set-up's SCSI commands are not requests.
  { bus: "usb" as const, name: String.raw`usb 00:0\d\.0 port \d`, readRequests: 2 },
];

describe.each(buses)("the data disk on $bus", ({ bus, name, readRequests }) => {
  test("a disk made by optios disk create is the data disk, by its label; df shows it", async () => {
    const image = join(directory, `labelled-${bus}.img`);
    createDataDisk(image, 16 * 1024 * 1024, "kitchen-data");
    const machine = await bootWith(image, bus);
    expect(machine.output).toMatch(new RegExp(`data disk: 'kitchen-data' on ${name}, 16\\.0 MiB, format 1, write cache flushed on commit\\r?\\n`));
    const df = await shellCommand(machine, "df");
    expect(df).toMatch(/^DISK\s+SIZE\s+LABEL\s+FORMAT\s+CACHE\s+REQUESTS$/m);
    expect(df).toMatch(new RegExp(`^${name}\\s+16\\.0 MiB\\s+kitchen-data\\s+1\\s+flushed\\s+${readRequests}\\r?$`, "m"));
    expect(await shellCommand(machine, "sync")).toContain("sync: every handler state written to the data disk is durable");
    expect(await shellCommand(machine, "df")).toMatch(new RegExp(`^${name}\\s+16\\.0 MiB\\s+kitchen-data\\s+1\\s+flushed\\s+${readRequests + 1}\\r?$`, "m"));
  });

  test("a blank disk is formatted at first boot, with a log line, and is the data disk from then on", async () => {
    const image = join(directory, `blank-${bus}.img`);
    writeFileSync(image, Buffer.alloc(8 * 1024 * 1024));
    const first = await bootWith(image, bus);
    expect(first.output).toMatch(new RegExp(`data disk: formatted the blank disk as 'optios-data' on ${name}, 8\\.0 MiB, format 1`));
    await first.type("poweroff\r");
    expect(await first.waitForExit(BANNER_TIMEOUT_MILLISECONDS)).toBe(0);
    // Written and flushed: the image now holds both superblock copies, as optios disk create writes them.
    const written = readFileSync(image);
    const created = written.readBigUInt64LE(24);
    expect(written.subarray(0, 512)).toEqual(encodeSuperblock("optios-data", 1n, 16384n, created));
    expect(written.subarray(512, 1024)).toEqual(encodeSuperblock("optios-data", 2n, 16384n, created));
    const second = await bootWith(image, bus);
    expect(second.output).toMatch(new RegExp(`data disk: 'optios-data' on ${name}, 8\\.0 MiB`));
    expect(second.output).not.toContain("formatted");
  });

  test("a disk of another format is left alone, byte for byte, and the system runs on without a data disk", async () => {
    const image = join(directory, `foreign-${bus}.img`);
    const bootSector = Buffer.concat([Buffer.from([0xeb, 0x3c, 0x90]), Buffer.from("MSDOS5.0"), Buffer.alloc(8 * 1024 * 1024 - 11, 0x42)]);
    writeFileSync(image, bootSector);
    const machine = await bootWith(image, bus);
    expect(machine.output).toMatch(new RegExp(`data disk: ${name} \\(8\\.0 MiB\\) is not an OptiOS data disk \\(it starts with eb 3c 90 4d 53 44 4f 53 \\.\\.\\.\\); left alone\\r?\\n`));
    expect(machine.output).toMatch(/data disk: none usable; handler state is kept in RAM only\r?\n/);
    expect(await shellCommand(machine, "echo still here")).toContain("still here");
    expect(readFileSync(image).equals(bootSector)).toBe(true);
  });
});

describe("a USB stick (xHCI, bulk-only mass storage)", () => {
  test("on a USB 3 port, and on a USB 2 port behind a keyboard, it is named with its vendor, product and speed, and is the data disk", async () => {
    for (const [bus, place] of [["usb", "port 1: QEMU QEMU HARDDISK, super speed"], ["usb2", "port 2: QEMU QEMU HARDDISK, high speed"]] as const) {
      const image = join(directory, `stick-${bus}.img`);
      createDataDisk(image, 16 * 1024 * 1024, "stick");
      const machine = await bootWith(image, bus);
      // The keyboard on port 1 of the USB 2 controller is not a mass-storage device: the stick on port 2 is used.
      expect(machine.output).toMatch(new RegExp(String.raw`data disk: usb 00:0\d\.0 ${place}, 16\.0 MiB\r?\n`));
      expect(machine.output).toMatch(new RegExp(String.raw`data disk: 'stick' on usb 00:0\d\.0 port \d, 16\.0 MiB, format 1, write cache flushed on commit\r?\n`));
      await machine.type("poweroff\r");
      expect(await machine.waitForExit(BANNER_TIMEOUT_MILLISECONDS)).toBe(0);
    }
  });
});

describe("an xHCI controller without a stick", () => {
  test("a keyboard alone is named and not used; the controller is halted, and a stick plugged in later disturbs nothing", async () => {
    const machine = boot({
      kernel: images.kernel, initrd, append: "console=serial", memory: "64M", monitor: true,
      devices: ["qemu-xhci,id=xhci", "usb-kbd,bus=xhci.0"],
    });
    await machine.waitFor(SHELL_PROMPT, BANNER_TIMEOUT_MILLISECONDS);
    expect(machine.output).toMatch(/data disk: usb 00:0\d\.0: port \d: not a bulk-only mass-storage device \(interface class 0x3\); not used\r?\n/);
    expect(machine.output).toMatch(/data disk: none usable; handler state is kept in RAM only\r?\n/);
    createDataDisk(join(directory, "late.img"), 8 * 1024 * 1024, "late");
    await machine.monitorCommand("drive_add 0 if=none,id=late,file=" + join(directory, "late.img") + ",format=raw");
    await machine.monitorCommand("device_add usb-storage,bus=xhci.0,drive=late");
    for (let i = 0; i < 3; i++) expect(await shellCommand(machine, `echo still here ${i}`)).toContain(`still here ${i}`);
    expect(machine.output).not.toMatch(/PANIC|CPU exception|'late'/);
  });
});

describe("without a disk", () => {
  test("one line, and the system runs on", async () => {
    const machine = await bootWith(undefined);
    expect(machine.output).toMatch(/data disk: none: no disk; handler state is kept in RAM only\r?\n/);
    expect(await shellCommand(machine, "df")).toMatch(/^data disk: none: no disk/m);
    expect(await shellCommand(machine, "sync")).toContain("sync: there is no data disk, or its state log stopped (see: df)");
  });
});
