// Every way in reaches the banner: BIOS and UEFI each from a CD, from the ISO written to a disk and
// from it written to a USB stick (all through GRUB), and direct PVH. A stick with a data partition:
// files.test.ts.
import { expect, test } from "vitest";
import {
  BANNER_LAST_LINE, BANNER_TIMEOUT_MILLISECONDS, UEFI_BANNER_TIMEOUT_MILLISECONDS, VERSION,
  boot, images, parseBanner, useMachines, type Banner,
} from "./harness.ts";
import type { MachineOptions } from "../../toolchain/src/bench/machine.ts";

useMachines();

/** Boots, waits for the whole banner and checks the version and the protocol that brought the kernel in. */
async function expectBanner(options: MachineOptions, protocol: Banner["protocol"], timeout: number): Promise<Banner> {
  const machine = boot(options);
  await machine.waitFor(BANNER_LAST_LINE, timeout);
  const banner = parseBanner(machine.output);
  expect(banner.version).toBe(VERSION);
  expect(banner.protocol).toBe(protocol);
  return banner;
}

test("bios cdrom: SeaBIOS boots the ISO as a CD, GRUB loads the kernel through multiboot2", async () => {
  const banner = await expectBanner({ iso: images.iso }, "multiboot2", BANNER_TIMEOUT_MILLISECONDS);
  expect(banner.loader).toMatch(/GRUB/);
});

test("bios disk: SeaBIOS boots the same ISO written to a hard disk (IDE)", async () => {
  const banner = await expectBanner({ drive: images.iso }, "multiboot2", BANNER_TIMEOUT_MILLISECONDS);
  expect(banner.loader).toMatch(/GRUB/);
});

test("bios usb: SeaBIOS boots the same ISO written to a USB stick (usb-storage on xHCI); the kernel looks at the stick and runs on without a data disk", async () => {
  const machine = boot({ usbStick: images.iso });
  await machine.waitFor(BANNER_LAST_LINE, BANNER_TIMEOUT_MILLISECONDS);
  expect(parseBanner(machine.output).protocol).toBe("multiboot2");
  // The stick itself is seen on the USB port, read-only (no data partition on it, so state stays in RAM).
  await machine.waitFor(/data disk: usb 00:0\d\.0 port \d+: .*, write-protected\r?\n/, BANNER_TIMEOUT_MILLISECONDS);
  await machine.waitFor(/data disk: none usable; handler state is kept in RAM only/, BANNER_TIMEOUT_MILLISECONDS);
});

test("uefi cdrom: OVMF boots the ISO's EFI image, GRUB loads the kernel through multiboot2", async () => {
  const banner = await expectBanner({ iso: images.iso, uefi: true }, "multiboot2", UEFI_BANNER_TIMEOUT_MILLISECONDS);
  expect(banner.loader).toMatch(/GRUB/);
});

test("uefi disk: OVMF boots the same ISO written to a hard disk, through its GPT EFI partition", async () => {
  const banner = await expectBanner({ drive: images.iso, uefi: true }, "multiboot2", UEFI_BANNER_TIMEOUT_MILLISECONDS);
  expect(banner.loader).toMatch(/GRUB/);
});

test("uefi usb: OVMF boots the same ISO written to a USB stick (usb-storage on xHCI), as on a UEFI PC", async () => {
  const banner = await expectBanner({ usbStick: images.iso, uefi: true }, "multiboot2", UEFI_BANNER_TIMEOUT_MILLISECONDS);
  expect(banner.loader).toMatch(/GRUB/);
});

test("pvh: QEMU -kernel enters the ELF through its PVH note", async () => {
  await expectBanner({ kernel: images.kernel }, "pvh", BANNER_TIMEOUT_MILLISECONDS);
});

test("bios cdrom: the TSC frequency the kernel measures against the PIT is the same boot after boot", async () => {
  // Under QEMU the guest's TSC is the host's, so every boot must measure the same frequency. A
  // port access that stalls during the measurement (QEMU's global lock held by its display or
  // disk work) once made a third of ISO boots read it 100× too slow or 2× too fast, and every
  // time in those systems as wrong (kernel/arch/x86_64/pit8254.ts).
  const megahertz: number[] = [];
  for (let i = 0; i < 4; i++) {
    const machine = boot({ iso: images.iso });
    await machine.waitFor(BANNER_LAST_LINE, BANNER_TIMEOUT_MILLISECONDS);
    megahertz.push(parseBanner(machine.output).boot.tscMegahertz);
    machine.kill(); // one guest at a time, as each boot of the bench's
    await machine.exited;
  }
  const lowest = Math.min(...megahertz);
  expect(lowest, `measured ${megahertz.join(", ")} MHz`).toBeGreaterThan(500);
  expect(Math.max(...megahertz), `measured ${megahertz.join(", ")} MHz`).toBeLessThanOrEqual(lowest * 1.02);
}, 120_000);
