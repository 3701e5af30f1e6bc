// Stamps: a hash of everything a task's outputs depend on, so unchanged work is skipped.
//
// A task is up to date when build/stamps/<key>.stamp holds the hash of its current inputs
// (file contents, command lines, tool versions, generated text) and every output exists.
// The stamp is removed before a task runs and written only after it succeeds, so a failed
// or interrupted run can never leave a half-written output that looks current.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { paths } from "../project.ts";

/** Bumped when the hashing scheme changes, which invalidates every stamp. */
const stampFormat = "optios-stamp-1";

export interface TaskInputs {
  /** Input files, relative to the project root or absolute; their contents are hashed. */
  files: readonly string[];
  /** Every command line the task runs. */
  commands: readonly (readonly string[])[];
  /** `--version` lines of the tools it runs. */
  tools: readonly string[];
  /** Anything else the outputs depend on: generated file text, settings. */
  values?: readonly string[];
}

/** The hash of a task's inputs; a missing input file is an error naming the task and the file. */
export function hashInputs(root: string, key: string, inputs: TaskInputs): string {
  const hash = createHash("sha256");
  const field = (label: string, text: string) => hash.update(`${label}\0${text.length}\0${text}\0`);
  field("format", stampFormat);
  field("key", key);
  for (const command of inputs.commands) field("command", command.join("\0"));
  for (const tool of inputs.tools) field("tool", tool);
  for (const value of inputs.values ?? []) field("value", value);
  for (const file of [...inputs.files].sort()) {
    const absolute = resolve(root, file);
    if (!existsSync(absolute)) throw new Error(`${key}: input file ${file} does not exist`);
    field("file", file);
    hash.update(readFileSync(absolute));
  }
  return hash.digest("hex");
}

export function stampPath(root: string, key: string): string {
  return join(root, paths.stamps, `${key.replace(/[^\w.-]+/g, "_")}.stamp`);
}

/** True when the stamp matches `hash` and every output exists. */
export function isUpToDate(root: string, key: string, hash: string, outputs: readonly string[]): boolean {
  const stamp = stampPath(root, key);
  if (!existsSync(stamp) || readFileSync(stamp, "utf8").trim() !== hash) return false;
  return outputs.every((output) => existsSync(join(root, output)));
}

export function removeStamp(root: string, key: string): void {
  rmSync(stampPath(root, key), { force: true });
}

export function writeStamp(root: string, key: string, hash: string): void {
  const stamp = stampPath(root, key);
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, `${hash}\n`);
}
