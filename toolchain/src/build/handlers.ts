// Step "handlers": every [[handlers]] entry of the system compiled on its own into a loadable module.
//
//   handlers/<name>/*.ts ─asc (--noUnsafe, API as trusted library)─► handler.wasm ─wasm2c─► handler.c/.h
//   handler.h ─► descriptor.c;  gcc -mcmodel=large ─► .o;  ld -r ─► build/handlers/<name>.module
//
// One task per handler: changing a handler rebuilds that module and nothing else (the kernel
// is untouched). -mcmodel=large makes every outside reference a 64-bit absolute relocation,
// so boot/module_loader.c can place the module anywhere in memory.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { paths, toolchainRepository, type Project } from "../project.ts";
import { loadSystem, type LoadedSystem } from "../system/load.ts";
import type { HandlerConfig } from "../system/schema.ts";
import { listSources } from "./asc.ts";
import { compilerFlags } from "./gcc.ts";
import { missingExports, readHandlerHeader, renderDescriptor } from "./handler_descriptor.ts";
import { BuildError, describeEnd, runCommand, runStepCommand } from "./process.ts";
import type { Step, Task } from "./step.ts";
import { toolVersion } from "./tools.ts";

const wasmPageBytes = 65536;
const compilerBinary = join(toolchainRepository, "node_modules", ".bin", "asc");

/** build/handlers/<name>.module */
export function modulePath(name: string): string {
  return join(paths.handlerModules, `${name}.module`);
}

/** The system the build describes, read once per build (cached by path). */
const systems = new Map<string, Promise<LoadedSystem>>();
export function projectSystem(project: Project): Promise<LoadedSystem> {
  const path = join(project.root, project.systemFile);
  if (!systems.has(path)) systems.set(path, loadSystem(path, { displayRoot: project.root }));
  return systems.get(path)!;
}

export function ascCommand(root: string, source: string, output: string, memoryBytes: number): string[] {
  return [
    relative(root, compilerBinary) || compilerBinary, source,
    "--lib", paths.handlerApi, "--noUnsafe",
    "--runtime", "incremental", "-O3", "--disable", "simd",
    "--exportStart", "start",
    "--initialMemory", "1", "--maximumMemory", String(Math.max(1, Math.floor(memoryBytes / wasmPageBytes))),
    "--outFile", output,
  ];
}

function handlerTask(project: Project, system: LoadedSystem, handler: HandlerConfig, tools: string[]): Task {
  const root = project.root;
  const systemFolder = dirname(project.systemFile);
  const source = join(systemFolder, handler.source);
  const work = join(paths.handlerModules, handler.name);
  const wasm = join(work, "handler.wasm");
  const translated = join(work, "handler.c");
  const header = join(work, "handler.h");
  const descriptor = join(work, "descriptor.c");
  const output = modulePath(handler.name);
  const flags = [...compilerFlags(project).filter((flag) => flag !== "-mcmodel=small"), "-mcmodel=large", `-I${work}`];
  const commands = [
    ascCommand(root, source, wasm, handler.memoryBytes),
    ["wasm2c", wasm, "-n", "handler", "-o", translated],
    ["gcc", ...flags, "-c", translated, "-o", join(work, "handler.o")],
    ["gcc", ...flags, "-c", descriptor, "-o", join(work, "descriptor.o")],
    ["ld", "-r", "-o", output, join(work, "handler.o"), join(work, "descriptor.o")],
  ];
  return {
    key: `handler-${handler.name}`,
    inputs: {
      files: [
        ...listSources(root, dirname(source), ".ts"), ...listSources(root, paths.handlerApi, ".ts"),
        ...listSources(root, paths.bootSources, ".h"), paths.runtimeHeader,
      ],
      commands,
      tools,
      values: [handler.version],
    },
    outputs: [output],
    run: async () => {
      mkdirSync(join(root, work), { recursive: true });
      checkDeclaredVersion(root, source, handler);
      await runStepCommand("handlers", commands[0], { cwd: root });
      const translation = await runCommand(commands[1], { cwd: root });
      if (translation.status !== 0) {
        throw new BuildError("handlers", `${describeEnd("wasm2c", translation)} translating ${source}`, commands[1],
          `${translation.stdout}${translation.stderr}`);
      }
      const exports = readHandlerHeader(readFileSync(join(root, header), "utf8"));
      const missing = missingExports(source, exports);
      if (missing) throw new BuildError("handlers", missing);
      writeFileSync(join(root, descriptor), renderDescriptor(handler.name, exports));
      for (const command of commands.slice(2)) await runStepCommand("handlers", command, { cwd: root });
    },
  };
}

/** The source's `export const version = "…"` must match system.toml's, or the reset rule would lie. */
function checkDeclaredVersion(root: string, source: string, handler: HandlerConfig): void {
  const text = readFileSync(join(root, source), "utf8");
  const declared = /export\s+const\s+version\s*(?::\s*string\s*)?=\s*"([^"]*)"/.exec(text)?.[1];
  if (declared === undefined) {
    throw new BuildError("handlers", `${source}: declares no version; add \`export const version = "${handler.version}";\``);
  }
  if (declared !== handler.version) {
    throw new BuildError("handlers", `${source} declares version "${declared}" but the system says "${handler.version}" ` +
      `for handler '${handler.name}'; make them agree (a new version resets the handler's state)`);
  }
}

/** The modules the last plan produced, for the size report. */
let plannedModules: string[] = [];

export const handlersStep: Step = {
  name: "handlers",
  artifact: `${paths.handlerModules}/*.module`,
  artifactFiles: () => plannedModules,
  async plan({ project }) {
    const system = await projectSystem(project);
    plannedModules = system.config.handlers.map((handler) => modulePath(handler.name));
    const tools = [
      `assemblyscript ${JSON.parse(readFileSync(join(toolchainRepository, "node_modules", "assemblyscript", "package.json"), "utf8")).version}`,
      `wasm2c ${await toolVersion("wasm2c")}`,
      `gcc ${await toolVersion("gcc")}`,
    ];
    return system.config.handlers.map((handler) => handlerTask(project, system, handler, tools));
  },
};
