// `optios test [name]`: runs the tests beside handlers and programs on the host harness (vitest), all or one module's.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { toolchainRepository } from "../project.ts";
import { guarded, parseOptions, type Command } from "./command.ts";

const help = `usage: optios test [name] [--root DIR]

Runs the tests that live beside handlers and programs (handlers/<name>/*.test.ts,
programs/<name>/*.test.ts) with vitest. They compile each module as the build does and
drive it through the host harness (toolchain/src/harness/, docs/testing.md): no ISO, no QEMU.
With a name, only that handler's or program's tests run.

options:
  --root DIR         project root (default: the working directory)
  -h, --help         show this help`;

/** The folders whose tests run: handlers/<name> and programs/<name> that exist, or both kinds' folders. */
export function testFolders(root: string, name: string | undefined): string[] {
  const kinds = ["handlers", "programs"];
  if (name === undefined) return kinds.filter((kind) => existsSync(join(root, kind))).map((kind) => `${kind}/`);
  const found = kinds.map((kind) => `${kind}/${name}/`).filter((folder) => existsSync(join(root, folder)));
  if (found.length === 0) throw new Error(`no handler or program called '${name}' (looked for handlers/${name}/ and programs/${name}/ in ${root})`);
  return found;
}

/** vitest's arguments: the project's "modules" project when its config declares one, else vitest's defaults limited to the folders. */
export function vitestArguments(root: string, folders: string[]): string[] {
  const config = ["vitest.config.ts", "vitest.config.js", "vitest.config.mjs"].find((file) => existsSync(join(root, file)));
  return ["run", "--root", root, ...(config ? ["--project", "modules"] : []), "--passWithNoTests", ...folders];
}

export const testCommand: Command = {
  name: "test",
  summary: "run the handler and program tests on the host harness",
  help,
  run: (argv) => guarded("test", async () => {
    const parsed = parseOptions(argv, { root: { type: "string" }, help: { type: "boolean", short: "h" } }, help);
    if (parsed === null) return 0;
    const [name, ...rest] = parsed.positionals;
    if (rest.length > 0) throw new Error(`expected at most one name, got ${parsed.positionals.join(" ")}`);
    const root = resolve(parsed.values.root ?? ".");
    const folders = testFolders(root, name);
    const vitest = join(toolchainRepository, "node_modules", "vitest", "vitest.mjs");
    const child = spawn(process.execPath, [vitest, ...vitestArguments(root, folders)], { cwd: root, stdio: "inherit" });
    return new Promise<number>((done, fail) => {
      child.on("error", fail);
      child.on("close", (status) => done(status ?? 1));
    });
  }),
};
