// Steps "handlers" and "programs": every [[handlers]] and [[programs]] entry compiled on its own into a loadable module.
//
//   <source>.ts ─asc (--noUnsafe, API as trusted library)─► <kind>.wasm ─wasm2c─► <kind>.c/.h
//   <source>.wat ─wat2wasm─► <kind>.wasm  (handlers written directly in WebAssembly text)
//   <kind>.wasm's imports ─ checked against interface/optios.ts and the module's capabilities
//   <kind>.c ─ data segments merged (data_segments.ts, as for the kernel)
//   <kind>.h ─► descriptor.c;  gcc -mcmodel=large ─► .o;  ld -r ─► build/<kind>s/<name>.module
//
// Handlers and programs are built the same way, against the same API library; the kind
// only names the wasm2c module ("handler" or "program") and decides the entry point the
// descriptor must find (handle, or main). One task per module: changing one rebuilds that
// module and nothing else (the kernel is untouched). -mcmodel=large makes every outside
// reference a 64-bit absolute relocation, so boot/module_loader.c can place the module
// anywhere in memory. Handler modules reach the kernel as GRUB modules; program modules
// go into the initrd's /bin (initrd.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { paths, toolchainRepository, type Project } from "../project.ts";
import { loadSystem, type LoadedSystem } from "../system/load.ts";
import type { HandlerConfig } from "../system/schema.ts";
import { ascProgram, listSources } from "./asc.ts";
import { runAsc } from "./asc_server.ts";
import { capabilityNamed } from "../../../interface/optios.ts";
import { allowsCall, callByImport } from "../system/capabilities.ts";
import { dataSegmentPassVersion, DataSegmentShapeError } from "./data_segments.ts";
import { compilerFlags } from "./gcc.ts";
import { missingExports, type ModuleKind, readHandlerHeader, renderDescriptor, tableWrites } from "./handler_descriptor.ts";
import { BuildError, describeEnd, runCommand, runStepCommand } from "./process.ts";
import type { Step, Task } from "./step.ts";
import { toolVersion } from "./tools.ts";
import { mergeTranslatedDataSegments } from "./wasm2c.ts";
import { wasmMemoryLimits, wasmVersion } from "./wasm_module.ts";
import { cModuleFlags, cModuleLink, ensureLwipSource, LWIP_FILES, LWIP_PIN, lwipSource } from "./lwip.ts";

const wasmPageBytes = 65536;

/** build/handlers/<name>.module */
export function modulePath(name: string): string {
  return join(paths.handlerModules, `${name}.module`);
}

/** build/programs/<name>.module */
export function programModulePath(name: string): string {
  return join(paths.programModules, `${name}.module`);
}

/** The system the build describes, read once per build (cached by path). */
const systems = new Map<string, Promise<LoadedSystem>>();
export function projectSystem(project: Project): Promise<LoadedSystem> {
  const path = join(project.root, project.systemFile);
  if (!systems.has(path)) systems.set(path, loadSystem(path, { root: project.root }));
  return systems.get(path)!;
}

export function ascCommand(root: string, source: string, output: string, memoryBytes: number): string[] {
  return [
    ascProgram(root), source,
    "--lib", paths.handlerApi, "--noUnsafe",
    "--runtime", "incremental", "-O3", "--disable", "simd",
    "--exportStart", "start",
    "--initialMemory", "1", "--maximumMemory", String(Math.max(1, Math.floor(memoryBytes / wasmPageBytes))),
    "--outFile", output,
  ];
}

/** A source in C (the network stack): compiled by clang to wasm32 and linked by wasm-ld (lwip.ts). */
export function isC(source: string): boolean {
  return source.endsWith(".c");
}

/** A source in WebAssembly text: assembled by wat2wasm instead of compiled by asc. */
export function isWebAssemblyText(source: string): boolean {
  return source.endsWith(".wat");
}

/** SIMD is refused here, as asc's is: wasm2c 1.0.32 cannot translate it (docs/DESIGN.md §3). */
export function wat2wasmCommand(source: string, output: string): string[] {
  return ["wat2wasm", "--disable-simd", source, "-o", output];
}

/** What one module task needs to know: its kind, name, source, memory limit, capabilities and (handlers) version. */
interface ModuleSpec {
  kind: ModuleKind;
  name: string;
  source: string;
  memoryBytes: number;
  capabilities: string[];
  /** Where system.toml declares it ("systems/default/system.toml:12"), for messages. */
  declaredAt: string;
  version?: string;
}

/**
 * The build-time half of the capability check (the kernel checks every call again): each call
 * the module imports must exist, suit its kind, and be allowed by its capabilities.
 */
export function checkImports(wasm: Uint8Array, spec: Pick<ModuleSpec, "kind" | "name" | "capabilities" | "declaredAt">): void {
  const module = new WebAssembly.Module(wasm);
  for (const imported of WebAssembly.Module.imports(module)) {
    if (imported.module !== "optios" && !(imported.module === "env" && imported.name === "abort")) continue;
    const call = callByImport(imported.module, imported.name);
    const where = `${spec.declaredAt}: ${spec.kind} '${spec.name}'`;
    if (!call) throw new BuildError(`${spec.kind}s`, `${where} imports ${imported.module}.${imported.name}, which the kernel does not provide (see docs/gate.md)`);
    if (call.caller !== "both" && call.caller !== spec.kind) {
      throw new BuildError(`${spec.kind}s`, `${where} calls ${call.name}, which only ${call.caller}s may make`);
    }
    if (!allowsCall(spec.capabilities, call)) {
      const declared = capabilityNamed(call.capability!)!;
      const example = declared.argument === null ? declared.name : declared.values ? `${declared.name}:${declared.values[0]}` : `${declared.name}:<${declared.argument}>`;
      throw new BuildError(`${spec.kind}s`, `${where} calls ${call.name}, which needs the capability '${declared.name}'; ` +
        `add "${example}" to its capabilities`);
    }
  }
}

function moduleTask(project: Project, spec: ModuleSpec, tools: string[]): Task {
  const root = project.root;
  const source = join(dirname(project.systemFile), spec.source);
  const kind = spec.kind;
  if (!existsSync(join(root, source))) {
    throw new BuildError(`${kind}s`, `${spec.declaredAt}: ${kind} '${spec.name}' source: file not found: ${JSON.stringify(spec.source)} ` +
      `(${source}); expected a path to its source, relative to the system file that declares it`);
  }
  const work = join(kind === "handler" ? paths.handlerModules : paths.programModules, spec.name);
  const wasm = join(work, `${kind}.wasm`);
  const translated = join(work, `${kind}.c`);
  const header = join(work, `${kind}.h`);
  const descriptor = join(work, "descriptor.c");
  const output = kind === "handler" ? modulePath(spec.name) : programModulePath(spec.name);
  const flags = [...compilerFlags(project).filter((flag) => flag !== "-mcmodel=small"), "-mcmodel=large", `-I${work}`];
  const text = isWebAssemblyText(source);
  const c = isC(source);
  // The front end: source → wasm. C is compiled file by file with clang, then linked by wasm-ld.
  const cSources = c ? [source, ...LWIP_FILES] : [];
  const cObjects = cSources.map((file) => join(work, "c", `${file.split("/").pop()!.replace(/\.c$/, "")}.o`));
  const cIncludes = [dirname(source), paths.cModuleIncludes, lwipSource.replace(/\/src$/, "/src/include")];
  const front = text ? [wat2wasmCommand(source, wasm)]
    : c ? [...cSources.map((file, index) => ["clang-14", ...cModuleFlags(cIncludes), "-c", file, "-o", cObjects[index]]),
      cModuleLink(cObjects, wasm, spec.memoryBytes)]
      : [ascCommand(root, source, wasm, spec.memoryBytes)];
  const back = [
    ["wasm2c", wasm, "-n", kind, "-o", translated],
    ["gcc", ...flags, "-c", translated, "-o", join(work, `${kind}.o`)],
    ["gcc", ...flags, "-c", descriptor, "-o", join(work, "descriptor.o")],
    ["ld", "-r", "-o", output, join(work, `${kind}.o`), join(work, "descriptor.o")],
  ];
  const commands = [...front, ...back];
  const step = `${kind}s`;
  const sourceFiles = text ? [source]
    : c ? [...cSources, ...listSources(root, dirname(source), ".h"), ...listSources(root, paths.cModuleIncludes, ".h")]
      : [...listSources(root, dirname(source), ".ts"), ...listSources(root, paths.handlerApi, ".ts")];
  return {
    key: `${kind}-${spec.name}`,
    cached: true,
    inputs: {
      files: [...sourceFiles, ...listSources(root, paths.bootSources, ".h"), paths.runtimeHeader, paths.interfaceDeclaration],
      commands,
      tools,
      values: [spec.version ?? "", JSON.stringify(spec.capabilities), spec.declaredAt, dataSegmentPassVersion],
    },
    outputs: [output],
    run: async () => {
      mkdirSync(join(root, work, "c"), { recursive: true });
      if (spec.version !== undefined && !text && !c) checkDeclaredVersion(root, source, spec.name, spec.version);
      if (c) {
        await Promise.all(front.slice(0, -1).map((command) => runStepCommand(step, command, { cwd: root })));
        await runStepCommand(step, front[front.length - 1], { cwd: root });
      } else await runStepCommand(step, front[0], { cwd: root, ...(text ? {} : { runner: runAsc }) });
      if (text || c) checkTextModule(step, source, readFileSync(join(root, wasm)), spec);
      checkImports(readFileSync(join(root, wasm)), spec);
      const translation = await runCommand(back[0], { cwd: root });
      if (translation.status !== 0) {
        throw new BuildError(step, `${describeEnd("wasm2c", translation)} translating ${source}`, back[0],
          `${translation.stdout}${translation.stderr}`);
      }
      try {
        mergeTranslatedDataSegments(join(root, translated));
      } catch (error) {
        if (error instanceof DataSegmentShapeError) throw new BuildError(step, `${translated}: ${error.message}`);
        throw error;
      }
      const headerText = readFileSync(join(root, header), "utf8");
      checkImportSignatures(headerText, spec);
      const exports = readHandlerHeader(headerText, kind);
      const missing = missingExports(source, exports, kind);
      if (missing) throw new BuildError(step, missing);
      const writes = kind === "handler" ? tableWrites(readFileSync(join(root, translated), "utf8")) : [];
      if (writes.length > 0) {
        throw new BuildError(step, `${source}: changes its function table while it runs (${writes.join(", ")}); ` +
          "a run that traps could not be rolled back, because a handler's snapshot holds its memory and globals, not its tables");
      }
      writeFileSync(join(root, descriptor), renderDescriptor(spec.name, exports, kind, c ? "terminated" : "counted"));
      // The module's C and its descriptor compile side by side; ld then joins them.
      await Promise.all(back.slice(1, 3).map((command) => runStepCommand(step, command, { cwd: root })));
      await runStepCommand(step, back[3], { cwd: root });
    },
  };
}

/** "systems/default/system.toml:12": where the system declares a module. */
function declaredAt(system: LoadedSystem, key: string): string {
  const origin = system.origins.get(key);
  return origin ? `${origin.file}:${origin.line}` : "system.toml";
}

/**
 * The other half of linking by name: every import wasm2c declared in `header` must have the
 * signature interface/optios.ts gives its call, or the kernel would read its arguments wrong.
 */
export function checkImportSignatures(header: string, spec: Pick<ModuleSpec, "kind" | "name" | "declaredAt">): void {
  for (const match of header.matchAll(/^(void|u32|u64|f32|f64) Z_(optios|env)Z_(\w+)\(struct Z_\w+_instance_t\*((?:, \w+)*)\);$/gm)) {
    const [, result, module, name, parameterList] = match;
    const call = callByImport(module, name);
    if (!call) continue; // checkImports named it already
    const found = `(${parameterList.split(", ").filter(Boolean).join(", ")}) -> ${result}`;
    const expected = `(${call.arguments.map(([, type]) => (type === "u64" ? "u64" : "u32")).join(", ")}) -> ${call.module === "env" ? "void" : "u64"}`;
    if (found !== expected) {
      throw new BuildError(`${spec.kind}s`, `${spec.declaredAt}: ${spec.kind} '${spec.name}' imports ${module}.${name} as ${found}, ` +
        `but the kernel's call is ${expected} (interface/optios.ts)`);
    }
  }
}

/** The source's `export const version = "…"` must match system.toml's, or the reset rule would lie. */
function checkDeclaredVersion(root: string, source: string, name: string, version: string): void {
  const text = readFileSync(join(root, source), "utf8");
  const declared = /export\s+const\s+version\s*(?::\s*string\s*)?=\s*"([^"]*)"/.exec(text)?.[1];
  if (declared === undefined) {
    throw new BuildError("handlers", `${source}: declares no version; add \`export const version = "${version}";\``);
  }
  if (declared !== version) {
    throw new BuildError("handlers", `${source} declares version "${declared}" but the system says "${version}" ` +
      `for handler '${name}'; make them agree (a new version resets the handler's state)`);
  }
}

/**
 * What asc is told on its command line, a .wat module must declare itself; checked in the
 * binary wat2wasm made. Its memory must have a maximum within the system's `memory` (boot/
 * reserves the maximum up front, and refuses a memory without one), and the string its
 * exported `version` global points at must be the system's version.
 */
function checkTextModule(step: string, source: string, wasm: Uint8Array, spec: ModuleSpec): void {
  const memory = wasmMemoryLimits(wasm);
  if (typeof memory === "string") throw new BuildError(step, `${source}: ${memory}`);
  const limitPages = Math.max(1, Math.floor(spec.memoryBytes / wasmPageBytes));
  if (memory.maximumPages === undefined || memory.maximumPages > limitPages) {
    throw new BuildError(step, `${source}: its memory must declare a maximum of at most ${limitPages} pages ` +
      `(memory = ${spec.memoryBytes} bytes for '${spec.name}'), e.g. (memory (export "memory") 1 ${limitPages})`);
  }
  if (spec.version === undefined) return;
  const declared = wasmVersion(wasm, isC(source) ? "terminated" : "counted");
  if (typeof declared === "string") {
    throw new BuildError(step, `${source}: cannot read its version: ${declared}; for version "1" write ` +
      `(data (i32.const 16) "\\02\\00\\00\\00" "1\\00") (global (export "version") i32 (i32.const 20)): ` +
      "the byte length, then the UTF-16LE characters, and the global pointing at the characters");
  }
  if (declared.version !== spec.version) {
    throw new BuildError(step, `${source} declares version "${declared.version}" but the system says "${spec.version}" ` +
      `for handler '${spec.name}'; make them agree (a new version resets the handler's state)`);
  }
}

async function moduleTools(source: string): Promise<string[]> {
  return [
    isWebAssemblyText(source)
      ? `wat2wasm ${await toolVersion("wat2wasm")}`
      : isC(source) ? `clang-14 ${await toolVersion("clang-14")}, lwip ${LWIP_PIN.version}`
      : `assemblyscript ${JSON.parse(readFileSync(join(toolchainRepository, "node_modules", "assemblyscript", "package.json"), "utf8")).version}`,
    `wasm2c ${await toolVersion("wasm2c")}`,
    `gcc ${await toolVersion("gcc")}`,
  ];
}

/** The modules the last plans produced, for the size report. */
let plannedHandlers: string[] = [];
let plannedPrograms: string[] = [];

export const handlersStep: Step = {
  name: "handlers",
  artifact: `${paths.handlerModules}/*.module`,
  artifactFiles: () => plannedHandlers,
  async plan({ project }) {
    const system = await projectSystem(project);
    plannedHandlers = system.config.handlers.map((handler) => modulePath(handler.name));
    if (system.config.handlers.some((handler) => isC(handler.source))) await ensureLwipSource(project.root);
    return Promise.all(system.config.handlers.map(async (handler: HandlerConfig) => moduleTask(project, {
      kind: "handler", name: handler.name, source: handler.source, memoryBytes: handler.memoryBytes, version: handler.version,
      capabilities: handler.capabilities, declaredAt: declaredAt(system, `handlers:${handler.name}`),
    }, await moduleTools(handler.source))));
  },
};

export const programsStep: Step = {
  name: "programs",
  artifact: `${paths.programModules}/*.module`,
  artifactFiles: () => plannedPrograms,
  async plan({ project }) {
    const system = await projectSystem(project);
    const programs = system.config.programs ?? [];
    plannedPrograms = programs.map((program) => programModulePath(program.name));
    return Promise.all(programs.map(async (program) => moduleTask(project, {
      kind: "program", name: program.name, source: program.source, memoryBytes: program.memoryBytes,
      capabilities: program.capabilities, declaredAt: declaredAt(system, `programs:${program.name}`),
    }, await moduleTools(program.source))));
  },
};
