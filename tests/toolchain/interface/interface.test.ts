// The interface declared once: generated files match the declaration, and modules are checked against it at build time.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { calls, records, recordLayout } from "../../../interface/optios.ts";
import { checkImports, checkImportSignatures } from "../../../toolchain/src/build/handlers.ts";
import { generatedFiles } from "../../../toolchain/src/interface/generate.ts";
import { toolchainRepository } from "../../../toolchain/src/project.ts";

/** A wasm module importing `imports` ([module, name] pairs), assembled by wabt's wat2wasm. */
function moduleImporting(imports: Array<[string, string]>): Uint8Array {
  const folder = mkdtempSync(join(tmpdir(), "optios-imports-"));
  const lines = imports.map(([module, name], index) => `(import "${module}" "${name}" (func $f${index}))`);
  writeFileSync(join(folder, "m.wat"), `(module ${lines.join(" ")})`);
  execFileSync("wat2wasm", [join(folder, "m.wat"), "-o", join(folder, "m.wasm")]);
  return readFileSync(join(folder, "m.wasm"));
}

const at = "systems/x/system.toml:12";

describe("the generated views of interface/optios.ts", () => {
  test.each([...generatedFiles().keys()])("%s is what the generator makes (edit interface/optios.ts, not it)", (path) => {
    expect(readFileSync(join(toolchainRepository, path), "utf8")).toBe(generatedFiles().get(path));
  });

  test("call numbers and names are unique, and every record is naturally aligned", () => {
    expect(new Set(calls.map((call) => call.number)).size).toBe(calls.length);
    expect(new Set(calls.map((call) => call.name)).size).toBe(calls.length);
    for (const record of records) expect(() => recordLayout(record)).not.toThrow();
  });
});

describe("the build-time capability check", () => {
  test("a module whose calls its capabilities allow passes", () => {
    const wasm = moduleImporting([["optios", "log"], ["optios", "emit"], ["env", "abort"]]);
    expect(() => checkImports(wasm, { kind: "handler", name: "ping", capabilities: ["emit:ping"], declaredAt: at })).not.toThrow();
  });

  test.each([
    ["an ungranted emit", "handler", [["optios", "emit"]], [],
      `${at}: handler 'ping' calls emit, which needs the capability 'emit'; add "emit:<event>" to its capabilities`],
    ["an ungranted power call", "program", [["optios", "power"]], ["programs"],
      `${at}: program 'ping' calls power, which needs the capability 'power'; add "power" to its capabilities`],
    ["an ungranted file read", "handler", [["optios", "file_read"]], ["emit:x"],
      `${at}: handler 'ping' calls file_read, which needs the capability 'files'; add "files:read" to its capabilities`],
    ["a program-only call from a handler", "handler", [["optios", "write"]], [],
      `${at}: handler 'ping' calls write, which only programs may make`],
    ["a call the kernel does not have", "handler", [["optios", "format_disk"]], [],
      `${at}: handler 'ping' imports optios.format_disk, which the kernel does not provide (see docs/gate.md)`],
  ] as const)("%s fails the build with the system line, module, call and capability", (_, kind, imports, capabilities, message) => {
    const wasm = moduleImporting(imports.map(([module, name]) => [module, name]));
    expect(() => checkImports(wasm, { kind, name: "ping", capabilities: [...capabilities], declaredAt: at })).toThrow(message);
  });
});

describe("the build-time signature check", () => {
  const header = (line: string) => `/* import: 'optios' 'log' */\n${line}\n`;
  test("an import declared as the interface declares it passes", () => {
    expect(() => checkImportSignatures(header("u64 Z_optiosZ_log(struct Z_optios_instance_t*, u32, u32, u32);"),
      { kind: "handler", name: "x", declaredAt: at })).not.toThrow();
    expect(() => checkImportSignatures(header("u64 Z_optiosZ_file_read(struct Z_optios_instance_t*, u32, u32, u64, u32, u32);"),
      { kind: "handler", name: "x", declaredAt: at })).not.toThrow();
  });

  test("an import of a call with other parameter types fails the build, naming both signatures", () => {
    expect(() => checkImportSignatures(header("u64 Z_optiosZ_log(struct Z_optios_instance_t*, u64);"),
      { kind: "handler", name: "x", declaredAt: at }))
      .toThrow(`${at}: handler 'x' imports optios.log as (u64) -> u64, but the kernel's call is (u32, u32, u32) -> u64 (interface/optios.ts)`);
  });

  test("an import with another result type fails the build", () => {
    expect(() => checkImportSignatures(header("u32 Z_optiosZ_time(struct Z_optios_instance_t*);"),
      { kind: "program", name: "x", declaredAt: at }))
      .toThrow(`${at}: program 'x' imports optios.time as () -> u32, but the kernel's call is () -> u64 (interface/optios.ts)`);
  });
});
