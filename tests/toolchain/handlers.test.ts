// The handler build step: the generated descriptor, missing exports, and the --noUnsafe rule.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { globalsLayout, missingExports, readHandlerHeader, renderDescriptor } from "../../toolchain/src/build/handler_descriptor.ts";
import { ascCommand } from "../../toolchain/src/build/handlers.ts";
import { toolchainRepository } from "../../toolchain/src/project.ts";

const HEADER = `
void Z_handler_init_module(void);
void Z_handler_instantiate(Z_handler_instance_t*, struct Z_env_instance_t*, struct Z_optios_instance_t*);
u32* Z_handlerZ_version(Z_handler_instance_t* instance);
void Z_handlerZ_handle(Z_handler_instance_t*, u32, u32, u32, u64, u32);
wasm_rt_memory_t* Z_handlerZ_memory(Z_handler_instance_t* instance);
void Z_handlerZ_start(Z_handler_instance_t*);
`;

describe("handler descriptor", () => {
  test("reads the imports and exports wasm2c generated", () => {
    expect(readHandlerHeader(HEADER)).toEqual({ importModules: 2, globals: [], hasStart: true, hasHandle: true, hasVersion: true, hasMain: false, hasMemory: true });
    expect(readHandlerHeader(HEADER.replace(", struct Z_env_instance_t*", "")).importModules).toBe(1);
  });

  test("passes the gate once per imported module and wires start, handle and version", () => {
    const descriptor = renderDescriptor("heartbeat", readHandlerHeader(HEADER));
    expect(descriptor).toContain("Z_handler_instantiate(instance, gate, gate);");
    expect(descriptor).toContain("static void start(void* instance) { Z_handlerZ_start(instance); }");
    expect(descriptor).toMatch(/MODULE_ABI_VERSION, sizeof\(Z_handler_instance_t\), Z_handler_init_module, instantiate, memory,\s+start, handle, version,\s+0, release,/);
    expect(descriptor).toContain("static void release(void* instance) { Z_handler_free(instance); }");
  });

  test("a program's descriptor wires main and no handle; a program without main is refused", () => {
    const header = `void Z_program_instantiate(Z_program_instance_t*, struct Z_optios_instance_t*);
void Z_programZ_main(Z_program_instance_t*);
wasm_rt_memory_t* Z_programZ_memory(Z_program_instance_t* instance);
`;
    const exports = readHandlerHeader(header, "program");
    expect(exports).toEqual({ importModules: 1, globals: [], hasStart: false, hasHandle: false, hasVersion: false, hasMain: true, hasMemory: true });
    const descriptor = renderDescriptor("shell", exports, "program");
    expect(descriptor).toContain('#include "program.h"');
    expect(descriptor).toMatch(/0, 0, 0,\s+program_main, release,/);
    expect(missingExports("programs/shell/program.ts", exports, "program")).toBeUndefined();
    expect(missingExports("programs/x/program.ts", { ...exports, hasMain: false }, "program"))
      .toBe("programs/x/program.ts: does not export main; add `export function main(): void { … }`");
  });

  test("the globals (the state kept over a warm reboot) are the instance's scalar fields, and their layout is hashed", () => {
    const withInstance = `${HEADER}
typedef struct Z_handler_instance_t {
  struct Z_env_instance_t* Z_env_instance;
  struct Z_optios_instance_t* Z_optios_instance;
  u32 w2c_g0;
  u64 w2c_g1;
  u32 w2c_version;
  wasm_rt_memory_t w2c_memory;
  wasm_rt_funcref_table_t w2c_T0;
} Z_handler_instance_t;
`;
    const exports = readHandlerHeader(withInstance);
    expect(exports.globals).toEqual(["u32 w2c_g0", "u64 w2c_g1", "u32 w2c_version"]);
    const descriptor = renderDescriptor("counter", exports);
    expect(descriptor).toContain("offsetof(Z_handler_instance_t, w2c_g0), offsetof(Z_handler_instance_t, w2c_memory) - offsetof(Z_handler_instance_t, w2c_g0)");
    expect(descriptor).toContain(`0x${globalsLayout(exports.globals).toString(16)}u`);
    expect(globalsLayout(["u32 w2c_g0", "u64 w2c_g1"])).not.toBe(globalsLayout(["u64 w2c_g0", "u32 w2c_g1"]));
    expect(globalsLayout(["u32 w2c_g0"])).not.toBe(globalsLayout(["u32 w2c_g0", "u32 w2c_g1"]));
  });

  test("a handler without the entry point or a version is refused with what to write", () => {
    const withoutHandle = readHandlerHeader(HEADER.replace(/.*Z_handlerZ_handle.*\n/, ""));
    expect(missingExports("handlers/x/handler.ts", withoutHandle)).toBe(
      'handlers/x/handler.ts: does not export the entry point; add `export { handle } from "optios";`');
    const withoutVersion = readHandlerHeader(HEADER.replace(/.*Z_handlerZ_version.*\n/, ""));
    expect(missingExports("handlers/x/handler.ts", withoutVersion)).toMatch(/declares no version; add `export const version = "1";`/);
    expect(missingExports("handlers/x/handler.ts", readHandlerHeader(HEADER))).toBeUndefined();
  });

  test("output that is not wasm2c's for module 'handler' is named as such", () => {
    expect(() => readHandlerHeader("void Z_other_instantiate(void);")).toThrow(/no Z_handler_instantiate declaration/);
  });
});

describe("handlers are compiled with --noUnsafe", () => {
  const directory = mkdtempSync(join(tmpdir(), "optios-unsafe-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  function compile(body: string) {
    const source = join(directory, "handler.ts");
    writeFileSync(source, `import { Event, log, on } from "optios";\nexport { handle } from "optios";\nexport const version = "1";\n${body}\n`);
    const [program, ...args] = ascCommand(toolchainRepository, source, join(directory, "handler.wasm"), 1 << 20);
    const result = spawnSync(program, args, { cwd: toolchainRepository, encoding: "utf8" });
    // asc colours its messages when it thinks a terminal (or CI) is watching; compare the words.
    return { status: result.status, stderr: result.stderr.replace(/\u001b\[[0-9;]*m/g, "") };
  }

  test("a handler using the API builds", () => {
    const result = compile(`on((event: Event): void => log("ok"));`);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 60_000);

  test("a handler using raw store fails to build, naming the operation and the line", () => {
    const result = compile(`on((event: Event): void => { store<u8>(16, 1); });`);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("ERROR AS101: Operation is unsafe.");
    expect(result.stderr).toMatch(/handler\.ts\(4,/);
  }, 60_000);

  test("so does one using raw load", () => {
    const result = compile(`on((event: Event): void => { log(load<u8>(16).toString()); });`);
    expect(result.stderr).toContain("Operation is unsafe");
  }, 60_000);
});

describe("a handler whose source is missing", () => {
  test("fails the build naming the system file and line, the handler and the path", async () => {
    const { handlersStep } = await import("../../toolchain/src/build/handlers.ts");
    const { loadProject } = await import("../../toolchain/src/project.ts");
    const root = mkdtempSync(join(tmpdir(), "optios-missing-"));
    try {
      writeFileSync(join(root, "asconfig.json"), JSON.stringify({ targets: { kernel: { maximumMemory: 32 } } }));
      writeFileSync(join(root, "system.toml"), `[system]\nhostname = "box"\nversion = "1"\n\n[[handlers]]\nname = "ghost"\nsource = "ghost.ts"\nversion = "1"\nboot = true\n`);
      const project = loadProject(root, "system.toml");
      await expect(handlersStep.plan({ project, jobs: 1 })).rejects.toThrow(
        `system.toml:5: handler 'ghost' source: file not found: "ghost.ts" (ghost.ts); expected a path to its source, relative to the system file that declares it`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
