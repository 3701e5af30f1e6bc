// Every way in reaches the banner: BIOS CD, BIOS USB stick, UEFI CD (all through GRUB), direct PVH.
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

test("bios usb: SeaBIOS boots the same ISO as a raw disk, the way a USB stick is seen", async () => {
  const banner = await expectBanner({ drive: images.iso }, "multiboot2", BANNER_TIMEOUT_MILLISECONDS);
  expect(banner.loader).toMatch(/GRUB/);
});

test("uefi cdrom: OVMF boots the ISO's EFI image, GRUB loads the kernel through multiboot2", async () => {
  const banner = await expectBanner({ iso: images.iso, uefi: true }, "multiboot2", UEFI_BANNER_TIMEOUT_MILLISECONDS);
  expect(banner.loader).toMatch(/GRUB/);
});

test("uefi usb: OVMF boots the same ISO as a raw disk through its GPT EFI partition, as a USB stick on a UEFI PC", async () => {
  const banner = await expectBanner({ drive: images.iso, uefi: true }, "multiboot2", UEFI_BANNER_TIMEOUT_MILLISECONDS);
  expect(banner.loader).toMatch(/GRUB/);
});

test("pvh: QEMU -kernel enters the ELF through its PVH note", async () => {
  await expectBanner({ kernel: images.kernel }, "pvh", BANNER_TIMEOUT_MILLISECONDS);
});
