// Where a project's sources, build outputs and settings live, read once per command.
//
// A project root is the directory holding asconfig.json, kernel/, boot/ and iso/. It is
// normally the repository itself; tests and experiments may point the tool at another tree
// (`optios build --root DIR`), which is why no path below is hard-wired to this checkout.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { limit } from "../../interface/optios.ts";

/** The repository that holds this toolchain (and its node_modules). */
export const toolchainRepository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The kernel command line GRUB's menu entry passes; `optios run --pvh` uses it too. */
export const defaultKernelArguments = "console=all loglevel=6";

/** One wasm page; the runtime arena holds the kernel's maximum memory plus one page for tables. */
export const wasmPageBytes = 65536;

/** Fixed timestamp for reproducible images (2024-01-01 UTC) unless SOURCE_DATE_EPOCH is set. */
export const defaultSourceDateEpoch = 1704067200;

export interface Project {
  /** Absolute path of the project root; every command runs with this as its working directory. */
  root: string;
  /** The version shown in the boot menu (package.json "version"). */
  version: string;
  /** Pages of 64 KiB the kernel's linear memory may grow to (asconfig.json, target "kernel"). */
  kernelMaximumMemoryPages: number;
  /** Seconds since 1970 stamped on every file inside the ISO. */
  sourceDateEpoch: number;
  /** The system.toml the build describes, relative to the root (default paths.system). */
  systemFile: string;
  /** The kernel command line of the ISO's menu entry (default defaultKernelArguments). */
  kernelArguments: string;
  /**
   * Build the test kernel (`optios build --test-kernel`): entry paths.testKernelEntry, which adds
   * the test boots test=selftest and test=bench to the shipped kernel; it has no size budget.
   * Tests and `make bench` build it in scratch roots; build/ keeps the shipped kernel.
   */
  testKernel: boolean;
}

/** Paths relative to the project root, so commands and stamps read the same on every machine. */
export const paths = {
  asconfig: "asconfig.json",
  kernelSources: "kernel",
  kernelEntry: "kernel/main.ts",
  testKernelEntry: "kernel/test_main.ts",
  interfaceDeclaration: "interface/optios.ts",
  bootSources: "boot",
  bootIncludes: "boot/include",
  linkerScript: "boot/linker.ld",
  isoTemplates: "iso",
  build: "build",
  stamps: "build/stamps",
  kernelBuild: "build/kernel",
  kernelWasm: "build/kernel/kernel.wasm",
  kernelC: "build/kernel/kernel.c",
  kernelHeader: "build/kernel/kernel.h",
  runtimeHeader: "build/kernel/wasm-rt.h",
  objects: "build/obj",
  kernelElf: "build/kernel.elf",
  kernelSymbolsElf: "build/kernel.symbols.elf",
  grub: "build/grub",
  earlyConfig: "build/grub/early.cfg",
  biosImage: "build/grub/bios.img",
  efiApplication: "build/grub/BOOTX64.EFI",
  isoRoot: "build/iso-root",
  iso: "build/optios.iso",
  system: "systems/default/system.toml",
  handlerApi: "handlers/api",
  /** The API header of modules written in C (generated from interface/optios.ts). */
  cModuleIncludes: "services/include",
  handlerModules: "build/handlers",
  programModules: "build/programs",
  uefiVariables: "build/ovmf_vars.fd",
} as const;

/** Reads the project's settings; errors name the file and the field that was expected. */
export function loadProject(root: string = toolchainRepository, systemFile: string = paths.system,
  kernelArguments: string = defaultKernelArguments, testKernel = false): Project {
  const absoluteRoot = resolve(root);
  const asconfigPath = join(absoluteRoot, paths.asconfig);
  if (!existsSync(asconfigPath)) {
    throw new Error(`${asconfigPath}: not found; is ${absoluteRoot} an OptiOS project root?`);
  }
  checkKernelArguments(kernelArguments);
  return {
    root: absoluteRoot,
    version: readVersion(absoluteRoot),
    kernelMaximumMemoryPages: readMaximumMemoryPages(asconfigPath),
    sourceDateEpoch: readSourceDateEpoch(process.env.SOURCE_DATE_EPOCH),
    systemFile,
    kernelArguments,
    testKernel,
  };
}

/** The file asc compiles: the shipped kernel's entry, or the test kernel's. */
export function kernelEntry(project: Project): string {
  return project.testKernel ? paths.testKernelEntry : paths.kernelEntry;
}

/** Room the GRUB menu adds to the kernel arguments: " generation=N". */
const GENERATION_ARGUMENT_BYTES = " generation=".length + 10;

/** Kernel arguments must fit the command line the kernel keeps, with the generation the menu appends. */
export function checkKernelArguments(kernelArguments: string): void {
  const room = limit("COMMAND_LINE_MAX_BYTES") - GENERATION_ARGUMENT_BYTES;
  const bytes = Buffer.byteLength(kernelArguments);
  if (bytes > room) {
    throw new Error(`--kernel-arguments: ${bytes} bytes; the kernel keeps a ${limit("COMMAND_LINE_MAX_BYTES")}-byte command line ` +
      `(COMMAND_LINE_MAX_BYTES), ${GENERATION_ARGUMENT_BYTES} of them for " generation=N", so expected at most ${room}`);
  }
}

/** RUNTIME_ARENA_BYTES for boot/wasm_runtime.c: the kernel memory's ceiling plus a page for tables. */
export function runtimeArenaBytes(project: Project): number {
  return project.kernelMaximumMemoryPages * wasmPageBytes + wasmPageBytes;
}

function readVersion(root: string): string {
  // A project tree without package.json (a test fixture) borrows the toolchain's version.
  const own = join(root, "package.json");
  const manifest = existsSync(own) ? own : join(toolchainRepository, "package.json");
  const version = JSON.parse(readFileSync(manifest, "utf8")).version;
  if (typeof version !== "string") throw new Error(`${manifest}: expected a "version" string`);
  return version;
}

function readMaximumMemoryPages(asconfigPath: string): number {
  const config = JSON.parse(readFileSync(asconfigPath, "utf8"));
  const pages = config.targets?.kernel?.maximumMemory ?? config.options?.maximumMemory;
  if (!Number.isInteger(pages) || pages <= 0) {
    throw new Error(
      `${asconfigPath}: expected targets.kernel.maximumMemory (a positive number of 64 KiB pages); ` +
        "the build sizes the wasm runtime's memory arena from it",
    );
  }
  return pages;
}

export function readSourceDateEpoch(value: string | undefined): number {
  if (value === undefined || value === "") return defaultSourceDateEpoch;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new Error(`SOURCE_DATE_EPOCH: expected whole seconds since 1970, got "${value}"`);
  }
  return seconds;
}
