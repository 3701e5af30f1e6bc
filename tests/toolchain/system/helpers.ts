// Temporary folders of system.toml files for the config tests, and a loader that returns the error text.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadSystem, type LoadedSystem } from "../../../toolchain/src/system/load.ts";

/** Writes `files` (relative path → text) into a new temporary folder and returns it. */
export function writeFiles(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), "optios-system-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
  return folder;
}

export async function load(folder: string, file = "system.toml"): Promise<LoadedSystem> {
  return loadSystem(join(folder, file), { root: folder });
}

/** The SystemConfigError message for `files`, with paths relative to their folder. */
export async function errorOf(files: Record<string, string>, file = "system.toml"): Promise<string> {
  const folder = writeFiles(files);
  try {
    await load(folder, file);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the configuration to be rejected");
}

export const SYSTEM = `[system]\nhostname = "box"\nversion = "1.0"\n`;
