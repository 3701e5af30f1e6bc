// Step "initrd": the boot filesystem, a cpio newc archive of the system's config and programs, made by the real cpio.
//
//   the loaded system (includes merged) as TOML ─► build/initrd/etc/system.toml   (for people to read)
//   the loaded system's canonical JSON ─────────► build/initrd/etc/system.json
//   the loaded system as typed records ─────────► build/initrd/etc/system.descriptor (what the kernel reads)
//   build/programs/<name>.module (step programs) ► build/initrd/bin/<name>        (the shell's `run <name>`)
//   build/initrd/ ─(sorted names, fixed mtimes, owner 0:0)─ cpio -o -H newc --reproducible ─► build/initrd.cpio
//
// The staging tree is made afresh every time, every file and folder gets the project's
// SOURCE_DATE_EPOCH as its mtime and fixed permissions, and the names reach cpio sorted,
// so the same system always gives the same archive byte for byte. GRUB hands the archive
// to the kernel as a boot module; kernel/fs/cpio.ts reads it in place (docs/filesystem.md).
import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { crc32 } from "node:zlib";
import { stringify } from "smol-toml";
import { limit } from "../../../interface/optios.ts";
import type { Project } from "../project.ts";
import type { LoadedSystem } from "../system/load.ts";
import { NETWORK_STACK } from "../system/schema.ts";
import { formatDuration, formatSize } from "../system/units.ts";
import { encodeDescriptor } from "./boot_descriptor.ts";
import { modulePath, programModulePath, projectSystem } from "./handlers.ts";
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

/**
 * The resolved system as TOML: every include merged, as validated, with system.toml's own key
 * names and units ("1s", "1MiB"), so the toolchain's validator accepts it again and gives the
 * same canonical JSON when the file lies beside `systemFile` (sources stay relative to that
 * file's folder). People read it; the kernel reads system.descriptor (boot_descriptor.ts).
 * `systemFile` is the top-level file relative to the project root, named in the first line.
 */
export function renderSystemToml(system: LoadedSystem, systemFile: string): string {
  const { config } = system;
  const document: Record<string, unknown> = {
    system: { hostname: config.system.hostname, version: config.system.version, keep_generations: config.system.keepGenerations,
      ...(config.system.deploy ? { deploy: true } : {}) },
    foreground: { max: config.foreground.max, programs: config.foreground.programs },
  };
  if (config.network !== null && config.network !== undefined) {
    const network = config.network;
    document.network = {
      dhcp: network.dhcp,
      ...(network.address !== null ? { address: `${network.address}/${network.prefix}` } : {}),
      ...(network.gateway !== null ? { gateway: network.gateway } : {}),
      ...(network.dns !== null ? { dns: network.dns } : {}),
      dhcp_timeout: formatDuration(network.dhcpTimeoutNanoseconds),
    };
  }
  // The network stack is not written: [network] adds it. An empty list of tables would render as
  // `handlers = []`; leaving it out means the same.
  const handlers = config.handlers.filter((handler) => !(config.network && handler.name === NETWORK_STACK.name));
  if (handlers.length > 0) {
    document.handlers = handlers.map((handler) => ({
      name: handler.name,
      source: handler.source,
      version: handler.version,
      ...(handler.triggers.everyNanoseconds === null ? {} : { every: formatDuration(handler.triggers.everyNanoseconds) }),
      ...(handler.triggers.afterNanoseconds === null ? {} : { after: formatDuration(handler.triggers.afterNanoseconds) }),
      events: handler.triggers.events,
      boot: handler.triggers.boot,
      ...(handler.triggers.messages ? { messages: true } : {}),
      ...(handler.triggers.calls ? { calls: true } : {}),
      ...(handler.triggers.udp.length > 0 ? { udp: handler.triggers.udp } : {}),
      ...(handler.triggers.tcp.length > 0 ? { tcp: handler.triggers.tcp } : {}),
      ...(handler.queueDepth === limit("QUEUE_DEPTH") ? {} : { queue: handler.queueDepth }),
      budget: formatDuration(handler.budgetNanoseconds),
      memory: formatSize(handler.memoryBytes),
      ...(handler.durability === "none" ? { durability: "none" } : {}),
      ...(handler.durability === "interval" ? { durability: `interval:${formatDuration(handler.durabilityIntervalNanoseconds!)}` } : {}),
      capabilities: handler.capabilities,
    }));
  }
  if (config.programs.length > 0) {
    document.programs = config.programs.map((program) => ({
      name: program.name, source: program.source, memory: formatSize(program.memoryBytes), capabilities: program.capabilities,
    }));
  }
  const shown = systemFile.split(sep).join("/");
  return `# Generated by the OptiOS toolchain from ${shown} with its includes merged, for people to read (the kernel reads system.descriptor).\n` +
    `# Sources are relative to the folder of ${shown}.\n\n${stringify(document)}`;
}

/** Writes the staging tree and packs it into build/initrd.cpio; returns the names packed, in order. */
export async function makeInitrd(project: Project, system: LoadedSystem): Promise<string[]> {
  checkTools("initrd", initrdRequirements);
  const staging = join(project.root, initrdStaging);
  rmSync(staging, { recursive: true, force: true });
  rmSync(join(project.root, initrdArchive), { force: true });
  mkdirSync(join(staging, "etc"), { recursive: true });
  writeFileSync(join(staging, "etc", "system.toml"), renderSystemToml(system, project.systemFile));
  writeFileSync(join(staging, "etc", "system.json"), system.canonicalJson);
  writeFileSync(join(staging, "etc", "system.descriptor"), encodeDescriptor(system.config, handlerModuleCrcs(project, system)));
  if (system.config.programs.length > 0) mkdirSync(join(staging, "bin"));
  for (const program of system.config.programs) {
    const module = programModulePath(program.name);
    if (!existsSync(join(project.root, module))) {
      throw new BuildError("initrd", `${module} is missing: the programs step builds it before the initrd is packed`);
    }
    copyFileSync(join(project.root, module), join(staging, "bin", program.name));
  }
  const names = listTree(staging, "");
  fixMetadata(staging, names, project.sourceDateEpoch);
  const result = await runWithInput(cpioCommand, names.map((name) => `${name}\n`).join(""), staging);
  if (result.status !== 0) {
    throw new BuildError("initrd", `cpio ended with status ${result.status} packing ${initrdStaging}`, cpioCommand,
      `${result.stdout}${result.stderr}`);
  }
  return names;
}

/** Each handler's module file's CRC-32 (step handlers built them), for the descriptor. */
export function handlerModuleCrcs(project: Project, system: LoadedSystem): Map<string, number> {
  const crcs = new Map<string, number>();
  for (const handler of system.config.handlers) {
    const file = join(project.root, modulePath(handler.name));
    if (existsSync(file)) crcs.set(handler.name, crc32(readFileSync(file)));
  }
  return crcs;
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
        files: [
          ...system.files.map((file) => relative(project.root, file)),
          ...system.config.programs.map((program) => programModulePath(program.name)),
          ...system.config.handlers.map((handler) => modulePath(handler.name)),
        ],
        commands: [cpioCommand],
        tools: [`cpio ${await toolVersion("cpio")}`],
        values: [system.canonicalJson, renderSystemToml(system, project.systemFile), encodeDescriptor(system.config, handlerModuleCrcs(project, system)).toString("base64"),
          String(project.sourceDateEpoch)],
      },
      outputs: [initrdArchive],
      run: async () => {
        await makeInitrd(project, system);
      },
    }];
  },
};
