// The kernel's /etc/system.toml reader (kernel/config/): the file the toolchain renders, good and broken TOML, fuzzing.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initrdArchive, makeInitrd, renderSystemToml } from "../../toolchain/src/build/initrd.ts";
import { paths, type Project } from "../../toolchain/src/project.ts";
import { loadSystem, type LoadedSystem } from "../../toolchain/src/system/load.ts";
import { KernelAbort, startKernel, type KernelUnderTest } from "./fake_machine";

const BASE = 0x3000000;
const encoder = new TextEncoder();

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "optios-config-"));
  folders.push(folder);
  return folder;
}

const start = () => startKernel(undefined, "config_under_test");

function outputText(kernel: KernelUnderTest, length: number): string {
  return new TextDecoder().decode(new Uint8Array(kernel.kernel.memory.buffer, kernel.kernel.outputPointer(), length));
}

interface Read { line: number; error: string; dump: string }

/** Reads `text` with kernel/config/toml.ts. */
function readToml(kernel: KernelUnderTest, text: string | Uint8Array): Read {
  const line = kernel.kernel.tomlRead(kernel.input(text)) as number;
  return { line, error: outputText(kernel, kernel.kernel.tomlError()), dump: outputText(kernel, kernel.kernel.tomlDump()) };
}

interface Config { max: number; programs: string[]; error: string }

function configResult(kernel: KernelUnderTest): Config {
  const count = kernel.kernel.configProgramCount() as number;
  const programs = Array.from({ length: count }, (_, index) => outputText(kernel, kernel.kernel.configProgram(index)));
  return { max: kernel.kernel.configMax(), programs, error: outputText(kernel, kernel.kernel.configError()) };
}

/** Reads `text` as /etc/system.toml from physical memory with readSystemConfig. */
async function readConfig(text: string | Uint8Array): Promise<Config> {
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  const kernel = await startKernel((machine) => machine.writePhysical(BASE, bytes), "config_under_test");
  kernel.kernel.configRead(BigInt(BASE), bytes.length);
  return configResult(kernel);
}

const DEFAULTS = { max: 1, programs: [], error: "" };

let defaultSystem: LoadedSystem;
let defaultToml: string;

beforeAll(async () => {
  defaultSystem = await loadSystem(resolve(paths.system));
  defaultToml = renderSystemToml(defaultSystem, paths.system);
});

describe("the file the toolchain renders", () => {
  test("the default system's /etc/system.toml reads in full, every table and key in order", async () => {
    const kernel = await start();
    const read = readToml(kernel, defaultToml);
    expect(read.error).toBe("");
    expect(read.line).toBe(0);
    const headers = read.dump.split("\n").filter((line) => line.startsWith("["));
    expect(headers.map((header) => header.replace(/@\d+$/, ""))).toEqual(
      ["[system]", "[foreground]", ...defaultSystem.config.handlers.map(() => "[[handlers]]"), ...defaultSystem.config.programs.map(() => "[[programs]]")]);
    expect(read.dump).toContain(`hostname@5 = "${defaultSystem.config.system.hostname}"\n`);
    expect(read.dump).toContain(`max@10 = ${defaultSystem.config.foreground.max}\n`);
    for (const handler of defaultSystem.config.handlers) expect(read.dump).toContain(`= "${handler.name}"\n`);
    expect(await readConfig(defaultToml)).toEqual({
      max: defaultSystem.config.foreground.max, programs: defaultSystem.config.foreground.programs, error: "" });
  });

  test("a rendered system with started programs and escaped strings reads back exactly", async () => {
    const folder = temporaryFolder();
    writeFileSync(join(folder, "shell.ts"), "");
    writeFileSync(join(folder, "monitor.ts"), "");
    writeFileSync(join(folder, "system.toml"), `[system]
hostname = "box"
version = "1.0\\\\\\"x\\""
[foreground]
max = 3
programs = ["monitor", "shell"]
[[programs]]
name = "shell"
source = "shell.ts"
[[programs]]
name = "monitor"
source = "monitor.ts"
memory = "64KiB"
[[handlers]]
name = "tick"
source = "dir with spaces/tick\\t\\u00e9\\U0001F600.ts"
version = "1"
events = ["a.b", "c"]
after = "2s"
`);
    const system = await loadSystem(join(folder, "system.toml"));
    const text = renderSystemToml(system, "system.toml");
    const kernel = await start();
    const read = readToml(kernel, text);
    expect(read.error).toBe("");
    expect(read.dump).toContain(`version@6 = "1.0\\"x""\n`);
    expect(read.dump).toContain(`source@15 = "dir with spaces/tick\té😀.ts"\n`);
    expect(read.dump).toContain(`events@18 = ["a.b", "c"]\n`);
    expect(read.dump).toContain(`[[programs]]@24\nname@25 = "shell"\nsource@26 = "shell.ts"\nmemory@27 = "1MiB"\n`);
    expect(await readConfig(text)).toEqual({ max: 3, programs: ["monitor", "shell"], error: "" });
  });
});

describe("loadSystemConfig, through the boot filesystem", () => {
  async function mounted(archive: Uint8Array): Promise<Config> {
    const kernel = await startKernel((machine) => machine.writePhysical(BASE, archive), "config_under_test");
    kernel.kernel.configMountBootFilesystem(BigInt(BASE), BigInt(archive.length));
    kernel.kernel.configLoad();
    return configResult(kernel);
  }

  /** A newc archive of `files` (path → text; a path ending in '/' is a folder), made by the real cpio. */
  function archiveOf(files: Record<string, string>): Uint8Array {
    const tree = temporaryFolder();
    for (const [path, text] of Object.entries(files)) {
      if (path.endsWith("/")) mkdirSync(join(tree, path), { recursive: true });
      else {
        mkdirSync(join(tree, path, ".."), { recursive: true });
        writeFileSync(join(tree, path), text);
      }
    }
    const names = execFileSync("find", ["."], { cwd: tree, encoding: "utf8" }).split("\n").filter(Boolean).sort();
    return new Uint8Array(execFileSync("cpio", ["-o", "-H", "newc", "--quiet"], { cwd: tree, input: names.join("\n") + "\n" }));
  }

  test("reads the /etc/system.toml that makeInitrd packs", async () => {
    const root = temporaryFolder();
    const project: Project = { root, version: "0.1.0", kernelMaximumMemoryPages: 32, sourceDateEpoch: 1704067200,
      systemFile: relative(root, resolve(paths.system)), kernelArguments: "" };
    mkdirSync(join(root, paths.programModules), { recursive: true });
    for (const program of defaultSystem.config.programs) writeFileSync(join(root, paths.programModules, `${program.name}.module`), "");
    await makeInitrd(project, defaultSystem);
    const config = await mounted(new Uint8Array(readFileSync(join(root, initrdArchive))));
    expect(config).toEqual({ max: defaultSystem.config.foreground.max, programs: defaultSystem.config.foreground.programs, error: "" });
  });

  test("reads settings from the archive, and reports a bad one with its file and line", async () => {
    expect(await mounted(archiveOf({ "etc/system.toml": "[foreground]\nmax = 2\nprograms = [\"shell\"]\n" })))
      .toEqual({ max: 2, programs: ["shell"], error: "" });
    expect(await mounted(archiveOf({ "etc/system.toml": "[foreground]\nmax = 9\n" })))
      .toEqual({ ...DEFAULTS, error: "/etc/system.toml:2: foreground.max: expected an integer from 1 to 4, found 9" });
  });

  test("no file, or no boot filesystem, gives the defaults without an error", async () => {
    expect(await mounted(archiveOf({ "etc/other.toml": "x = 1\n" }))).toEqual(DEFAULTS);
    const kernel = await start();
    kernel.kernel.configLoad();
    expect(configResult(kernel)).toEqual(DEFAULTS);
  });

  test("a folder at /etc/system.toml is reported", async () => {
    expect(await mounted(archiveOf({ "etc/system.toml/": "" })))
      .toEqual({ ...DEFAULTS, error: "/etc/system.toml: expected a file, found a directory" });
  });
});

describe("hand-written TOML", () => {
  test("comments, blank lines, CR LF, spacing, signs, underscores, escapes and lists", async () => {
    const kernel = await start();
    const text = [
      "# a comment", "", "top = -9_223_372_036_854_775_808   # the smallest i64", "\t", "[ plain ]  # spaced header",
      "a=+0", "b = 9223372036854775807", "t = true", "f=false",
      `s = "tab\\there \\"quoted\\" back\\\\slash \\u00E9\\U0001f600 \\b\\f\\r\\n end"`, `e = ""`, "   indented = 1",
      "[[items]]", "list = [ \"x\", 2 ,-3, ]", "empty = []", "[[items]]", "list=[\"#not a comment\"]",
      "[other]", "items = 0", "[a-b_C9]",
    ].join("\r\n") + "\r\n";
    const read = readToml(kernel, text);
    expect(read.error).toBe("");
    expect(read.dump).toBe([
      "top@3 = -9223372036854775808",
      "[plain]@5", "a@6 = 0", "b@7 = 9223372036854775807", "t@8 = true", "f@9 = false",
      `s@10 = "tab\there "quoted" back\\slash é😀 \b\f\r\n end"`, `e@11 = ""`, "indented@12 = 1",
      "[[items]]@13", `list@14 = ["x", 2, -3]`, "empty@15 = []", "[[items]]@16", `list@17 = ["#not a comment"]`,
      "[other]@18", "items@19 = 0", "[a-b_C9]@20", "",
    ].join("\n"));
  });

  test("an empty file and a file without a final newline read", async () => {
    const kernel = await start();
    expect(readToml(kernel, "")).toEqual({ line: 0, error: "", dump: "" });
    expect(readToml(kernel, "x = 1")).toEqual({ line: 0, error: "", dump: "x@1 = 1\n" });
  });

  test("the config ignores other tables and keys, and takes max and programs", async () => {
    expect(await readConfig("[system]\nhostname = \"x\"\nunknown = [1]\n[foreground]\nmax = 4\nprograms = [\"a\", \"b\", \"c\", \"d\"]\nother = true\n[[handlers]]\nname = \"h\"\n"))
      .toEqual({ max: 4, programs: ["a", "b", "c", "d"], error: "" });
    expect(await readConfig("[foreground]\nprograms = []\n")).toEqual(DEFAULTS);
    expect(await readConfig("# nothing\n")).toEqual(DEFAULTS);
  });
});

describe("each malformed input has its exact message", () => {
  const cases: Array<[string, string | Uint8Array, number, string]> = [
    ["a float", "max = 1.5\n", 1, "expected a decimal integer for 'max' (digits, an optional sign, '_' between digits, no leading zero), found '1.5'"],
    ["a leading zero", "\nmax = 07\n", 2, "expected a decimal integer for 'max' (digits, an optional sign, '_' between digits, no leading zero), found '07'"],
    ["a hex integer", "max = 0x10\n", 1, "expected a decimal integer for 'max' (digits, an optional sign, '_' between digits, no leading zero), found '0x10'"],
    ["a doubled underscore", "max = 1__0\n", 1, "expected a decimal integer for 'max' (digits, an optional sign, '_' between digits, no leading zero), found '1__0'"],
    ["a trailing underscore", "max = 10_\n", 1, "expected a decimal integer for 'max' (digits, an optional sign, '_' between digits, no leading zero), found '10_'"],
    ["a date", "when = 1979-05-27\n", 1, "expected a decimal integer for 'when' (digits, an optional sign, '_' between digits, no leading zero), found '1979-05-27'"],
    ["an integer too large", "max = 9223372036854775808\n", 1, "expected an integer for 'max' from -9223372036854775808 to 9223372036854775807, found '9223372036854775808'"],
    ["an integer too small", "max = -9223372036854775809\n", 1, "expected an integer for 'max' from -9223372036854775808 to 9223372036854775807, found '-9223372036854775809'"],
    ["a bare word", "max = seven\n", 1, "expected a value for 'max' (a \"string\", an integer, true, false or a [list] on one line), found 'seven'"],
    ["a long bare word", `max = ${"x".repeat(50)}\n`, 1, `expected a value for 'max' (a "string", an integer, true, false or a [list] on one line), found '${"x".repeat(40)}...'`],
    ["no value", "max =\n", 1, "expected a value for 'max' (a \"string\", an integer, true, false or a [list] on one line), found the end of the line"],
    ["no value at the end", "max = ", 1, "expected a value for 'max' (a \"string\", an integer, true, false or a [list] on one line), found the end of the file"],
    ["a literal string", "name = 'x'\n", 1, "expected a value for 'name' (a \"string\", an integer, true, false or a [list] on one line), found ''x''"],
    ["an inline table", "t = { a = 1 }\n", 1, "expected a value for 't' (a \"string\", an integer, true, false or a [list] on one line), found '{'"],
    ["two values", "max = 1 2\n", 1, "expected the end of the line after the value of 'max', found '2'"],
    ["no equals sign", "[foreground]\nmax 2\n", 2, "expected '=' after the key 'max', found '2'"],
    ["a dotted key", "a.b = 1\n", 1, "expected '=' after the key 'a', found '.'"],
    ["a quoted key", "\"a\" = 1\n", 1, "expected a key, a [table] or a [[table]] header, found '\"'"],
    ["a stray character", "= 1\n", 1, "expected a key, a [table] or a [[table]] header, found '='"],
    ["a non-ASCII key", "é = 1\n", 1, "expected a key, a [table] or a [[table]] header, found a non-ASCII character"],
    ["an unclosed string", "name = \"abc\n", 1, "expected '\"' to close the string of 'name' before the end of the line"],
    ["a string cut at the end", "name = \"abc\\", 1, "expected '\"' to close the string of 'name' before the end of the line"],
    ["a multi-line string", "name = \"\"\"x\"\"\"\n", 1, "expected a string on one line for 'name', found '\"\"\"' (multi-line strings are not read)"],
    ["an unknown escape", "name = \"a\\qb\"\n", 1, "expected an escape (\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX or \\UXXXXXXXX) in the string of 'name', found '\\q'"],
    ["a short \\u escape", "name = \"\\u12\"\n", 1, "expected 4 hex digits after '\\u' in the string of 'name', found '\\u12'"],
    ["a bad \\U escape", "name = \"\\U0001F6G0\"\n", 1, "expected 8 hex digits after '\\U' in the string of 'name', found '\\U0001F6G0'"],
    ["a surrogate escape", "name = \"\\uD800\"\n", 1, "expected a Unicode scalar value in the string of 'name', found '\\uD800'"],
    ["an escape past U+10FFFF", "name = \"\\U00110000\"\n", 1, "expected a Unicode scalar value in the string of 'name', found '\\U00110000'"],
    ["a list over two lines", "programs = [\n\"a\"]\n", 1, "expected ']' to close the list of 'programs' on the same line, found the end of the line"],
    ["a list cut after an item", "programs = [\"a\"", 1, "expected ']' to close the list of 'programs' on the same line, found the end of the file"],
    ["a comment inside a list", "programs = [\"a\", # b\n]\n", 1, "expected ']' to close the list of 'programs' on the same line, found '#'"],
    ["a missing comma", "programs = [\"a\" \"b\"]\n", 1, "expected ',' or ']' after an item in the list of 'programs', found '\"'"],
    ["a nested list", "programs = [[1]]\n", 1, "expected a \"string\" or an integer in the list of 'programs', found '['"],
    ["a boolean in a list", "programs = [true]\n", 1, "expected a \"string\" or an integer in the list of 'programs', found 'true'"],
    ["an empty item", "programs = [1,,2]\n", 1, "expected a \"string\" or an integer in the list of 'programs', found ','"],
    ["a header without a name", "[]\n", 1, "expected a table name (letters, digits, '_' or '-') after '[', found ']'"],
    ["a dotted header", "[a.b]\n", 1, "expected ']' after the table name 'a', found '.'"],
    ["an array header closed once", "[[handlers]\n", 1, "expected ']]' after the table name 'handlers', found the end of the line"],
    ["text after a header", "[system] x\n", 1, "expected the end of the line after the header [system], found 'x'"],
    ["a key set twice", "[foreground]\nmax = 1\nmax = 2\n", 3, "'max' is already defined on line 2; expected each key and table name once"],
    ["a table defined twice", "[foreground]\n[system]\n[foreground]\n", 3, "'foreground' is already defined on line 1; expected each key and table name once"],
    ["a table after a key of that name", "foreground = 1\n[foreground]\n", 2, "'foreground' is already defined on line 1; expected each key and table name once"],
    ["an array after a table of that name", "[handlers]\n[[handlers]]\n", 2, "'handlers' is already defined on line 1; expected each key and table name once"],
    ["a table after an array of that name", "[[handlers]]\n[[handlers]]\n[handlers]\n", 3, "'handlers' is already defined on line 1; expected each key and table name once"],
    ["a control character", "a = 1\nb = \"\u0007\"\n", 2, "expected text without control characters, found byte 0x07"],
    ["a bare carriage return", "a = 1\rb = 2\n", 1, "expected a line feed after a carriage return, found 'b'"],
    ["invalid UTF-8", Uint8Array.from([0x61, 0x3d, 0x22, 0xc3, 0x28, 0x22, 0x0a]), 1, "expected UTF-8 text, found byte 0xc3"],
    ["an overlong encoding", Uint8Array.from([0x0a, 0x23, 0xe0, 0x80, 0xaf]), 2, "expected UTF-8 text, found byte 0xe0"],
    ["an encoded surrogate", Uint8Array.from([0x23, 0xed, 0xa0, 0x80]), 1, "expected UTF-8 text, found byte 0xed"],
    ["a cut UTF-8 sequence", Uint8Array.from([0x23, 0xf0, 0x9f, 0x98]), 1, "expected UTF-8 text, found byte 0xf0"],
  ];
  let kernel: KernelUnderTest;
  beforeAll(async () => {
    kernel = await start();
  });
  for (const [title, text, line, message] of cases) {
    test(title, () => {
      const read = readToml(kernel, text);
      expect(read.error).toBe(message);
      expect(read.line).toBe(line);
    });
  }

  const configCases: Array<[string, string, string]> = [
    ["max as a word", "[foreground]\n\n\n\n\n\nmax = \"seven\"\n", "/etc/system.toml:7: foreground.max: expected an integer from 1 to 4, found \"seven\""],
    ["max zero", "[foreground]\nmax = 0\n", "/etc/system.toml:2: foreground.max: expected an integer from 1 to 4, found 0"],
    ["max five", "[foreground]\nmax = 5\n", "/etc/system.toml:2: foreground.max: expected an integer from 1 to 4, found 5"],
    ["max negative", "[foreground]\nmax = -1\n", "/etc/system.toml:2: foreground.max: expected an integer from 1 to 4, found -1"],
    ["max huge", "[foreground]\nmax = 4294967297\n", "/etc/system.toml:2: foreground.max: expected an integer from 1 to 4, found 4294967297"],
    ["max a boolean", "[foreground]\nmax = true\n", "/etc/system.toml:2: foreground.max: expected an integer from 1 to 4, found true"],
    ["max a list", "[foreground]\nmax = [2]\n", "/etc/system.toml:2: foreground.max: expected an integer from 1 to 4, found a list"],
    ["programs a string", "[foreground]\nprograms = \"shell\"\n", "/etc/system.toml:2: foreground.programs: expected a list of strings, found \"shell\""],
    ["programs holding an integer", "[foreground]\nprograms = [\"shell\", 7]\n", "/etc/system.toml:2: foreground.programs: expected a list of strings, found a list holding 7"],
    ["more programs than max", "[foreground]\nmax = 2\nprograms = [\"a\", \"b\", \"c\"]\n",
      "/etc/system.toml:3: foreground.programs: expected at most 2 (foreground.max, one per virtual console), found 3 programs"],
    ["more programs than the default max", "[foreground]\nprograms = [\"a\", \"b\"]\n",
      "/etc/system.toml:2: foreground.programs: expected at most 1 (foreground.max, one per virtual console), found 2 programs"],
    ["foreground a value", "foreground = 2\n", "/etc/system.toml:1: foreground: expected a table [foreground], found 2"],
    ["foreground an array of tables", "[[foreground]]\nmax = 2\n", "/etc/system.toml:1: foreground: expected a table [foreground], found [[foreground]]"],
    ["a syntax error elsewhere", "[foreground]\nmax = 2\n[network]\naddress = 10.0.0.2\n",
      "/etc/system.toml:4: expected a decimal integer for 'address' (digits, an optional sign, '_' between digits, no leading zero), found '10.0.0.2'"],
  ];
  for (const [title, text, message] of configCases) {
    test(`config: ${title}`, async () => expect(await readConfig(text)).toEqual({ ...DEFAULTS, error: message }));
  }

  test("config: a file larger than SYSTEM_CONFIG_MAX_BYTES is refused before it is copied", async () => {
    const kernel = await start();
    kernel.kernel.configRead(BigInt(BASE), 65537);
    expect(configResult(kernel)).toEqual({ ...DEFAULTS, error: "/etc/system.toml: 65537 bytes, expected at most 65536 (SYSTEM_CONFIG_MAX_BYTES)" });
    kernel.kernel.configRead(0xffffff00n, 512);
    expect(configResult(kernel)).toEqual({ ...DEFAULTS, error: "/etc/system.toml: 512 bytes at 0xffffff00, expected them inside the identity-mapped first 4 GiB" });
  });
});

describe("robustness", () => {
  /** A small deterministic generator (xorshift32), so a failure repeats. */
  function random(seed: number): () => number {
    let state = seed >>> 0 || 1;
    return () => {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state;
    };
  }

  /**
   * Reads each input with the TOML reader and as a system config from physical memory,
   * restarting the kernel before its never-freeing heap fills; fails on any trap.
   */
  async function readAll(inputs: Iterable<Uint8Array>): Promise<number> {
    let kernel = await start();
    let errors = 0;
    for (const bytes of inputs) {
      if (kernel.kernel.memory.buffer.byteLength > 1 << 20) kernel = await start();
      let line: number;
      try {
        line = kernel.kernel.tomlRead(kernel.input(bytes));
        kernel.machine.writePhysical(BASE, bytes);
        kernel.kernel.configRead(BigInt(BASE), bytes.length);
      } catch (error) {
        const shown = Buffer.from(bytes).toString("base64");
        throw new Error(`the reader trapped (${error instanceof KernelAbort ? "abort" : String(error)}) on base64 ${shown}`);
      }
      const error = outputText(kernel, kernel.kernel.tomlError());
      const config = configResult(kernel);
      if (error !== "") expect(config).toEqual({ ...DEFAULTS, error: `/etc/system.toml:${line}: ${error}` });
      const lines = bytes.filter((byte) => byte === 0x0a).length + 1;
      if (error === "") expect(line).toBe(0);
      else {
        errors++;
        expect(line).toBeGreaterThanOrEqual(1);
        expect(line).toBeLessThanOrEqual(lines);
      }
    }
    return errors;
  }

  test("every truncation of the rendered default system reads or fails cleanly", async () => {
    const bytes = encoder.encode(defaultToml);
    const truncations = Array.from({ length: bytes.length + 1 }, (_, length) => bytes.subarray(0, length));
    await readAll(truncations);
  });

  test("random bytes, and random mutations of the rendered file, never trap", async () => {
    const next = random(0x5eed);
    const base = encoder.encode(defaultToml);
    const alphabet = encoder.encode("[]=\"\\#,_-+.0123456789 \t\r\nutfalseU{}'é");
    const inputs: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) inputs.push(Uint8Array.from({ length: next() % 200 }, () => next() & 0xff));
    for (let i = 0; i < 300; i++) inputs.push(Uint8Array.from({ length: next() % 120 }, () => alphabet[next() % alphabet.length]));
    for (let i = 0; i < 400; i++) {
      const mutated = base.slice(0, next() % (base.length + 1));
      for (let edits = next() % 4; edits >= 0; edits--) {
        if (mutated.length > 0) mutated[next() % mutated.length] = next() % 3 === 0 ? next() & 0xff : alphabet[next() % alphabet.length];
      }
      inputs.push(mutated);
    }
    const errors = await readAll(inputs);
    expect(errors).toBeGreaterThan(300);
  });

  test("reading the default system's file takes modest memory", async () => {
    const bytes = encoder.encode(defaultToml);
    const kernel = await startKernel((machine) => machine.writePhysical(BASE, bytes), "config_under_test");
    const allocated = Number(kernel.kernel.configAllocatedBytes(BigInt(BASE), bytes.length));
    expect(configResult(kernel).error).toBe("");
    expect(allocated).toBeGreaterThan(bytes.length);
    // The copy of the file, then a few small objects and two short strings per key: about 11 times the file today.
    expect(allocated).toBeLessThan(bytes.length * 16);
  });
});
