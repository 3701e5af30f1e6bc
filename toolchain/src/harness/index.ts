// The host harness: load a handler or program compiled as the build compiles it, and drive it like the kernel.
//
//   const doorbell = await loadHandler(join(import.meta.dirname, "handler.ts"), { capabilities: ["emit:door.*"] });
//   const run = doorbell.post("door.opened", "front");  // run.committed, run.logs, run.emitted, run.trap
//   doorbell.advance("1s");                              // now() and wallTime() move on
//   const greet = await loadProgram(join(import.meta.dirname, "program.ts"));
//   greet.run(["hello", ""]).output;                    // main() with typed lines, its console output
//
// Grants come from the options (as system.toml writes them) or from the module's entry in a
// system.toml (`system`), which also gives its memory limit, version, subscriptions and the
// other handlers and programs of that system. Loading checks the module's imports as the
// build does (build/handlers.ts checkImports), so a module the build would refuse is
// refused here with the same words. docs/testing.md describes the tier.
import { basename, dirname, relative, resolve } from "node:path";
import { checkImports } from "../build/handlers.ts";
import { loadSystem } from "../system/load.ts";
import { DEFAULT_MEMORY_BYTES } from "../system/schema.ts";
import { compileModule, projectRootOf } from "./compile.ts";
import { HandlerHarness } from "./handler.ts";
import { ProgramHarness } from "./program.ts";
import { type OtherHandler, World, type WorldOptions } from "./world.ts";

export { eventNumber, HandlerHarness, type RunResult } from "./handler.ts";
export { ProgramHarness, type ProgramRun } from "./program.ts";
export { type HandlerStatus, World, type WorldOptions } from "./world.ts";
export type { Emitted, Trap } from "./module.ts";

export interface LoadOptions extends WorldOptions {
  /** The module's name (default: its folder's name, as `optios new` makes it). */
  name?: string;
  /** What it is granted, as system.toml writes it ("emit:door.*", "files:read"); default none. */
  capabilities?: string[];
  /** Its memory limit in bytes (default system.toml's default, 1 MiB). */
  memoryBytes?: number;
  /**
   * A system.toml that declares the module: its capabilities, memory, subscriptions and the
   * system's other handlers and programs are taken from there (options above still win).
   */
  system?: string;
}

interface Resolved {
  name: string;
  capabilities: string[];
  memoryBytes: number;
  declaredAt: string;
  events: string[] | null;
  world: WorldOptions;
}

async function resolveModule(kind: "handler" | "program", source: string, options: LoadOptions): Promise<Resolved> {
  const name = options.name ?? basename(dirname(resolve(source)));
  const resolved: Resolved = {
    name, capabilities: options.capabilities ?? [], memoryBytes: options.memoryBytes ?? DEFAULT_MEMORY_BYTES,
    declaredAt: relative(process.cwd(), resolve(source)), events: null, world: options,
  };
  if (options.system === undefined) return resolved;
  const root = projectRootOf(source);
  const systemFile = resolve(options.system);
  const { config, origins } = await loadSystem(systemFile, { root });
  const entries = kind === "handler" ? config.handlers : config.programs;
  const entry = entries.find((candidate) => candidate.name === name);
  if (!entry) {
    throw new Error(`${options.system}: declares no ${kind} '${name}' (its ${kind}s: ${entries.map((candidate) => candidate.name).join(", ") || "none"}); ` +
      `pass the name as { name: "…" } or add a [[${kind}s]] entry`);
  }
  const declaredSource = resolve(dirname(systemFile), entry.source);
  const origin = origins.get(`${kind}s:${name}`);
  const declaredAt = origin ? `${origin.file}:${origin.line}` : options.system;
  if (declaredSource !== resolve(source)) {
    throw new Error(`${declaredAt}: ${kind} '${name}' is built from ${relative(process.cwd(), declaredSource)}, not ${relative(process.cwd(), resolve(source))}`);
  }
  const handlers: Record<string, OtherHandler> = {};
  // Every handler of the system, this one included: it may emit an event it subscribes to itself.
  for (const handler of config.handlers) {
    handlers[handler.name] = { events: handler.triggers.events, messages: handler.triggers.messages, calls: handler.triggers.calls };
  }
  return {
    name,
    capabilities: options.capabilities ?? entry.capabilities,
    memoryBytes: options.memoryBytes ?? entry.memoryBytes,
    declaredAt,
    events: kind === "handler" ? (entry as (typeof config.handlers)[number]).triggers.events : null,
    world: {
      handlers: { ...handlers, ...options.handlers },
      programs: options.programs ?? config.programs.map((program) => program.name),
      foregroundMax: options.foregroundMax ?? config.foreground.max,
      files: options.files,
      dataFiles: options.dataFiles,
      dataDisk: options.dataDisk,
      wallTime: options.wallTime,
    },
  };
}

/** Compiles the handler at `source` (once per process) and loads it with its top-level code run. */
export async function loadHandler(source: string, options: LoadOptions = {}): Promise<HandlerHarness> {
  const module = await resolveModule("handler", source, options);
  const compiled = await compileModule(source, module.memoryBytes);
  checkImports(compiled.built, { kind: "handler", ...module });
  return new HandlerHarness(module.name, new World(module.world), module.capabilities, compiled.module, module.events);
}

/** Compiles the program at `source` (once per process); run() starts it. */
export async function loadProgram(source: string, options: LoadOptions = {}): Promise<ProgramHarness> {
  const module = await resolveModule("program", source, options);
  const compiled = await compileModule(source, module.memoryBytes);
  checkImports(compiled.built, { kind: "program", ...module });
  return new ProgramHarness(module.name, new World(module.world), module.capabilities, compiled.module);
}
