// Step "ld": the objects linked by boot/linker.ld into build/kernel.elf (multiboot2 + PVH).
//
// ld writes build/kernel.symbols.elf, with its symbol table, for addr2line, nm and gdb;
// objcopy --strip-all copies it without the symbol and string tables into build/kernel.elf,
// the file GRUB, QEMU's PVH loader and the store get. Nothing at run time reads the kernel's
// ELF symbols: modules link against the table in boot/module_loader.c. Then the stripped
// kernel must fit its size budget, or the step fails saying by how much.
import { statSync } from "node:fs";
import { join } from "node:path";
import { paths } from "../project.ts";
import { objectPaths } from "./gcc.ts";
import { BuildError, runStepCommand } from "./process.ts";
import { formatBytes } from "./report.ts";
import type { Step } from "./step.ts";
import { toolVersion } from "./tools.ts";

/**
 * The most build/kernel.elf may weigh (DESIGN.md §5: small enough for embedded use). 256 KiB
 * until live upgrades (about 18 KiB), the disk drivers (PCI, virtio, virtio-blk, AHCI, the
 * data disk: about 25 KiB), virtio-net (8 KiB) and the state log (16 KiB) took the kernel to
 * 322 KiB; -Os for kernel.c would have made it far smaller but dispatch and calls a third to
 * two times slower (docs/build.md, "The kernel's size"). 384 KiB left room for the TCP/IP
 * glue; 400 KiB since files on the data disk, partition tables and NVMe (about 13 KiB) took
 * it to 389 KiB; the USB stick's drivers (xHCI and bulk-only mass storage, about 22 KiB) and
 * 4 KiB pages for RAM took it to 416.6 KiB under a budget raised to 420 KiB. Moving the
 * kernel's self-tests and bench into the test kernel (kernel/test_main.ts, `--test-kernel`)
 * took the shipped kernel back to 389 KiB, and the budget back to 400 KiB.
 */
export const KERNEL_BUDGET_BYTES = 400 * 1024;

/**
 * -z max-page-size=0x1000   keeps the 1 MiB load address from being padded to 2 MiB pages
 * -z noexecstack            no executable-stack warning
 * --no-warn-rwx-segments    the image is one RWX load segment on purpose (boot/linker.ld)
 */
export function linkCommand(objects: readonly string[]): string[] {
  return [
    "ld",
    "-m",
    "elf_x86_64",
    "-nostdlib",
    "-z",
    "max-page-size=0x1000",
    "-z",
    "noexecstack",
    "--no-warn-rwx-segments",
    "-T",
    paths.linkerScript,
    "-o",
    paths.kernelSymbolsElf,
    ...objects,
  ];
}

/** The bootable kernel: the linked one without .symtab and .strtab (no section is loaded differently). */
export const stripCommand: readonly string[] = ["objcopy", "--strip-all", paths.kernelSymbolsElf, paths.kernelElf];

/** Why a kernel of this many bytes is refused, or undefined when it fits the budget. */
export function checkKernelBudget(bytes: number, budget: number = KERNEL_BUDGET_BYTES): string | undefined {
  if (bytes <= budget) return undefined;
  return (
    `${paths.kernelElf} is ${formatBytes(bytes)} (${bytes} bytes), over its budget of ${formatBytes(budget)} by ` +
    `${formatBytes(bytes - budget)}; \`size -A ${paths.kernelSymbolsElf}\` and \`nm --size-sort -S ${paths.kernelSymbolsElf}\` ` +
    `show what grew (docs/build.md, "The kernel's size")`
  );
}

export const linkStep: Step = {
  name: "ld",
  artifact: paths.kernelElf,
  async plan({ project }) {
    const objects = objectPaths(project.root);
    const command = linkCommand(objects);
    return [
      {
        key: "ld",
        inputs: {
          files: [...objects, paths.linkerScript],
          commands: [command, [...stripCommand]],
          tools: [`ld ${await toolVersion("ld")}`, `objcopy ${await toolVersion("objcopy")}`],
          values: [project.testKernel ? "budget=none (test kernel)" : `budget=${KERNEL_BUDGET_BYTES}`],
        },
        outputs: [paths.kernelSymbolsElf, paths.kernelElf],
        run: async () => {
          await runStepCommand("ld", command, { cwd: project.root });
          await runStepCommand("ld", [...stripCommand], { cwd: project.root });
          // The test kernel carries the self-tests and the bench on top of the shipped one; only the shipped one has a budget.
          const problem = project.testKernel ? undefined : checkKernelBudget(statSync(join(project.root, paths.kernelElf)).size);
          if (problem) throw new BuildError("ld", problem);
        },
      },
    ];
  },
};
