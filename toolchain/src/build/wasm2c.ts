// Step "wasm2c": kernel.wasm translated to kernel.c + kernel.h, beside a copy of wasm-rt.h.
//
// wasm2c 1.0.32 aborts on SIMD (and other features it lacks) after writing an empty .h and
// a truncated .c; gcc's errors on those look unrelated. So the exit status and both outputs
// are checked here and a failure shows wasm2c's own message. The runtime header is copied
// from wabt into build/kernel/ so gcc needs no -I/usr/include, which would let the host's
// libc headers leak into a freestanding build. kernel.c then has its data segments merged
// (data_segments.ts), so the kernel's static data sits in .rodata instead of in instructions.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { paths } from "../project.ts";
import { dataSegmentPassVersion, DataSegmentShapeError, mergeDataSegments } from "./data_segments.ts";
import { BuildError, describeEnd, runCommand, type CommandResult } from "./process.ts";
import type { Step } from "./step.ts";
import { runtimeHeaderSource, toolVersion } from "./tools.ts";

export const wasm2cStep: Step = {
  name: "wasm2c",
  artifact: paths.kernelC,
  async plan({ project }) {
    const root = project.root;
    const command = ["wasm2c", paths.kernelWasm, "-n", "kernel", "-o", paths.kernelC];
    const outputs = [paths.kernelC, paths.kernelHeader, paths.runtimeHeader];
    return [
      {
        key: "wasm2c",
        inputs: {
          files: [paths.kernelWasm, runtimeHeaderSource],
          commands: [command],
          tools: [`wasm2c ${await toolVersion("wasm2c")}`],
          values: [dataSegmentPassVersion],
        },
        outputs,
        run: async () => {
          mkdirSync(join(root, paths.kernelBuild), { recursive: true });
          const result = await runCommand(command, { cwd: root });
          const problem = checkTranslation(root, result);
          if (problem) {
            for (const output of outputs) rmSync(join(root, output), { force: true });
            throw new BuildError("wasm2c", problem, command, `${result.stdout}${result.stderr}`);
          }
          try {
            mergeTranslatedDataSegments(join(root, paths.kernelC));
          } catch (error) {
            for (const output of outputs) rmSync(join(root, output), { force: true });
            if (error instanceof DataSegmentShapeError) throw new BuildError("wasm2c", `${paths.kernelC}: ${error.message}`);
            throw error;
          }
          copyFileSync(runtimeHeaderSource, join(root, paths.runtimeHeader));
        },
      },
    ];
  },
};

/** Why wasm2c's result is unusable, or undefined when kernel.c and kernel.h look complete. */
export function checkTranslation(root: string, result: CommandResult): string | undefined {
  if (result.status !== 0) {
    return (
      `${describeEnd("wasm2c", result)}; wasm2c 1.0.32 aborts without a message on wasm features it ` +
      `lacks, SIMD above all: keep "disable": ["simd"] in asconfig.json and v128 out of kernel/`
    );
  }
  for (const output of [paths.kernelHeader, paths.kernelC]) {
    const path = join(root, output);
    if (!existsSync(path) || statSync(path).size === 0) return `wasm2c exited 0 but left ${output} empty`;
  }
  return undefined;
}

/** Rewrites a translated C file in place with its data segments merged (data_segments.ts). */
export function mergeTranslatedDataSegments(path: string): void {
  writeFileSync(path, mergeDataSegments(readFileSync(path, "utf8")).source);
}
