// `optios <command>`: the OptiOS build tool's command line (build, run, the store commands, help).
import { spawn } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { constants } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { build } from "./build/pipeline.ts";
import { BuildError, quoteCommand } from "./build/process.ts";
import { ensureLwipSource } from "./build/lwip.ts";
import { checkTools, guiRequirements, runRequirements, uefiRequirements } from "./build/tools.ts";
import { storeCommands } from "./commands/index.ts";
import { defaultKernelArguments, loadProject, paths, toolchainRepository, type Project } from "./project.ts";
import { defaultForwards, defaultMemory, prepareUefiVariables, qemuArguments, runHints, userNetwork, type QemuOptions } from "./qemu.ts";
import { buildTransfer, deployed, deploySocketPath, sendTransfers } from "./deploy.ts";
import { createDataDisk, dataImagePath, DEFAULT_DATA_DISK_BYTES, imageWithDataPartition, parseDiskSize, runDataDiskPath } from "./disk.ts";
import { projectSystem } from "./build/handlers.ts";

type OptionValues = Record<string, string | boolean | undefined>;

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  /** `positionals`: the arguments after the options (only deploy takes any; build's system.toml is folded into values). */
  run(values: OptionValues, positionals: string[]): Promise<number>;
}

const commonOptions = {
  root: { type: "string" },
  system: { type: "string" },
  "kernel-arguments": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const commonHelp = `
  --root DIR         project root to build (default: this repository)
  --system FILE      the system to build, relative to the root (default: systems/default/system.toml)
  --kernel-arguments TEXT
                     the kernel command line in the ISO's boot menu (default: "${defaultKernelArguments}")
  -h, --help         show this help`;

/** Build and run only: the kernel with the self-tests and the bench (kernel/test_main.ts). */
const testKernelOption = { "test-kernel": { type: "boolean" } } as const;

const testKernelHelp = `
  --test-kernel      build the test kernel: the shipped one plus the boots test=selftest and test=bench
                     (kernel/test_main.ts; no size budget); build it in a scratch root (--root), since it
                     replaces build/kernel.elf and the next plain build compiles the shipped kernel again`;

const commands: Record<string, Command> = {
  build: {
    summary: "build build/kernel.elf and build/optios.iso (only what changed)",
    usage: `usage: optios build [options] [system.toml]

Builds the kernel (asc → wasm2c → gcc → ld) and the BIOS+UEFI ISO (grub → iso).
Each step is skipped when its inputs are unchanged; see docs/build.md.

options:
  --jobs N           objects compiled at once (default: number of CPUs)
  --data SIZE        also write ${dataImagePath}: the ISO with a data partition of SIZE (64M, 1G…)
                     after it, to write to a USB stick or disk (dd) so that state and files persist${testKernelHelp}${commonHelp}`,
    options: { ...commonOptions, ...testKernelOption, jobs: { type: "string" }, data: { type: "string" } },
    async run(values) {
      const dataBytes = values.data === undefined ? undefined : parseDiskSize(values.data as string);
      if (dataBytes === null) throw new Error(`--data: expected a size such as 64M or 1G, got "${values.data}"`);
      const project = await buildProject(values);
      if (dataBytes !== undefined) {
        const output = join(project.root, dataImagePath);
        imageWithDataPartition(join(project.root, paths.iso), output, dataBytes);
        console.log(`  data       ${dataImagePath}: the ISO and a ${values.data} data partition; write it to a USB stick or disk ` +
          "(dd if=… of=/dev/sdX bs=4M), or try it: qemu-system-x86_64 -drive file=…,format=raw");
      }
      return 0;
    },
  },
  run: {
    summary: "build, then boot in QEMU with the serial console on this terminal",
    usage: `usage: optios run [options]

Builds, then boots build/optios.iso (or the kernel directly with --pvh) in QEMU.
The serial port is this terminal: Ctrl-A X quits QEMU, Ctrl-A C toggles its monitor;
ESC then 1…4 switches consoles; GRUB's generation menu is here too (↓ or v, Enter).
These hints are printed before QEMU starts.
The exit status is QEMU's; a guest writing C to isa-debug-exit makes it (C << 1) | 1.

options:
  --uefi             boot through OVMF (UEFI) instead of SeaBIOS
  --gui              show QEMU's window (default: -display none)
  --accel tcg|kvm    accelerator (default: tcg; this machine's /dev/kvm cannot run the guest)
  --memory SIZE      guest memory, e.g. 64M (default: ${defaultMemory})
  --usb              boot the ISO from a USB stick (usb-storage on an xHCI controller) instead of a CD
  --pvh              boot build/kernel.elf directly through its PVH note (no firmware, no GRUB)
  --append TEXT      kernel command line for --pvh (default: "${defaultKernelArguments}")
  --forward SPEC     forward a port from 127.0.0.1 to the guest: tcp:HOST-GUEST or udp:HOST-GUEST, repeatable
                     (default: tcp:8080-80 and udp:7777-7, the status page and UDP echo; "none" for none)${testKernelHelp}${commonHelp}`,
    options: {
      ...commonOptions,
      ...testKernelOption,
      forward: { type: "string", multiple: true },
      uefi: { type: "boolean" },
      gui: { type: "boolean" },
      accel: { type: "string" },
      memory: { type: "string" },
      usb: { type: "boolean" },
      pvh: { type: "boolean" },
      append: { type: "string" },
    },
    async run(values) {
      const options = qemuOptions(values);
      checkTools("run", [
        ...runRequirements,
        ...(options.uefi ? uefiRequirements : []),
        ...(options.gui ? guiRequirements : []),
      ]);
      const project = await buildProject(values);
      return await runQemu(project, options);
    },
  },
  deps: {
    summary: "fetch the sources the build compiles from Debian (lwIP), pinned and checked; make deps runs it",
    usage: `usage: optios deps

Fetches what the build needs from a package registry that is not installed on the machine:
lwIP's source (Debian's source package lwip, pinned, its sha256 checked) into build/deps/.
Quiet when it is there already. See docs/dependencies.md.${commonHelp}`,
    options: { ...commonOptions },
    async run(values) {
      const root = resolve(typeof values.root === "string" ? values.root : toolchainRepository);
      await ensureLwipSource(root, (line) => console.log(`  ${line}`));
      return 0;
    },
  },
  deploy: {
    summary: "build, then send new versions of handlers to the running machine (no reboot)",
    usage: `usage: optios deploy [options] [handler…]

Builds (a new generation, as optios build does), then sends each named handler (default:
every handler of the system) to the machine \`optios run\` started, over its deploy port
(COM2, build/deploy.sock). The machine checks each against the new generation and the
running system, swaps it between two runs and answers with one line; queued events are
kept. A version that needs more capabilities or other settings is refused: reboot into the
new generation instead. The system must say [system] deploy = true. See docs/upgrade.md.
The exit status is 0 when every handler was upgraded, 1 otherwise.

options:
  --socket PATH      the deploy socket (default: ${deploySocketPath} under the root)${commonHelp}`,
    options: { ...commonOptions, socket: { type: "string" } },
    async run(values, positionals) {
      const project = await buildProject(values);
      const system = await projectSystem(project);
      const known = system.config.handlers.map((handler) => handler.name);
      const names = positionals.length > 0 ? positionals : known;
      const unknown = names.filter((name) => !known.includes(name));
      if (unknown.length > 0) throw new Error(`no handler ${unknown.map((name) => `'${name}'`).join(", ")} in ${project.systemFile}`);
      if (!system.config.system.deploy) {
        console.log(`  note     ${project.systemFile} does not say [system] deploy = true: a machine running it takes no deploys`);
      }
      const socket = resolve(project.root, typeof values.socket === "string" ? values.socket : deploySocketPath);
      const answers = await sendTransfers(socket, names.map((name) => buildTransfer(project.root, name)));
      for (const answer of answers) console.log(`  ${answer}`);
      return answers.every(deployed) ? 0 : 1;
    },
  },
};

/** The store, generation and scaffolding commands (toolchain/src/commands/): each parses its own options. */
const storeCommandsByName = new Map(storeCommands.map((command) => [command.name, command]));

const mainUsage = `usage: optios <command> [options]

commands:
${[
  ...Object.entries(commands).map(([name, command]) => [name, command.summary]),
  ...storeCommands.map((command) => [command.name, command.summary]),
]
  .map(([name, summary]) => `  ${name.padEnd(11)} ${summary}`)
  .join("\n")}
  help        show help for a command: optios help run

Run \`optios <command> --help\` for a command's options.`;

/** Runs the command line `argv` (without node and script) and returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") return printUsage(mainUsage, name !== undefined);
  if (name === "help") {
    const topic = rest[0];
    if (topic === undefined) return printUsage(mainUsage, true);
    if (storeCommandsByName.has(topic)) return printUsage(storeCommandsByName.get(topic)!.help, true);
    if (!Object.hasOwn(commands, topic)) return usageError(`optios help: unknown command "${topic}"`, "optios --help");
    return printUsage(commands[topic].usage, true);
  }
  const storeCommand = storeCommandsByName.get(name);
  if (storeCommand) {
    try {
      return await storeCommand.run([...rest]);
    } catch (error) {
      console.error(`optios ${name}: ${(error as Error).message}`);
      return error instanceof TypeError && /argument|option/i.test((error as Error).message) ? 2 : 1;
    }
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) return usageError(`optios: unknown command "${name}"`, "optios --help");
  let values: OptionValues;
  let positionals: string[] = [];
  try {
    const parsed = parseArgs({ args: [...rest], options: command.options, allowPositionals: name === "build" || name === "deploy", strict: true });
    values = parsed.values as OptionValues; // No option is declared `multiple`.
    if (name === "deploy") positionals = parsed.positionals;
    // `optios build [system.toml]`: the system may also be named without --system.
    else if (parsed.positionals.length > 1) throw new TypeError(`expected at most one system.toml, got ${parsed.positionals.join(", ")}`);
    if (name === "build" && parsed.positionals.length === 1) {
      if (typeof values.system === "string") throw new TypeError("name the system once: either as an argument or with --system");
      values.system = parsed.positionals[0];
    }
  } catch (error) {
    return usageError(`optios ${name}: ${(error as Error).message}`, `optios ${name} --help`);
  }
  if (values.help) return printUsage(command.usage, true);
  try {
    return await command.run(values, positionals);
  } catch (error) {
    if (error instanceof BuildError) console.error(error.describe());
    else console.error(`optios ${name}: ${(error as Error).message}`);
    return 1;
  }
}

async function buildProject(values: OptionValues): Promise<Project> {
  const text = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const project = loadProject(text("root"), text("system"), text("kernel-arguments"), values["test-kernel"] === true);
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1)) {
    throw new Error(`--jobs: expected a whole number of at least 1, got "${values.jobs}"`);
  }
  await build(project, { jobs });
  return project;
}

/** Checks `optios run`'s options before anything is built and turns them into QemuOptions. */
function qemuOptions(values: OptionValues): QemuOptions {
  const accel = values.accel ?? "tcg";
  if (accel !== "tcg" && accel !== "kvm") throw new Error(`--accel: expected tcg or kvm, got "${accel}"`);
  if (values.append !== undefined && !values.pvh) {
    throw new Error("--append needs --pvh: an ISO boot takes its command line from GRUB's menu (iso/grub.cfg.template)");
  }
  if (values.pvh && (values.uefi || values.usb)) throw new Error("--pvh boots the kernel without firmware or a disk; drop --uefi/--usb");
  const options: QemuOptions = {
    kernel: values.pvh ? paths.kernelElf : undefined,
    append: values.pvh ? ((values.append as string | undefined) ?? defaultKernelArguments) : undefined,
    iso: !values.pvh && !values.usb ? paths.iso : undefined,
    usbStick: values.usb ? paths.iso : undefined,
    uefi: Boolean(values.uefi),
    gui: Boolean(values.gui),
    reboot: true, // the shell's `reboot` reboots; Ctrl-A X quits
    deploySocket: deploySocketPath, // COM2: `optios deploy` (a system without [system] deploy = true ignores it)
    dataDisk: runDataDiskPath, // made on first use (runQemu)
    forwards: parseForwards(values.forward as string[] | undefined),
    accel,
    memory: values.memory as string | undefined,
  };
  qemuArguments(options); // Rejects a malformed --memory now rather than after the build.
  return options;
}

/** --forward tcp:8080-80 … (default: the status page and UDP echo); "none" for none. */
function parseForwards(specs: string[] | undefined): NonNullable<QemuOptions["forwards"]> {
  if (specs === undefined) return defaultForwards;
  const forwards: NonNullable<QemuOptions["forwards"]> = { tcp: [], udp: [] };
  for (const spec of specs) {
    if (spec === "none") continue;
    const match = /^(tcp|udp):(\d{1,5})-(\d{1,5})$/.exec(spec);
    const ports = match ? [Number(match[2]), Number(match[3])] : [];
    if (!match || ports.some((port) => port < 1 || port > 65535)) {
      throw new Error(`--forward: expected tcp:HOST-GUEST or udp:HOST-GUEST with ports from 1 to 65535 (tcp:8080-80), got "${spec}"`);
    }
    forwards[match[1] as "tcp" | "udp"].push([ports[0], ports[1]]);
  }
  return forwards;
}

async function runQemu(project: Project, options: QemuOptions): Promise<number> {
  if (options.uefi) prepareUefiVariables(resolve(project.root, paths.uefiVariables));
  if (options.dataDisk !== undefined && !existsSync(resolve(project.root, options.dataDisk))) {
    createDataDisk(resolve(project.root, options.dataDisk), DEFAULT_DATA_DISK_BYTES);
    console.log(`  disk     made ${options.dataDisk} (${DEFAULT_DATA_DISK_BYTES / 1024 / 1024} MiB), the data disk`);
  }
  const command = ["qemu-system-x86_64", ...qemuArguments({ ...options, nic: options.nic ?? userNetwork(options.forwards ?? defaultForwards) })];
  console.log(`  qemu     ${quoteCommand(command)}`);
  for (const hint of runHints(options, menuEntries(project.root))) console.log(`  ${hint}`);
  return await runInteractive(command, project.root);
}

/** How many generations the ISO just built lists on its GRUB menu (its grub.cfg's entries). */
function menuEntries(root: string): number {
  const menu = resolve(root, paths.isoRoot, "boot", "grub", "grub.cfg");
  return existsSync(menu) ? (readFileSync(menu, "utf8").match(/^menuentry /gm) ?? []).length : 0;
}

/** Runs `command` on this terminal; SIGINT/SIGTERM are passed on and QEMU's status returned. */
function runInteractive(command: readonly string[], cwd: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command[0], command.slice(1), { cwd, stdio: "inherit" });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on("SIGINT", forward).on("SIGTERM", forward);
    child.on("error", reject);
    child.on("close", (status, signal) => {
      process.off("SIGINT", forward).off("SIGTERM", forward);
      resolvePromise(status ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

function printUsage(text: string, toStdout: boolean): number {
  if (toStdout) {
    console.log(text);
    return 0;
  }
  console.error(text);
  return 2;
}

function usageError(message: string, helpCommand: string): number {
  console.error(`${message}\nrun \`${helpCommand}\` for usage`);
  return 2;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(resolve(script)) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = await main(process.argv.slice(2));
