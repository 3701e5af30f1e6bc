// Builds another system (tests, bench) in a scratch project root, leaving build/ untouched.
//
// The scratch root symlinks this repository's sources and starts from a copy of build/, so
// the kernel steps are already up to date (stamps hash contents, not paths) and only the
// system's handler modules and the ISO are built. It has its own store (<root>/store), so
// its generations are its own; a test may build several times in one root and run store
// commands there (runInScratch).
import { spawn } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { paths, toolchainRepository } from "../project.ts";

// node_modules too: commands name node_modules/.bin/asc relative to the root, so the stamps
// copied from build/ match and the kernel and modules are not compiled again.
const SOURCES = ["interface", "kernel", "boot", "iso", "handlers", "programs", "services", "systems", "tests", "toolchain", "node_modules", "asconfig.json",
  "package.json"];

export interface ScratchBuild {
  root: string;
  iso: string;
  remove(): void;
}

/** A fresh scratch root: the repository's sources symlinked, a copy of build/ (unless `clean`), no store yet. */
export function createScratchRoot(options: { clean?: boolean } = {}): ScratchBuild {
  const root = mkdtempSync(join(tmpdir(), "optios-system-"));
  for (const entry of SOURCES) symlinkSync(join(toolchainRepository, entry), join(root, entry));
  const build = join(toolchainRepository, paths.build);
  // Only files and folders: a socket a killed `make run` left there (the deploy port's) cannot be copied, and is nobody's.
  if (existsSync(build) && options.clean !== true) {
    cpSync(build, join(root, paths.build), { recursive: true, filter: (source) => !lstatSync(source).isSocket() });
  }
  return { root, iso: join(root, paths.iso), remove: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Runs `optios <argv>` from the repository (where tsx resolves) and resolves with its output;
 * rejects with the output on failure. Store commands need `--store` + scratchStore(scratch).
 * Asynchronous on purpose: a build takes minutes, and a blocked test worker loses contact
 * with its test runner.
 */
export function runInScratch(scratch: ScratchBuild, argv: readonly string[], timeoutMilliseconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["toolchain/bin/optios.js", ...argv], {
      cwd: toolchainRepository, stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let errors = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (errors += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMilliseconds);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`optios ${argv.join(" ")} could not start: ${error.message}`));
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      if (status === 0) resolve(output);
      else reject(new Error(`optios ${argv.join(" ")} in ${scratch.root} failed (${signal ? `killed by ${signal}` : `status ${status}`}):\n${output}${errors}`));
    });
  });
}

/** The scratch root's own store, where its builds record their generations. */
export function scratchStore(scratch: ScratchBuild): string {
  return join(scratch.root, "store");
}

/** How a scratch build differs from `optios build`'s defaults. */
export interface ScratchBuildOptions {
  /** The test kernel (`--test-kernel`: test=selftest and test=bench built in) instead of the shipped one. */
  testKernel?: boolean;
}

/** Builds `systemFile` (relative to the root) into the scratch root: a new generation in its store if anything changed. */
export function buildInScratch(scratch: ScratchBuild, systemFile: string, kernelArguments: string, timeoutMilliseconds: number,
  options: ScratchBuildOptions = {}): Promise<string> {
  return runInScratch(scratch, ["build", "--root", scratch.root, "--system", systemFile, "--kernel-arguments", kernelArguments,
    ...(options.testKernel ? ["--test-kernel"] : [])], timeoutMilliseconds);
}

/** Builds `systemFile` (relative to the repository) with `kernelArguments`; throws with the build's output on failure. */
export async function buildSystemInScratch(systemFile: string, kernelArguments: string, timeoutMilliseconds: number,
  options: ScratchBuildOptions = {}): Promise<ScratchBuild> {
  const scratch = createScratchRoot();
  try {
    await buildInScratch(scratch, systemFile, kernelArguments, timeoutMilliseconds, options);
  } catch (error) {
    scratch.remove();
    throw new Error(`building ${systemFile} failed: ${(error as Error).message}`);
  }
  return scratch;
}
