// Temporary stores for the store tests; each test gets its own folder.
import { spawn } from "node:child_process";
import { afterAll } from "vitest";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store, type EntryFile } from "../../../toolchain/src/store/store.ts";
import type { SystemConfig } from "../../../toolchain/src/system/schema.ts";
import { canonicalJson } from "../../../toolchain/src/system/canonical.ts";
import { toolchainRepository } from "../../../toolchain/src/project.ts";
import { createScratchRoot, type ScratchBuild } from "../../../toolchain/src/build/scratch.ts";

/** Folders made by temporaryStore in this test file, removed after its last test. */
const temporaryFolders: string[] = [];
afterAll(() => {
  for (const folder of temporaryFolders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

export async function temporaryStore(): Promise<Store> {
  const folder = mkdtempSync(join(tmpdir(), "optios-store-"));
  temporaryFolders.push(folder);
  return Store.open(join(folder, "store"));
}

export function textFiles(files: Record<string, string>): EntryFile[] {
  return Object.entries(files).map(([path, content]) => ({ path, content }));
}

export function systemWith(version: string, handlerVersion = "1"): { config: SystemConfig; canonicalJson: string } {
  const config: SystemConfig = {
    system: { hostname: "box", version, keepGenerations: 5, deploy: false },
    foreground: { max: 1, programs: [] },
    handlers: [{
      name: "heartbeat", source: "heartbeat.ts", version: handlerVersion,
      triggers: { everyNanoseconds: 250_000_000, afterNanoseconds: null, events: [], boot: true },
      budgetNanoseconds: 10_000_000, memoryBytes: 1_048_576, capabilities: [],
    }],
    network: {},
  };
  return { config, canonicalJson: canonicalJson(config) };
}

/** What a real `optios` process did: its exit status (null when killed), the signal, its output. */
export interface OptiosRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `optios` command (toolchain/bin/optios.js) as its own process, never
 * rejecting: tests look at the status. `environment` is added to this process's own;
 * `killAfterMilliseconds` sends SIGKILL that long after the start.
 */
export function runOptios(argv: readonly string[], options: { environment?: Record<string, string>; killAfterMilliseconds?: number } = {}): Promise<OptiosRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(toolchainRepository, "toolchain", "bin", "optios.js"), ...argv], {
      cwd: toolchainRepository, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.environment },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = options.killAfterMilliseconds === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), options.killAfterMilliseconds);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** A scratch project root (build/ copied, so only what changes is built) with its own copies of `folders`, to edit. */
export function scratchWithOwnCopies(folders: readonly string[]): ScratchBuild {
  const scratch = createScratchRoot();
  for (const folder of folders) {
    rmSync(join(scratch.root, folder));
    cpSync(join(toolchainRepository, folder), join(scratch.root, folder), { recursive: true });
  }
  return scratch;
}

/** Gives the default system another hostname: a new system.json and initrd, so a new generation. */
export function setHostname(root: string, hostname: string): void {
  const file = join(root, "systems", "default", "system.toml");
  writeFileSync(file, readFileSync(file, "utf8").replace(/^hostname = ".*"$/m, `hostname = "${hostname}"`));
}
