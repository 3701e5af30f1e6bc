// Step "ld": the objects linked by boot/linker.ld into build/kernel.elf (multiboot2 + PVH).
import { paths } from "../project.ts";
import { objectPaths } from "./gcc.ts";
import { runStepCommand } from "./process.ts";
import type { Step } from "./step.ts";
import { toolVersion } from "./tools.ts";

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
    paths.kernelElf,
    ...objects,
  ];
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
          commands: [command],
          tools: [`ld ${await toolVersion("ld")}`],
        },
        outputs: [paths.kernelElf],
        run: async () => {
          await runStepCommand("ld", command, { cwd: project.root });
        },
      },
    ];
  },
};
