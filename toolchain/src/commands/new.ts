// `optios new handler|program <name>`: scaffolds a handler or program with a test and a README.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { NAME_FORM, NAME_PATTERN } from "../system/schema.ts";
import { guarded, parseOptions, type Command } from "./command.ts";

const help = `usage: optios new handler|program <name> [--root DIR]

Creates handlers/<name>/ (or programs/<name>/) with a source file, a test that compiles it
with asc and runs it against a fake kernel, and a README. Add the handler to a system.toml
with [[handlers]] name = "<name>", source = "<path to handler.ts>", version = "1" and a trigger.

options:
  --root DIR         project root (default: the working directory)
  -h, --help         show this help`;

function handlerSource(name: string): string {
  return `// ${name}: <one line saying what this handler does>.
import { Event, log, on } from "optios";
export { handle } from "optios";

/** Change this when the state below changes shape: a new version starts from fresh state. */
export const version = "1";

let runs: u32 = 0;

on((event: Event): void => {
  runs++;
  log("${name}: run " + runs.toString());
});
`;
}

function handlerTest(name: string): string {
  return `// ${name}: compiles the handler as the toolchain does and runs it against a fake kernel.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import asc from "assemblyscript/asc";
import { expect, it } from "vitest";

const folder = import.meta.dirname;

it("logs its run count, which persists between runs", async () => {
  let binary: Uint8Array | undefined;
  const { error, stderr } = await asc.main(
    [join(folder, "handler.ts"), "--lib", join(folder, "../api"), "--noUnsafe", "--runtime", "incremental", "--outFile", "handler.wasm"],
    { writeFile: (file: string, contents: Uint8Array) => { if (file.endsWith(".wasm")) binary = contents; } },
  );
  expect(error, stderr.toString()).toBeNull();
  const lines: string[] = [];
  let memory: WebAssembly.Memory | undefined;
  const text = (address: number, length: number) => new TextDecoder().decode(new Uint8Array(memory!.buffer, address, length));
  const { instance } = await WebAssembly.instantiate(binary!, {
    env: { abort: () => { throw new Error("abort"); } },
    // Every call returns an i64 (a BigInt here): a value >= 0, or an error code (interface/optios.ts).
    optios: { log: (level: number, address: number, length: number) => (lines.push(text(address, length)), 0n), time: () => 0n, random: () => 4n, emit: () => 1n, payload: () => 0n, status: () => -1n },
  });
  memory = instance.exports.memory as WebAssembly.Memory;
  const handle = instance.exports.handle as (kind: number, source: number, name: number, timestamp: bigint, payloadLength: number) => void;
  handle(1, 0, 0, 0n, 0);
  handle(2, 0, 0, 1000n, 0);
  expect(lines).toEqual(["${name}: run 1", "${name}: run 2"]);
  expect(readFileSync(join(folder, "handler.ts"), "utf8")).toContain("export const version");
});
`;
}

function programTest(name: string): string {
  return `// ${name}: compiles the program as the toolchain does and runs its main() against a fake kernel.
import { join } from "node:path";
import asc from "assemblyscript/asc";
import { expect, it } from "vitest";

const folder = import.meta.dirname;

it("answers each line it reads, and ends on an empty one", async () => {
  let binary: Uint8Array | undefined;
  const { error, stderr } = await asc.main(
    [join(folder, "program.ts"), "--lib", join(folder, "../../handlers/api"), "--noUnsafe", "--runtime", "incremental", "--outFile", "program.wasm"],
    { writeFile: (file: string, contents: Uint8Array) => { if (file.endsWith(".wasm")) binary = contents; } },
  );
  expect(error, stderr.toString()).toBeNull();
  const typed = ["hello", "world", ""];
  const printed: string[] = [];
  let memory: WebAssembly.Memory | undefined;
  const bytes = () => new Uint8Array(memory!.buffer);
  const { instance } = await WebAssembly.instantiate(binary!, {
    env: { abort: () => { throw new Error("abort"); } },
    // Every call returns an i64 (a BigInt here): a value >= 0, or an error code (interface/optios.ts).
    optios: {
      write: (address: number, length: number) => (printed.push(new TextDecoder().decode(bytes().slice(address, address + length))), BigInt(length)),
      read_line: (destination: number, capacity: number) => {
        const line = new TextEncoder().encode(typed.shift() ?? "").slice(0, capacity);
        bytes().set(line, destination);
        return BigInt(line.length);
      },
      log: () => 0n, time: () => 0n, random: () => 4n,
    },
  });
  memory = instance.exports.memory as WebAssembly.Memory;
  (instance.exports.main as () => void)();
  expect(printed.join("")).toBe("${name}: type a line, or an empty one to end\\n${name}: hello\\n${name}: world\\n");
});
`;
}

function readme(kind: string, name: string, file: string): string {
  return `# ${name}

A ${kind} for OptiOS, scaffolded by \`optios new ${kind} ${name}\`.

- \`${file}\`: the source. The API is handlers/api/optios.ts (docs/handlers.md, docs/programs.md).
- \`${file.replace(".ts", ".test.ts")}\`: compiles the source with asc and runs it against a fake kernel.
  Run it with \`npx vitest run ${kind}s/${name}\` (\`make test\` runs it too).
${kind === "handler" ? `
Declare it in a system.toml (see docs/system-config.md):

\`\`\`toml
[[handlers]]
name = "${name}"
source = "../../handlers/${name}/handler.ts"   # relative to the system.toml
version = "1"
every = "1s"
capabilities = []        # what it may do beyond log, time and random, e.g. ["emit:door.*"] (docs/gate.md)
\`\`\`
` : `
Declare it in a system.toml (see docs/system-config.md); it is built into the boot
filesystem's /bin. Every running program has a console of its own, so the shell's
\`run ${name}\` starts it beside the shell only when \`[foreground] max\` is 2 or more
(or list it in \`[foreground] programs\` to start it at boot):

\`\`\`toml
[foreground]
max = 2                  # the shell and this program at once

[[programs]]
name = "${name}"
source = "../../programs/${name}/program.ts"   # relative to the system.toml
capabilities = []        # its console, log, time and random need none; see docs/gate.md
\`\`\`
`}`;
}

function programSource(name: string): string {
  return `// ${name}: <one line saying what this program does>.
// A foreground program: main() runs on its own console until it returns (docs/programs.md).
import { print, readLine } from "optios";

export function main(): void {
  print("${name}: type a line, or an empty one to end\\n");
  while (true) {
    const line = readLine();
    if (line.length == 0) return;
    print("${name}: " + line + "\\n");
  }
}
`;
}

export const newCommand: Command = {
  name: "new",
  summary: "scaffold a handler or program with a test",
  help,
  run: (argv) => guarded("new", async () => {
    const parsed = parseOptions(argv, { root: { type: "string" }, help: { type: "boolean", short: "h" } }, help);
    if (parsed === null) return 0;
    const [kind, name, ...rest] = parsed.positionals;
    if ((kind !== "handler" && kind !== "program") || name === undefined || rest.length > 0) throw new Error("expected: new handler|program <name>");
    if (!NAME_PATTERN.test(name)) throw new Error(`name '${name}': expected ${NAME_FORM}`);
    const folder = join(resolve(parsed.values.root ?? "."), `${kind}s`, name);
    if (existsSync(folder)) throw new Error(`${folder} already exists; choose another name or remove it`);
    const file = kind === "handler" ? "handler.ts" : "program.ts";
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, file), kind === "handler" ? handlerSource(name) : programSource(name));
    await writeFile(join(folder, file.replace(".ts", ".test.ts")), kind === "handler" ? handlerTest(name) : programTest(name));
    await writeFile(join(folder, "README.md"), readme(kind, name, file));
    process.stdout.write(`created ${kind}s/${name}/: ${file}, ${file.replace(".ts", ".test.ts")}, README.md\n`);
    return 0;
  }),
};
