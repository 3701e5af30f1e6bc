// Step "asc": the AssemblyScript kernel (kernel/**/*.ts) compiled to build/kernel/kernel.wasm,
// from kernel/main.ts, or from kernel/test_main.ts for the test kernel (`--test-kernel`).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { kernelEntry, paths, toolchainRepository } from "../project.ts";
import { BuildError, runStepCommand } from "./process.ts";
import type { Step } from "./step.ts";
import { runAsc, warmAscServer } from "./asc_server.ts";

const compilerPackage = join(toolchainRepository, "node_modules", "assemblyscript");
const compilerBinary = join(toolchainRepository, "node_modules", ".bin", "asc");

export const ascStep: Step = {
  name: "asc",
  artifact: paths.kernelWasm,
  async plan({ project }) {
    const root = project.root;
    const entry = kernelEntry(project);
    if (!existsSync(join(root, entry))) {
      throw new BuildError("asc", `${entry} not found in ${root}; the kernel's entry file is expected there`);
    }
    if (!existsSync(compilerBinary)) {
      throw new BuildError("asc", `${compilerBinary} not found; run \`npm ci\` (or \`make deps\`) first`);
    }
    await warmAscServer();
    const command = [
      ascProgram(root),
      entry,
      "--config",
      paths.asconfig,
      "--target",
      "kernel",
    ];
    return [
      {
        key: "asc",
        cached: true,
        inputs: {
          files: [...listSources(root, paths.kernelSources, ".ts"), paths.asconfig],
          commands: [command],
          tools: [`assemblyscript ${compilerVersion()}`],
        },
        outputs: [paths.kernelWasm],
        run: async () => {
          await runStepCommand("asc", command, { cwd: root, runner: runAsc });
        },
      },
    ];
  },
};

/**
 * asc as a command line names it, relative to the project root: the root's own
 * node_modules/.bin/asc when it has one (so the command, and the stamps that hash it, are
 * the same in every checkout of the project), else the toolchain repository's.
 */
export function ascProgram(root: string): string {
  const own = join("node_modules", ".bin", "asc");
  return existsSync(join(root, own)) ? own : relative(root, compilerBinary) || compilerBinary;
}

/** The assemblyscript package version, read from its manifest rather than by starting asc. */
function compilerVersion(): string {
  return JSON.parse(readFileSync(join(compilerPackage, "package.json"), "utf8")).version;
}

/** Files under `directory` (relative to root) ending in `extension`, recursively, sorted. */
export function listSources(root: string, directory: string, extension: string): string[] {
  const found: string[] = [];
  const visit = (relativeDirectory: string) => {
    for (const entry of readdirSync(join(root, relativeDirectory), { withFileTypes: true })) {
      const entryPath = join(relativeDirectory, entry.name);
      if (entry.isDirectory() || (entry.isSymbolicLink() && isDirectory(join(root, entryPath)))) visit(entryPath);
      else if (entry.name.endsWith(extension)) found.push(entryPath);
    }
  };
  visit(directory);
  return found.sort();
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
