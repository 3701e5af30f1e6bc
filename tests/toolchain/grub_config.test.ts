// GRUB's configuration and the ISO's layout inputs, rendered from the real iso/ templates.
import { describe, expect, test } from "vitest";
import {
  earlyTemplate,
  markerName,
  menuTemplate,
  menuTimeoutSeconds,
  readTemplate,
  renderEarlyConfig,
  renderMenuConfig,
  renderTemplate,
} from "../../toolchain/src/build/grub_config.ts";
import { biosImageCommand, biosModules, efiImageCommand, efiModules } from "../../toolchain/src/build/grub_images.ts";
import { efiImageSectors, isoCommands, xorrisoTimestamp } from "../../toolchain/src/build/iso.ts";
import { toolchainRepository } from "../../toolchain/src/project.ts";

const kernel = new TextEncoder().encode("pretend kernel image");
const marker = markerName(kernel);

/** The configuration's commands: comment and blank lines dropped, indentation trimmed. */
function commandLines(config: string): string[] {
  return config
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

describe("markerName", () => {
  test("is the first 16 hex digits of the kernel's sha256, so a new kernel gets a new marker", () => {
    expect(marker).toMatch(/^[0-9a-f]{16}\.optios$/);
    expect(markerName(new TextEncoder().encode("another kernel"))).not.toBe(marker);
  });
});

describe("early.cfg", () => {
  test("finds the medium by the kernel's marker file and sets the prefix there", () => {
    const config = renderEarlyConfig(readTemplate(toolchainRepository, earlyTemplate), marker);
    // No comment lines: GRUB's rescue parser, which runs the embedded config, takes `#` for a command.
    expect(config.split("\n").filter((line) => line !== "")).toEqual([
      `search --no-floppy --set=root --file /boot/${marker}`,
      "set prefix=($root)/boot/grub",
    ]);
  });
});

describe("grub.cfg", () => {
  const template = readTemplate(toolchainRepository, menuTemplate);
  const menu = "set default=generation-2\n\nmenuentry 'two' --id generation-2 {\n  boot\n}\n";

  /** The menu's setup on BIOS: COM1 beside the screen, as a dumb terminal. */
  const biosSerialSetup = [
    'if [ "$grub_platform" = "pc" ]; then',
    "serial --unit=0 --speed=115200",
    "terminfo -a -g 80x13 serial dumb",
    "terminal_input --append serial",
    "terminal_output --append serial",
    "set gfxpayload=text",
    "fi",
  ];

  test("wraps the generation menu; one generation boots at once", () => {
    expect(commandLines(renderMenuConfig(template, menu, 1))).toEqual([
      ...biosSerialSetup,
      "set timeout=0",
      "set default=generation-2",
      "menuentry 'two' --id generation-2 {",
      "boot",
      "}",
    ]);
  });

  test("with several generations the menu waits a few seconds so an older one can be picked", () => {
    expect(commandLines(renderMenuConfig(template, menu, 2))).toContain(`set timeout=${menuTimeoutSeconds}`);
    expect(menuTimeoutSeconds).toBeGreaterThan(0);
  });

  test("puts the menu on COM1 as well as the screen, as plain text: dumb terminfo before COM1 becomes an output", () => {
    const lines = commandLines(renderMenuConfig(template, menu, 2));
    // Set after `terminal_output`, the terminfo would come too late: adding COM1 as a vt100
    // output already clears the terminal with escape codes.
    expect(lines.indexOf("terminfo -a -g 80x13 serial dumb")).toBeGreaterThan(lines.indexOf("serial --unit=0 --speed=115200"));
    expect(lines.indexOf("terminfo -a -g 80x13 serial dumb")).toBeLessThan(lines.indexOf("terminal_output --append serial"));
    // Inputs and outputs are added to the console's, never replace it: the screen and keyboard keep the menu.
    expect(lines.filter((line) => /^terminal_(input|output)/.test(line))).toEqual(["terminal_input --append serial", "terminal_output --append serial"]);
    expect(biosModules).toEqual(expect.arrayContaining(["serial", "terminfo", "echo"]));
  });
});

describe("renderTemplate", () => {
  test("a placeholder without a value names the template and the placeholder", () => {
    expect(() => renderTemplate("x.template", "a @NAME@ b", {})).toThrow("iso/x.template: no value for placeholder @NAME@");
  });

  test("a value without a placeholder is an error too", () => {
    expect(() => renderTemplate("x.template", "a b", { NAME: "n" })).toThrow("iso/x.template: expected a placeholder @NAME@");
  });
});

describe("GRUB images and the ISO", () => {
  test("both images embed early.cfg and only the modules needed to boot multiboot2", () => {
    expect(biosImageCommand()).toEqual(expect.arrayContaining(["-O", "i386-pc-eltorito", "-c", "build/grub/early.cfg", "-C", "xz"]));
    expect(efiImageCommand()).toEqual(expect.arrayContaining(["-O", "x86_64-efi", "-c", "build/grub/early.cfg"]));
    for (const modules of [biosModules, efiModules]) {
      expect(modules).toEqual(expect.arrayContaining(["iso9660", "search_fs_file", "multiboot2", "test", "configfile"]));
    }
    expect(biosModules).toContain("biosdisk");
    expect(efiModules).toEqual(expect.arrayContaining(["fat", "efi_gop"]));
  });

  test("the FAT image is sized from the EFI application: 2 × (KiB + 64) sectors", () => {
    expect(efiImageSectors(647_168)).toBe(2 * (632 + 64));
    expect(efiImageSectors(1025)).toBe(2 * (2 + 64));
  });

  test("xorriso gets a fixed date and the hybrid BIOS + UEFI layout", () => {
    expect(xorrisoTimestamp(1704067200)).toBe("2024010100000000");
    const xorriso = isoCommands(647_168, 1704067200).at(-1)!;
    expect(xorriso.slice(0, 3)).toEqual(["xorriso", "-as", "mkisofs"]);
    expect(xorriso).toEqual(
      expect.arrayContaining(["--set_all_file_dates", "2024010100000000", "--grub2-mbr", "--efi-boot", "-efi-boot-part", "--protective-msdos-label"]),
    );
    expect(isoCommands(647_168, 0)[0]).toEqual(expect.arrayContaining(["mformat", "-T", String(2 * (632 + 64))]));
  });
});
