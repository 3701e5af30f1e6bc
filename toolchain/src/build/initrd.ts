// Step "initrd": the boot filesystem, a cpio newc archive of the system's config, made by the real cpio.
//
//   system.toml (top-level file's text) ─► build/initrd/etc/system.toml
//   the loaded system's canonical JSON ─► build/initrd/etc/system.json
//   build/initrd/ ─(sorted names, fixed mtimes, owner 0:0)─ cpio -o -H newc --reproducible ─► build/initrd.cpio
//
// The staging tree is made afresh every time, every file and folder gets the project's
// SOURCE_DATE_EPOCH as its mtime and fixed permissions, and the names reach cpio sorted,
// so the same system always gives the same archive byte for byte. GRUB hands the archive
// to the kernel as a boot module; kernel/fs/cpio.ts reads it in place (docs/filesystem.md).
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { Project } from "../project.ts";
import type { LoadedSystem } from "../system/load.ts";
import { projectSystem } from "./handlers.ts";
import { BuildError, type CommandResult } from "./process.ts";
import type { Step } from "./step.ts";
import { checkTools, initrdRequirements, toolVersion } from "./tools.ts";

/** The staging tree and the archive, relative to the project root. */
export const initrdStaging = "build/initrd";
export const initrdArchive = "build/initrd.cpio";

/** Run inside the staging tree; names arrive on standard input, one a line. */
export const cpioCommand: readonly string[] = [
  "cpio", "--create", "--format=newc", "--reproducible", "--owner=0:0", "--quiet", `--file=${relative(initrdStaging, initrdArchive)}`,
];

/** Writes the staging tree and packs it into build/initrd.cpio; returns the names packed, in order. */
export async function makeInitrd(project: Project, system: LoadedSystem): Promise<string[]> {
  checkTools("initrd", initrdRequirements);
  const staging = join(project.root, initrdStaging);
  rmSync(staging, { recursive: true, force: true });
  rmSync(join(project.root, initrdArchive), { force: true });
  mkdirSync(join(staging, "etc"), { recursive: true });
  writeFileSync(join(staging, "etc", "system.toml"), readFileSync(join(project.root, project.systemFile)));
  writeFileSync(join(staging, "etc", "system.json"), system.canonicalJson);
  const names = listTree(staging, "");
  fixMetadata(staging, names, project.sourceDateEpoch);
  const result = await runWithInput(cpioCommand, names.map((name) => `${name}\n`).join(""), staging);
  if (result.status !== 0) {
    throw new BuildError("initrd", `cpio ended with status ${result.status} packing ${initrdStaging}`, cpioCommand,
      `${result.stdout}${result.stderr}`);
  }
  return names;
}

/** Every file and folder under `folder`, relative to the staging root, sorted by bytes (as LC_ALL=C). */
function listTree(root: string, folder: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
    const name = folder === "" ? entry.name : `${folder}/${entry.name}`;
    names.push(name);
    if (entry.isDirectory()) names.push(...listTree(root, name));
  }
  return names.sort((left, right) => Buffer.compare(Buffer.from(left), Buffer.from(right)));
}

/** Fixed permissions and mtimes, deepest first, so setting a file's time never touches its folder's again. */
function fixMetadata(root: string, names: readonly string[], epochSeconds: number): void {
  for (const name of [...names].reverse()) {
    const path = join(root, name);
    chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
    utimesSync(path, epochSeconds, epochSeconds);
  }
  chmodSync(root, 0o755);
  utimesSync(root, epochSeconds, epochSeconds);
}

/** Runs `command` in `cwd` with `input` on its standard input (runCommand gives none). */
function runWithInput(command: readonly string[], input: string, cwd: string): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const [program, ...argumentList] = command;
    const child = spawn(program, argumentList, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", (error) => reject(new BuildError("initrd", `could not start ${program}: ${error.message}`, command)));
    child.on("close", (status) => resolvePromise({ status: status ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

export const initrdStep: Step = {
  name: "initrd",
  artifact: initrdArchive,
  async plan({ project }) {
    checkTools("initrd", initrdRequirements);
    const system = await projectSystem(project);
    return [{
      key: "initrd",
      inputs: {
        files: system.files.map((file) => relative(project.root, file)),
        commands: [cpioCommand],
        tools: [`cpio ${await toolVersion("cpio")}`],
        values: [system.canonicalJson, String(project.sourceDateEpoch)],
      },
      outputs: [initrdArchive],
      run: async () => {
        await makeInitrd(project, system);
      },
    }];
  },
};
