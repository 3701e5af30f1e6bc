// The C descriptor of a module: adapts wasm2c's output for one handler or program to boot/module.h.
//
// wasm2c names every function after the module ("handler" or "program", the -n it was given)
// and gives `instantiate` one parameter per imported module, so the shape differs between
// modules. This file reads the generated header and writes the few lines of C that present
// it as a `module_descriptor`, whose entry points all take `void*`, so one loader in boot/
// serves every handler and program.

import { limit } from "../../../interface/optios.ts";
import type { VersionEncoding } from "./wasm_module.ts";

/** What a module is: a handler (entry point handle, persistent state) or a program (main, on its own thread). */
export type ModuleKind = "handler" | "program";

export interface HandlerExports {
  /** How many import-module instances `Z_<kind>_instantiate` takes after the instance. */
  importModules: number;
  /** The instance's global fields, in order ("u32 w2c_g0"): the state saved across reboots. */
  globals: string[];
  hasStart: boolean;
  hasHandle: boolean;
  hasVersion: boolean;
  hasMain: boolean;
  hasMemory: boolean;
}

export function readHandlerHeader(header: string, kind: ModuleKind = "handler"): HandlerExports {
  const instantiate = new RegExp(`void Z_${kind}_instantiate\\(Z_${kind}_instance_t\\*((?:, struct Z_\\w+_instance_t\\*)*)\\);`).exec(header);
  if (!instantiate) throw new Error(`${kind}.h has no Z_${kind}_instantiate declaration (is this wasm2c output for module '${kind}'?)`);
  const instance = new RegExp(`typedef struct Z_${kind}_instance_t \\{([\\s\\S]*?)\\} Z_${kind}_instance_t;`).exec(header);
  return {
    importModules: (instantiate[1].match(/struct Z_\w+_instance_t\*/g) ?? []).length,
    globals: instance ? [...instance[1].matchAll(/^\s*((?:u32|u64|f32|f64|v128) w2c_\w+);$/gm)].map((match) => match[1]) : [],
    hasStart: header.includes(`void Z_${kind}Z_start(Z_${kind}_instance_t*`),
    hasHandle: header.includes(`void Z_${kind}Z_handle(Z_${kind}_instance_t*, u32, u32, u32, u64, u32);`),
    hasVersion: header.includes(`u32* Z_${kind}Z_version(Z_${kind}_instance_t* instance);`),
    hasMain: header.includes(`void Z_${kind}Z_main(Z_${kind}_instance_t*);`),
    hasMemory: header.includes(`wasm_rt_memory_t* Z_${kind}Z_memory(Z_${kind}_instance_t* instance);`),
  };
}

/** Why a module cannot be built, naming its source and what to write; undefined if it can. */
export function missingExports(source: string, exports: HandlerExports, kind: ModuleKind = "handler"): string | undefined {
  if (source.endsWith(".wat")) return missingTextExports(source, exports, kind);
  if (kind === "program") {
    if (!exports.hasMain) return `${source}: does not export main; add \`export function main(): void { … }\``;
    return undefined;
  }
  if (!exports.hasHandle) return `${source}: does not export the entry point; add \`export { handle } from "optios";\``;
  if (!exports.hasVersion) return `${source}: declares no version; add \`export const version = "1";\``;
  return undefined;
}

/** The same for a module in WebAssembly text, in its terms: asc exports the memory itself, wat2wasm does not. */
function missingTextExports(source: string, exports: HandlerExports, kind: ModuleKind): string | undefined {
  if (!exports.hasMemory) return `${source}: does not export its memory; add (memory (export "memory") 1 1)`;
  if (kind === "program") return exports.hasMain ? undefined : `${source}: does not export main; add (func (export "main") …)`;
  if (!exports.hasHandle) {
    return `${source}: does not export the entry point; add ` +
      `(func (export "handle") (param $kind i32) (param $source i32) (param $name i32) (param $timestamp i64) (param $length i32) …)`;
  }
  if (!exports.hasVersion) return `${source}: declares no version; add (global (export "version") i32 (i32.const <address of the characters>))`;
  return undefined;
}

/**
 * The table-changing instructions (table.set, .grow, .fill, .copy, .init) in a module's own
 * functions, read from wasm2c's C. A handler's tables are not part of its snapshot (boot/
 * snapshot.c covers memory and globals), so a rolled-back run could not undo them. The
 * tables are filled once by init_tables, while instantiating; that is not a run.
 */
export function tableWrites(translated: string): string[] {
  const functions = translated.replace(/^static void init_tables\([^)]*\) \{[\s\S]*?^\}/m, "");
  const writes = functions.matchAll(/\b((?:funcref|externref)_table_(?:set|fill|copy|init)|wasm_rt_grow_(?:funcref|externref)_table)\(&instance->/g);
  return [...new Set([...writes].map((match) => match[1]))];
}

/** FNV-1a over the globals' declarations: equal only when their types, names and order are. */
export function globalsLayout(globals: readonly string[]): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(globals.join(";"))) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

export function renderDescriptor(moduleName: string, exports: HandlerExports, kind: ModuleKind = "handler",
  versionEncoding: VersionEncoding = "counted"): string {
  const gates = Array.from({ length: exports.importModules }, () => ", gate").join("");
  const Z = `Z_${kind}Z_`;
  const handle = exports.hasHandle ? `
static void handle(void* instance, uint32_t kind, uint32_t source, uint32_t name, uint64_t timestamp, uint32_t length) {
  ${Z}handle(instance, kind, source, name, timestamp, length);
}
` : "";
  const version = exports.hasVersion && versionEncoding === "terminated" ? `
/* The version string: UTF-16 characters ended by a 0 (a C module's OPTIOS_VERSION). */
static void version(void* instance, uint32_t* address, uint32_t* length) {
  wasm_rt_memory_t* data = ${Z}memory(instance);
  uint32_t string = *${Z}version(instance);
  uint32_t bytes = 0;
  while (string <= data->size && bytes + 2 <= data->size - string && bytes < ${2 * limit("VERSION_MAX_BYTES")} &&
         (data->data[string + bytes] | data->data[string + bytes + 1]) != 0)
    bytes += 2;
  *address = string;
  *length = string <= data->size ? bytes : 0;
}
` : exports.hasVersion ? `
/* The version string: AssemblyScript keeps its UTF-16 byte length just before the characters. */
static void version(void* instance, uint32_t* address, uint32_t* length) {
  wasm_rt_memory_t* data = ${Z}memory(instance);
  uint32_t string = *${Z}version(instance);
  uint32_t bytes = 0;
  if (string >= 4 && string <= data->size) memcpy(&bytes, data->data + string - 4, 4);
  if (bytes > data->size - string) bytes = 0;
  *address = string;
  *length = bytes;
}
` : "";
  const first = exports.globals[0]?.split(" ")[1];
  const globalsRange = first
    ? `offsetof(Z_${kind}_instance_t, ${first}), offsetof(Z_${kind}_instance_t, w2c_memory) - offsetof(Z_${kind}_instance_t, ${first})`
    : "0, 0";
  return `/* Generated by toolchain/src/build/handler_descriptor.ts for ${kind} "${moduleName}"; do not edit. */
#include <stddef.h>
#include "module.h"
#include "${kind}.h"

static void instantiate(void* instance, void* gate) { Z_${kind}_instantiate(instance${gates}); }
static wasm_rt_memory_t* memory(void* instance) { return ${Z}memory(instance); }
static void release(void* instance) { Z_${kind}_free(instance); }
${exports.hasStart ? `static void start(void* instance) { ${Z}start(instance); }\n` : ""}${exports.hasMain ? `static void program_main(void* instance) { ${Z}main(instance); }\n` : ""}${handle}${version}
const struct module_descriptor optios_module = {
    MODULE_ABI_VERSION, sizeof(Z_${kind}_instance_t), Z_${kind}_init_module, instantiate, memory,
    ${exports.hasStart ? "start" : "0"}, ${exports.hasHandle ? "handle" : "0"}, ${exports.hasVersion ? "version" : "0"},
    ${exports.hasMain ? "program_main" : "0"}, release,
    ${globalsRange}, 0x${globalsLayout(exports.globals).toString(16)}u,
};
`;
}
