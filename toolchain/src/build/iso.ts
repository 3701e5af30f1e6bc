// Step "iso": build/optios.iso, bootable by BIOS and UEFI from CD and as a raw disk or USB stick.
//
// Assembled by hand instead of with grub-mkrescue, which always makes a 2.88 MB FAT image
// for the EFI partition; sizing the FAT image to the one file it holds keeps the ISO small.
// Layout of build/iso-root/, rebuilt from scratch each time so no stale file survives:
//   boot/kernel.elf              the kernel
//   boot/<hash>.optios           empty marker that early.cfg searches for
//   boot/grub/grub.cfg           the menu (iso/grub.cfg.template)
//   boot/grub/bios.img           El Torito BIOS boot image
//   boot/handlers/<name>.module  one loadable module per handler (module2 lines in grub.cfg)
//   efi.img                      FAT image holding EFI/BOOT/BOOTX64.EFI (El Torito + GPT)
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { paths } from "../project.ts";
import { markerName, menuTemplate, readTemplate, renderMenuConfig, type MenuModule } from "./grub_config.ts";
import { handlerModuleArguments } from "../store/grub_menu.ts";
import { modulePath, projectSystem } from "./handlers.ts";
import { runStepCommand } from "./process.ts";
import type { Step } from "./step.ts";
import { hybridBootRecord, toolVersion } from "./tools.ts";

const efiImage = "efi.img";
/** FAT volume serial number, fixed for reproducible images ("OPTI"). */
const volumeSerial = "4f505449";

/** 512-byte sectors for the FAT image: twice the EFI application's KiB plus 64 KiB of slack. */
export function efiImageSectors(efiApplicationBytes: number): number {
  return 2 * (Math.ceil(efiApplicationBytes / 1024) + 64);
}

/** YYYYMMDDhhmmsscc in UTC, the timestamp format xorriso takes. */
export function xorrisoTimestamp(epochSeconds: number): string {
  const iso = new Date(epochSeconds * 1000).toISOString(); // 2024-01-01T00:00:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}00`;
}

export function isoCommands(efiApplicationBytes: number, epochSeconds: number): string[][] {
  const image = join(paths.isoRoot, efiImage);
  return [
    ["mformat", "-N", volumeSerial, "-C", "-T", String(efiImageSectors(efiApplicationBytes)), "-h", "1", "-s", "32", "-i", image, "::"],
    ["mmd", "-i", image, "::/EFI", "::/EFI/BOOT"],
    ["mcopy", "-i", image, paths.efiApplication, "::/EFI/BOOT/BOOTX64.EFI"],
    [
      "xorriso", "-as", "mkisofs", "-quiet", "-graft-points",
      "--set_all_file_dates", xorrisoTimestamp(epochSeconds),
      "-b", "boot/grub/bios.img", "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
      "--grub2-boot-info", "--grub2-mbr", hybridBootRecord,
      "--efi-boot", efiImage, "-efi-boot-part", "--efi-boot-image", "--protective-msdos-label",
      "-o", paths.iso, "-r", paths.isoRoot,
    ],
  ];
}

export const isoStep: Step = {
  name: "iso",
  artifact: paths.iso,
  async plan({ project }) {
    const root = project.root;
    const kernelImage = readFileSync(join(root, paths.kernelElf));
    const marker = markerName(kernelImage);
    const handlers = (await projectSystem(project)).config.handlers;
    const modules: MenuModule[] = handlers.map((handler) => ({
      path: `/boot/handlers/${handler.name}.module`,
      commandLine: handlerModuleArguments(handler),
    }));
    const menuConfig = renderMenuConfig(readTemplate(root, menuTemplate), project.version, project.kernelArguments, modules);
    const commands = isoCommands(statSync(join(root, paths.efiApplication)).size, project.sourceDateEpoch);
    // mtools and xorriso take their timestamps from SOURCE_DATE_EPOCH: same inputs, same ISO.
    const environment = { ...process.env, SOURCE_DATE_EPOCH: String(project.sourceDateEpoch) };
    return [
      {
        key: "iso",
        inputs: {
          files: [paths.kernelElf, paths.biosImage, paths.efiApplication, hybridBootRecord, join(paths.isoTemplates, menuTemplate),
            ...handlers.map((handler) => modulePath(handler.name))],
          commands,
          tools: [`mtools ${await toolVersion("mformat")}`, `xorriso ${await toolVersion("xorriso")}`],
          values: [menuConfig, `SOURCE_DATE_EPOCH=${project.sourceDateEpoch}`],
        },
        outputs: [paths.iso],
        run: async () => {
          const stage = join(root, paths.isoRoot);
          rmSync(stage, { recursive: true, force: true });
          rmSync(join(root, paths.iso), { force: true });
          mkdirSync(join(stage, "boot", "grub"), { recursive: true });
          writeFileSync(join(stage, "boot", "kernel.elf"), kernelImage);
          writeFileSync(join(stage, "boot", marker), "");
          writeFileSync(join(stage, "boot", "grub", "grub.cfg"), menuConfig);
          copyFileSync(join(root, paths.biosImage), join(stage, "boot", "grub", "bios.img"));
          mkdirSync(join(stage, "boot", "handlers"), { recursive: true });
          for (const handler of handlers) {
            copyFileSync(join(root, modulePath(handler.name)), join(stage, "boot", "handlers", `${handler.name}.module`));
          }
          for (const command of commands) await runStepCommand("iso", command, { cwd: root, environment });
        },
      },
    ];
  },
};
