// Compiling a handler or program for the host harness: the real build's asc command, run in process.
//
// The arguments are the ones the build's "handlers" and "programs" steps give asc
// (ascCommand in build/handlers.ts: the API as trusted library, --noUnsafe, the incremental
// runtime, -O3, the start function exported as "start", the memory limit), run from the
// project root like the build, so the project's asconfig.json applies the same way. One
// change follows: every internal global is exported as "harness:global:<n>", so the
// harness can snapshot and restore globals as the kernel does with wasm2c's instance
// (JavaScript cannot reach a global the module does not export).
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import asc from "assemblyscript/asc";
import binaryen from "binaryen";
import { ascCommand } from "../build/handlers.ts";
import { paths, toolchainRepository } from "../project.ts";

/** The prefix of the exports compile() adds for the module's internal globals. */
export const GLOBAL_EXPORT_PREFIX = "harness:global:";

export interface CompiledModule {
  /** The wasm exactly as the build's asc makes it (what checkImports and the kernel see). */
  built: Uint8Array;
  /** The same module with its globals exported, compiled for instantiation. */
  module: WebAssembly.Module;
}

/** The nearest folder above `source` that holds the API library (handlers/api/optios.ts): the project root. */
export function projectRootOf(source: string): string {
  for (let folder = dirname(resolve(source)); ; folder = dirname(folder)) {
    if (existsSync(resolve(folder, paths.handlerApi, "optios.ts"))) return folder;
    if (dirname(folder) === folder) return toolchainRepository;
  }
}

const cache = new Map<string, Promise<CompiledModule>>();

/** Compiles `source` (absolute, or relative to the working directory) once per process for each memory limit. */
export function compileModule(source: string, memoryBytes: number, root: string = projectRootOf(source)): Promise<CompiledModule> {
  const key = `${resolve(source)}\n${memoryBytes}\n${root}`;
  if (!cache.has(key)) cache.set(key, compile(resolve(source), memoryBytes, root));
  return cache.get(key)!;
}

async function compile(source: string, memoryBytes: number, root: string): Promise<CompiledModule> {
  if (!existsSync(source)) throw new Error(`${source}: file not found; expected a handler.ts or program.ts`);
  const output = "harness.wasm";
  const [, ...argumentList] = ascCommand(root, relative(root, source), output, memoryBytes);
  let built: Uint8Array | undefined;
  const { error, stderr } = await asc.main([...argumentList, "--baseDir", root], {
    readFile: async (name: string, folder: string) => readFile(resolve(root, folder, name), "utf8").catch(() => null),
    listFiles: async (folder: string, base: string) =>
      (await readdir(resolve(root, base, folder)).catch(() => null))?.filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts")) ?? null,
    writeFile: async (name: string, contents: Uint8Array | string) => {
      if (name === output) built = contents as Uint8Array;
    },
  });
  if (error || !built) throw new Error(`asc could not compile ${relative(process.cwd(), source) || source}:\n${stderr.toString() || error?.message}`);
  return { built, module: new WebAssembly.Module(exportGlobals(built)) };
}

/** `wasm` with every global it defines (not imports) exported as GLOBAL_EXPORT_PREFIX + its index. */
export function exportGlobals(wasm: Uint8Array): Uint8Array {
  const module = binaryen.readBinary(wasm);
  try {
    module.setFeatures(binaryen.Features.All);
    for (let index = 0; index < module.getNumGlobals(); index++) {
      const info = binaryen.getGlobalInfo(module.getGlobalByIndex(index));
      if (info.module === "" && info.mutable) module.addGlobalExport(info.name, `${GLOBAL_EXPORT_PREFIX}${index}`);
    }
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}
