// Builds another system (tests, bench) in a scratch project root, leaving build/ untouched.
//
// The scratch root symlinks this repository's sources and starts from a copy of build/, so
// the kernel steps are already up to date (stamps hash contents, not paths) and only the
// system's handler modules and the ISO are built.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { paths, toolchainRepository } from "../project.ts";

const SOURCES = ["kernel", "boot", "iso", "handlers", "systems", "tests", "toolchain", "asconfig.json", "package.json"];

export interface ScratchBuild {
  root: string;
  iso: string;
  remove(): void;
}

/** Builds `systemFile` (relative to the repository) with `kernelArguments`; throws with the build's output on failure. */
export function buildSystemInScratch(systemFile: string, kernelArguments: string, timeoutMilliseconds: number): ScratchBuild {
  const root = mkdtempSync(join(tmpdir(), "optios-system-"));
  const remove = () => rmSync(root, { recursive: true, force: true });
  for (const entry of SOURCES) symlinkSync(join(toolchainRepository, entry), join(root, entry));
  const build = join(toolchainRepository, paths.build);
  if (existsSync(build)) cpSync(build, join(root, paths.build), { recursive: true });
  const result = spawnSync(
    "npx",
    ["tsx", "toolchain/src/cli.ts", "build", "--root", root, "--system", systemFile, "--kernel-arguments", kernelArguments],
    { cwd: toolchainRepository, encoding: "utf8", timeout: timeoutMilliseconds },
  );
  if (result.status !== 0) {
    remove();
    throw new Error(`building ${systemFile} failed (${result.error?.message ?? `status ${result.status}`}):\n${result.stdout}${result.stderr}`);
  }
  return { root, iso: join(root, paths.iso), remove };
}
