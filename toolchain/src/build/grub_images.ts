// Step "grub": the BIOS (El Torito) and UEFI GRUB images, each with early.cfg embedded.
//
// Only the modules needed to find the medium and load a multiboot2 kernel are embedded;
// the ISO carries no module directories, fonts, locales or themes, which keeps it small.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { paths } from "../project.ts";
import { earlyTemplate, markerName, readTemplate, renderEarlyConfig } from "./grub_config.ts";
import { runStepCommand } from "./process.ts";
import type { Step } from "./step.ts";
import { toolVersion } from "./tools.ts";

// gzio: the ISO carries kernels and modules gzipped (iso.ts); GRUB unpacks them while loading.
const commonModules = ["iso9660", "part_msdos", "part_gpt", "search", "search_fs_file", "normal", "configfile", "multiboot2", "test", "gzio", "echo"];

// serial, terminfo: grub.cfg puts the menu on COM1 too, as a dumb terminal (BIOS only; under
// UEFI, OVMF mirrors GRUB's console to the serial port itself). echo: each menu entry starts
// with one, so the kernel's first line starts a line of its own after GRUB's serial menu.
export const biosModules = ["biosdisk", "serial", "terminfo", ...commonModules];
export const efiModules = ["fat", "efi_gop", "efi_uga", "video_fb", ...commonModules];

export function biosImageCommand(): string[] {
  return ["grub-mkimage", "-O", "i386-pc-eltorito", "-p", "/boot/grub", "-c", paths.earlyConfig, "-C", "xz", "-o", paths.biosImage, ...biosModules];
}

export function efiImageCommand(): string[] {
  return ["grub-mkimage", "-O", "x86_64-efi", "-p", "/boot/grub", "-c", paths.earlyConfig, "-o", paths.efiApplication, ...efiModules];
}

export const grubImagesStep: Step = {
  name: "grub",
  artifact: paths.grub,
  artifactFiles: () => [paths.biosImage, paths.efiApplication],
  async plan({ project }) {
    const root = project.root;
    const marker = markerName(readFileSync(join(root, paths.kernelElf)));
    const earlyConfig = renderEarlyConfig(readTemplate(root, earlyTemplate), marker);
    const commands = [biosImageCommand(), efiImageCommand()];
    return [
      {
        key: "grub",
        inputs: {
          files: [join(paths.isoTemplates, earlyTemplate)],
          commands,
          tools: [`grub-mkimage ${await toolVersion("grub-mkimage")}`],
          values: [earlyConfig],
        },
        outputs: [paths.earlyConfig, paths.biosImage, paths.efiApplication],
        run: async () => {
          mkdirSync(join(root, paths.grub), { recursive: true });
          writeFileSync(join(root, paths.earlyConfig), earlyConfig);
          for (const command of commands) await runStepCommand("grub", command, { cwd: root });
        },
      },
    ];
  },
};
