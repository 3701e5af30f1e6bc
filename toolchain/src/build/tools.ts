// The external tools each command needs, the Debian package that provides each, and versions.
//
// toolchain/scripts/ensure-dependencies.sh keeps the same table in shell so `make` can
// install what is missing before Node runs; change both together.
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { toolchainRepository } from "../project.ts";
import { BuildError, runCommand } from "./process.ts";

export interface ToolRequirement {
  /** A command looked up on PATH, or an absolute file path. */
  name: string;
  kind: "command" | "file";
  /** The Debian packages that provide it. */
  packages: readonly string[];
}

const command = (name: string, ...packages: string[]): ToolRequirement => ({ name, kind: "command", packages });
const file = (name: string, ...packages: string[]): ToolRequirement => ({ name, kind: "file", packages });

export const grubPcDirectory = "/usr/lib/grub/i386-pc";
export const grubEfiDirectory = "/usr/lib/grub/x86_64-efi";
export const hybridBootRecord = `${grubPcDirectory}/boot_hybrid.img`;
export const runtimeHeaderSource = "/usr/include/wasm-rt.h";
export const ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const ovmfVariablesTemplate = "/usr/share/OVMF/OVMF_VARS_4M.fd";

/** What `optios build` needs: asc comes from node_modules, everything else from Debian. */
export const buildRequirements: readonly ToolRequirement[] = [
  command("wasm2c", "wabt"),
  command("wat2wasm", "wabt"), // handlers written in WebAssembly text (.wat)
  file(runtimeHeaderSource, "wabt"),
  command("gcc", "gcc"),
  command("ld", "binutils"),
  command("objcopy", "binutils"),
  command("grub-mkimage", "grub-common"),
  file(`${grubPcDirectory}/kernel.img`, "grub-pc-bin"),
  file(hybridBootRecord, "grub-pc-bin"),
  file(`${grubEfiDirectory}/kernel.img`, "grub-efi-amd64-bin"),
  command("mformat", "mtools"),
  command("mcopy", "mtools"),
  command("mmd", "mtools"),
  command("xorriso", "xorriso"),
  command("clang-14", "clang-14"), // the network stack (lwIP, C) to wasm32: services/network/
  command("wasm-ld-14", "lld-14"),
  file("/usr/lib/wasm32-wasi/libc.a", "wasi-libc"),
];

/** What fetching lwIP's source package needs (lwip.ts; `optios deps`, and a build that finds it missing). */
export const lwipRequirements: readonly ToolRequirement[] = [command("apt-get", "apt"), command("tar", "tar"), command("xz", "xz-utils")];

/** What `npm ci` needs: better-sqlite3 (the store's metadata) compiles from source with node-gyp. */
export const installRequirements: readonly ToolRequirement[] = [
  command("g++", "g++"),
  command("make", "make"),
  command("python3", "python3"),
];

/** What `optios run` needs on top of the build. */
export const runRequirements: readonly ToolRequirement[] = [command("qemu-system-x86_64", "qemu-system-x86")];

/** What `optios run --gui` needs: QEMU's window (only a Recommends of qemu-system-x86). */
export const guiRequirements: readonly ToolRequirement[] = [file("/usr/lib/x86_64-linux-gnu/qemu/ui-gtk.so", "qemu-system-gui")];

/** What `optios run --uefi` needs on top of that. */
export const uefiRequirements: readonly ToolRequirement[] = [file(ovmfCode, "ovmf"), file(ovmfVariablesTemplate, "ovmf")];

export interface ToolEnvironment {
  /** The PATH to search for commands (the process's PATH unless a test injects one). */
  path?: string;
  fileExists?: (path: string) => boolean;
}

/** The absolute path of an executable `name` on `path`, or undefined. */
export function findCommand(name: string, path: string = process.env.PATH ?? ""): string | undefined {
  for (const directory of path.split(delimiter)) {
    if (directory === "") continue;
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

/** The requirements that are not met in `environment`. */
export function findMissing(
  requirements: readonly ToolRequirement[],
  environment: ToolEnvironment = {},
): ToolRequirement[] {
  const fileExists = environment.fileExists ?? existsSync;
  return requirements.filter((requirement) =>
    requirement.kind === "command"
      ? findCommand(requirement.name, environment.path ?? process.env.PATH) === undefined
      : !fileExists(requirement.name),
  );
}

/** Names every missing tool with its Debian package and the one command that installs them all. */
export function describeMissing(missing: readonly ToolRequirement[]): string {
  const packages = [...new Set(missing.flatMap((requirement) => requirement.packages))];
  const lines = missing.map(
    (requirement) =>
      `  ${requirement.kind === "command" ? "command" : "file   "} ${requirement.name}  (Debian package ${requirement.packages.join(", ")})`,
  );
  return [
    "missing tools:",
    ...lines,
    "install them with:",
    `  sudo apt-get install -y --no-install-recommends ${packages.join(" ")}`,
    "(or run `make deps`, which installs them when run as root)",
  ].join("\n");
}

/** Throws a BuildError for `step` naming each missing tool's Debian package. */
export function checkTools(
  step: string,
  requirements: readonly ToolRequirement[],
  environment: ToolEnvironment = {},
): void {
  const missing = findMissing(requirements, environment);
  if (missing.length > 0) throw new BuildError(step, describeMissing(missing));
}

const versions = new Map<string, Promise<string>>();

/** The first line `tool --version` prints, remembered for the rest of the process; part of stamps. */
export function toolVersion(tool: string): Promise<string> {
  let version = versions.get(tool);
  if (!version) {
    version = runCommand([tool, "--version"], { cwd: process.cwd() }).then((result) => {
      const firstLine = `${result.stdout}\n${result.stderr}`.split("\n").find((line) => line.trim() !== "");
      if (result.status !== 0 || !firstLine) {
        throw new BuildError("tools", `\`${tool} --version\` failed (status ${result.status})`, [tool, "--version"], result.stderr);
      }
      return firstLine.trim();
    });
    versions.set(tool, version);
  }
  return version;
}

/** The versions of every tool whose output goes into a generation, as recorded with it. */
export async function generationToolVersions(): Promise<Record<string, string>> {
  const assemblyscript = JSON.parse(readFileSync(join(toolchainRepository, "node_modules", "assemblyscript", "package.json"), "utf8")).version as string;
  const tools: Record<string, string> = { node: process.version, assemblyscript };
  for (const tool of ["wasm2c", "wat2wasm", "gcc", "ld", "objcopy", "cpio"]) tools[tool] = await toolVersion(tool);
  return tools;
}

/** What making the initrd (toolchain/src/build/initrd.ts) needs: the real cpio, for the newc archive. */
export const initrdRequirements: readonly ToolRequirement[] = [command("cpio", "cpio")];

/**
 * What `make bench` needs to build its Linux comparison guest (toolchain/src/bench/linux_guest.ts):
 * apt and dpkg fetch and open the pinned packages, xz unpacks the kernel, and gcc -static needs libc.a.
 */
export const linuxGuestRequirements: readonly ToolRequirement[] = [
  command("apt-get", "apt"),
  command("dpkg-deb", "dpkg"),
  command("tar", "tar"),
  command("xz", "xz-utils"),
  file("/usr/lib/x86_64-linux-gnu/libc.a", "libc6-dev"),
];
