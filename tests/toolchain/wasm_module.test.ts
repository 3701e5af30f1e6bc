// Handlers in WebAssembly text: what the build reads from the binary, what it refuses, and the isolation fixtures.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { missingExports, readHandlerHeader, tableWrites } from "../../toolchain/src/build/handler_descriptor.ts";
import { isWebAssemblyText, wat2wasmCommand } from "../../toolchain/src/build/handlers.ts";
import { wasmMemoryLimits, wasmVersion } from "../../toolchain/src/build/wasm_module.ts";
import { toolchainRepository } from "../../toolchain/src/project.ts";

const directory = mkdtempSync(join(tmpdir(), "optios-wat-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Assembles WebAssembly text (a file, or the text itself) the way the build does. */
function assemble(text: string, name = "module"): Uint8Array {
  const source = text.endsWith(".wat") ? join(toolchainRepository, text) : join(directory, `${name}.wat`);
  if (!text.endsWith(".wat")) writeFileSync(source, text);
  const [program, ...args] = wat2wasmCommand(source, join(directory, `${name}.wasm`));
  const result = spawnSync(program, args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(result.stderr);
  return readFileSync(join(directory, `${name}.wasm`));
}

/** wasm2c's C for a binary, as the build translates it. */
function translate(wasm: Uint8Array, name: string): string {
  writeFileSync(join(directory, `${name}.wasm`), wasm);
  const result = spawnSync("wasm2c", [join(directory, `${name}.wasm`), "-n", "handler", "-o", join(directory, `${name}.c`)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(result.stderr);
  return readFileSync(join(directory, `${name}.c`), "utf8");
}

const VERSION = `(data (i32.const 16) "\\06\\00\\00\\00" "2\\00b\\00c\\00") (global (export "version") i32 (i32.const 20))`;

describe("a .wat source", () => {
  test("is recognised by its extension and assembled with wat2wasm, SIMD refused as with asc", () => {
    expect(isWebAssemblyText("tests/qemu/handlers/store_past_end.wat")).toBe(true);
    expect(isWebAssemblyText("handlers/heartbeat/handler.ts")).toBe(false);
    expect(wat2wasmCommand("a.wat", "b.wasm")).toEqual(["wat2wasm", "--disable-simd", "a.wat", "-o", "b.wasm"]);
  });

  test("its version is the string the exported global points at, in AssemblyScript's layout", () => {
    expect(wasmVersion(assemble(`(module (memory 1 1) ${VERSION})`))).toEqual({ version: "2bc" });
  });

  test("a version that cannot be read from the binary alone is named", () => {
    expect(wasmVersion(assemble("(module (memory 1 1))"))).toBe("exports no global named version");
    expect(wasmVersion(assemble(`(module (memory 1 1) (global (export "version") i32 (i32.const 20)))`)))
      .toBe("no data segment holds the version's byte length at 16");
    expect(wasmVersion(assemble(`(module (memory 1 1) (data (i32.const 16) "\\08\\00\\00\\00" "1\\00") (global (export "version") i32 (i32.const 20)))`)))
      .toBe("no data segment holds 8 bytes of UTF-16 characters at 20");
  });

  test("its memory limits are read, and a memory it imports is refused", () => {
    expect(wasmMemoryLimits(assemble("(module (memory 2 16))"))).toEqual({ initialPages: 2, maximumPages: 16 });
    expect(wasmMemoryLimits(assemble("(module (memory 1))"))).toEqual({ initialPages: 1 });
    expect(wasmMemoryLimits(assemble(`(module (import "env" "memory" (memory 1 1)))`))).toMatch(/^imports its memory/);
  });

  test("missing exports are named in WebAssembly text terms", () => {
    const header = `void Z_handler_instantiate(Z_handler_instance_t*, struct Z_optios_instance_t*);
wasm_rt_memory_t* Z_handlerZ_memory(Z_handler_instance_t* instance);
`;
    expect(missingExports("x.wat", readHandlerHeader(header))).toMatch(/does not export the entry point; add \(func \(export "handle"\) \(param \$kind i32\)/);
    expect(missingExports("x.wat", readHandlerHeader("void Z_handler_instantiate(Z_handler_instance_t*);")))
      .toBe('x.wat: does not export its memory; add (memory (export "memory") 1 1)');
  });

  test("a handler that changes its table while it runs is found (its snapshot could not undo it)", () => {
    const setter = assemble(`(module (type $n (func)) (table 1 funcref) (elem (i32.const 0) $f) (elem declare func $f)
      (func $f (type $n)) (func (export "handle") (table.set 0 (i32.const 0) (ref.func $f))))`, "setter");
    expect(tableWrites(translate(setter, "setter"))).toEqual(["funcref_table_set"]);
  });
});

describe("the isolation fixtures (tests/qemu/handlers/*.wat) in V8", () => {
  const FIXTURES = {
    unreachable: "unreachable",
    store_past_end: "memory access out of bounds",
    load_huge_address: "memory access out of bounds",
    call_out_of_range: "table index is out of bounds",
    call_wrong_type: "null function or function signature mismatch",
  } as const;

  for (const [name, trap] of Object.entries(FIXTURES)) {
    test(`${name}: version 1, one page, no table writes; the boot run commits 42, a later run logs it, then "${trap}"`, async () => {
      const wasm = assemble(`tests/qemu/handlers/${name}.wat`, name);
      expect(wasmVersion(wasm)).toEqual({ version: "1" });
      expect(wasmMemoryLimits(wasm)).toEqual({ initialPages: 1, maximumPages: 1 });
      expect(tableWrites(translate(wasm, name))).toEqual([]);
      const logged: string[] = [];
      let memory: WebAssembly.Memory | undefined;
      const { instance } = await WebAssembly.instantiate(wasm, {
        optios: { log: (level: number, at: number, length: number) => (logged.push(`${level} ${Buffer.from(memory!.buffer, at, length).toString()}`), 0n) },
      });
      memory = instance.exports.memory as WebAssembly.Memory;
      const handle = instance.exports.handle as (kind: number, source: number, name: number, timestamp: bigint, length: number) => void;
      handle(1, 0, 0, 0n, 0);
      expect(() => handle(3, 0, 0, 0n, 0)).toThrow(trap);
      expect(logged).toEqual(["6 committed global=42 memory=42", "6 running global=42 memory=42"]);
    });
  }
});
