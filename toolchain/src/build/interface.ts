// Step "interface": the generated views of interface/optios.ts, written again when the declaration changed.
//
// Runs first, so the kernel (asc), boot/ (gcc) and every module (handlers, programs) compile
// against the interface as it is declared now. See toolchain/src/interface/generate.ts.
import { paths } from "../project.ts";
import { generatedFiles, writeGeneratedFiles } from "../interface/generate.ts";
import type { Step } from "./step.ts";

export const interfaceStep: Step = {
  name: "interface",
  artifact: paths.interfaceDeclaration,
  artifactFiles: () => [...generatedFiles().keys()],
  async plan({ project }) {
    return [
      {
        key: "interface",
        // The toolchain generates from the declaration it was built with (interface/optios.ts of
        // its own repository, bundled with it), so the generated text stands for both.
        inputs: { files: [], commands: [], tools: [], values: [...generatedFiles().values()] },
        outputs: [...generatedFiles().keys()],
        run: async () => {
          writeGeneratedFiles(project.root);
        },
      },
    ];
  },
};
