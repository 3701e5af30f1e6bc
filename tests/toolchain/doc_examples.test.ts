// Every ```toml and ```ts example in README.md and docs/*.md is loaded, compiled or run, so none can go stale.
//
// How a block is checked (docs/testing.md, "Examples in the documentation"):
//   no marker, toml      it loads as a system, placed at systems/<example>/system.toml of a copy
//                        of the project (a module — only [[handlers]]/[[programs]] — is loaded
//                        as a system that includes systems/modules/base.toml and it)
//   no marker, ts        AssemblyScript (it imports "optios"): compiled as the build compiles
//                        a handler, or a program when it exports main(); otherwise toolchain
//                        TypeScript, which must parse (esbuild)
//   <!-- example: PATH -->              the block is the file PATH, byte for byte
//   <!-- example: fragment of PATH -->  its lines, comments and blank lines aside, appear in PATH in order
//   <!-- example: declares the module above -->  toml: the last ts block before it is placed at
//                        the source the entry names, the system loads, and the module builds
//                        with the capabilities shown (asc, then the build's import check)
//   <!-- example: test of the handler above -->  ts: a harness test of the last ts block before
//                        it: both are written to a handler folder and the test is run
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { transform } from "esbuild";
import { parse } from "smol-toml";
import { afterAll, describe, expect, it } from "vitest";
import { checkImports } from "../../toolchain/src/build/handlers.ts";
import { compileModule } from "../../toolchain/src/harness/compile.ts";
import { toolchainRepository } from "../../toolchain/src/project.ts";
import { loadSystem } from "../../toolchain/src/system/load.ts";

interface Example {
  file: string;
  line: number;
  language: "toml" | "ts";
  text: string;
  marker: string | null;
}

/** The fenced toml and ts blocks of a Markdown file, each with the marker comment on the line before it. */
export function examplesOf(file: string, markdown: string): Example[] {
  const examples: Example[] = [];
  const lines = markdown.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const fence = /^```(toml|ts|typescript)\s*$/.exec(lines[index]);
    if (!fence) {
      if (lines[index].startsWith("```")) index = lines.findIndex((line, after) => after > index && line.startsWith("```"));
      if (index < 0) break;
      continue;
    }
    const end = lines.findIndex((line, after) => after > index && line.startsWith("```"));
    if (end < 0) throw new Error(`${file}:${index + 1}: a \`\`\` block that never ends`);
    const before = lines.slice(0, index).reverse().find((line) => line.trim() !== "") ?? "";
    const marker = /^<!--\s*example:\s*(.*?)\s*-->$/.exec(before.trim())?.[1] ?? null;
    examples.push({ file, line: index + 1, language: fence[1] === "toml" ? "toml" : "ts", text: lines.slice(index + 1, end).join("\n") + "\n", marker });
    index = end;
  }
  return examples;
}

const documents = ["README.md", ...readdirSync(join(toolchainRepository, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)];
const examples = documents.flatMap((file) => examplesOf(file, readFileSync(join(toolchainRepository, file), "utf8")));

/** A copy of the project to place examples in: sources linked, systems/, handlers/ and programs/ real folders. */
const root = mkdtempSync(join(tmpdir(), "optios-doc-examples-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
for (const entry of ["node_modules", "toolchain", "interface", "asconfig.json", "vitest.config.ts"]) symlinkSync(join(toolchainRepository, entry), join(root, entry));
for (const folder of ["handlers", "programs", "systems"]) {
  mkdirSync(join(root, folder));
  for (const entry of readdirSync(join(toolchainRepository, folder))) symlinkSync(join(toolchainRepository, folder, entry), join(root, folder, entry));
}

/** The lines that carry content: TOML or TypeScript comments and blank lines dropped, whitespace trimmed. */
function contentLines(text: string): string[] {
  return text.split("\n").map((line) => line.replace(/\s*(#|\/\/)(?=(?:[^"]*"[^"]*")*[^"]*$).*$/, "").trim()).filter(Boolean);
}

/** Whether every line of `fragment` appears in `whole`, in the same order. */
function containedInOrder(fragment: string[], whole: string[]): string | null {
  let position = 0;
  for (const line of fragment) {
    const found = whole.indexOf(line, position);
    if (found < 0) return line;
    position = found + 1;
  }
  return null;
}

/** Markers that say how to check a block (any other marker names the file the block is). */
const instructions = ["declares the module above", "test of the handler above"];

/** The last ts block before example `index` in the same file. */
const previousTypeScript = (index: number) =>
  examples.slice(0, index).reverse().find((candidate) => candidate.language === "ts" && candidate.file === examples[index].file);
const where = (example: Example) => `${example.file}:${example.line}`;
const placeName = (example: Example) => `doc-${example.file.replace(/\W+/g, "-").toLowerCase()}-${example.line}`;

async function checkToml(example: Example, previous: Example | undefined): Promise<void> {
  const folder = join(root, "systems", placeName(example));
  mkdirSync(folder, { recursive: true });
  const isModule = !/^\s*(\[system\]|\[foreground\]|include\s*=)/m.test(example.text);
  const file = join(folder, isModule ? "module.toml" : "system.toml");
  writeFileSync(file, example.text);
  if (isModule) writeFileSync(join(folder, "system.toml"), `include = ["../modules/base.toml", "module.toml"]\n[system]\nhostname = "example"\n`);
  const declared = parse(example.text) as { handlers?: ModuleEntry[]; programs?: ModuleEntry[] };
  const entries = [...(declared.handlers ?? []).map((entry) => ({ ...entry, kind: "handler" as const })),
    ...(declared.programs ?? []).map((entry) => ({ ...entry, kind: "program" as const }))];
  if (example.marker === "declares the module above") {
    if (!previous) throw new Error(`${where(example)}: "declares the module above", but no ts block comes before it`);
    for (const entry of entries) placeSource(resolve(folder, entry.source ?? ""), previous.text);
  }
  const { config } = await loadSystem(join(folder, "system.toml"), { root });
  if (example.marker !== "declares the module above") return;
  // Built as the build would: compiled, and every call it imports allowed by the capabilities shown.
  for (const entry of entries) {
    const loaded = [...config.handlers, ...config.programs].find((candidate) => candidate.name === entry.name)!;
    const compiled = await compileModule(resolve(folder, loaded.source), loaded.memoryBytes, root);
    checkImports(compiled.built, { kind: entry.kind, name: loaded.name, capabilities: loaded.capabilities, declaredAt: where(example) });
  }
}

interface ModuleEntry {
  name?: string;
  source?: string;
}

/** Writes `text` at `path` in the copy, replacing the link to the repository's module folder by a real one. */
function placeSource(path: string, text: string): void {
  const folder = dirname(path);
  if (existsSync(folder) && lstatSync(folder).isSymbolicLink()) unlinkSync(folder);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path, text);
}

async function checkTypeScript(example: Example, previous: Example | undefined): Promise<void> {
  if (example.marker === "test of the handler above") {
    if (!previous) throw new Error(`${where(example)}: "test of the handler above", but no ts block comes before it`);
    const folder = join(root, "handlers", placeName(example));
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "handler.ts"), previous.text);
    writeFileSync(join(folder, "handler.test.ts"), example.text);
    const run = spawnSync(process.execPath, [join(toolchainRepository, "node_modules/vitest/vitest.mjs"), "run", "--root", root, "--project", "modules", `handlers/${placeName(example)}/`],
      { cwd: root, encoding: "utf8", env: { ...process.env, CI: "true", NO_COLOR: "1" } });
    if (run.status !== 0) throw new Error(`${where(example)}: the test failed:\n${run.stdout}${run.stderr}`);
    return;
  }
  if (!/from "optios"/.test(example.text)) {
    await transform(example.text, { loader: "ts" }).catch((error: Error) => { throw new Error(`${where(example)}: does not parse: ${error.message}`); });
    return;
  }
  const kind = /export function main\(/.test(example.text) ? "programs" : "handlers";
  const folder = join(root, kind, placeName(example));
  mkdirSync(folder, { recursive: true });
  const source = join(folder, kind === "programs" ? "program.ts" : "handler.ts");
  writeFileSync(source, example.text);
  await compileModule(source, 1024 * 1024, root).catch((error: Error) => { throw new Error(`${where(example)}: ${error.message}`); });
}

describe("examples in README.md and docs/", () => {
  it("finds the blocks, with their markers", () => {
    expect(examples.length).toBeGreaterThan(5);
    expect(examplesOf("x.md", "<!-- example: fragment of a.toml -->\n```toml\na = 1\n```\n```sh\nls\n```\n```ts\nlet b = 2;\n```\n")).toEqual([
      { file: "x.md", line: 2, language: "toml", text: "a = 1\n", marker: "fragment of a.toml" },
      { file: "x.md", line: 8, language: "ts", text: "let b = 2;\n", marker: null },
    ]);
    expect(containedInOrder(contentLines('a = 1   # one\n\nb = "#2"\n'), ["x", "a = 1", 'b = "#2"'])).toBeNull();
    expect(containedInOrder(["b = 2", "a = 1"], ["a = 1", "b = 2"])).toBe("a = 1");
  });

  for (const [index, example] of examples.entries()) {
    it(`${where(example)} (${example.language}${example.marker ? `, ${example.marker}` : ""})`, async () => {
      const marker = example.marker;
      const whole = marker && !marker.startsWith("fragment of ") && !instructions.includes(marker) ? marker : null;
      if (whole !== null) {
        expect(example.text, `${where(example)} should be ${whole} byte for byte`).toBe(readFileSync(join(toolchainRepository, whole), "utf8"));
      } else if (marker?.startsWith("fragment of ")) {
        const path = marker.slice("fragment of ".length);
        const missing = containedInOrder(contentLines(example.text), contentLines(readFileSync(join(toolchainRepository, path), "utf8")));
        expect(missing, `${where(example)}: this line is not in ${path} (or not in this order)`).toBeNull();
      } else if (example.language === "toml") {
        await checkToml(example, previousTypeScript(index));
      } else {
        await checkTypeScript(example, previousTypeScript(index));
      }
    }, 60_000);
  }
});
