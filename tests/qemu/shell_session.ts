// Driving the OptiOS shell over a guest's serial port: boot a test system to its shell, type a line, read the answer.
import { afterAll, beforeAll } from "vitest";
import { type Machine, startMachine, stopAllMachines } from "../../toolchain/src/bench/machine.ts";
import { buildSystemInScratch, type ScratchBuild } from "../../toolchain/src/build/scratch.ts";
import { defaultKernelArguments } from "../../toolchain/src/project.ts";

export const SHELL_PROMPT = "optios$ ";
/** One command's answer under TCG on a 2-core CI machine. */
export const COMMAND_TIMEOUT_MILLISECONDS = 30_000;

/** What the guest printed from `from` on, without carriage returns. */
export function outputSince(machine: Machine, from: number): string {
  return machine.output.slice(from).replace(/\r/g, "");
}

/** Types a command line, waits for `until` (by default the next prompt) and returns what it printed. */
export async function shellCommand(machine: Machine, line: string, until: RegExp | string = SHELL_PROMPT,
  timeoutMilliseconds = COMMAND_TIMEOUT_MILLISECONDS): Promise<string> {
  const from = machine.output.length;
  await machine.type(`${line}\r`);
  await machine.waitFor(until, timeoutMilliseconds, from);
  return outputSince(machine, from);
}

/** A test system's scratch build (sources symlinked, build/ copied) takes minutes on a 2-core CI machine. */
export const BUILD_TIMEOUT_MILLISECONDS = 540_000;
/** Boot to the shell's prompt through SeaBIOS and GRUB under TCG. */
export const BOOT_TIMEOUT_MILLISECONDS = 120_000;

/**
 * Call at the top of a test file: before its tests, builds `systemFile` in a scratch root,
 * boots its ISO and waits for the shell's prompt; after them, kills the guest and removes
 * the scratch root. Returns the running machine's accessor.
 */
export function useSystemAtShell(systemFile: string, options: { memory?: string; monitor?: boolean } = {}): () => Machine {
  let scratch: ScratchBuild | undefined;
  let machine: Machine | undefined;
  beforeAll(async () => {
    scratch = await buildSystemInScratch(systemFile, defaultKernelArguments, BUILD_TIMEOUT_MILLISECONDS);
    machine = startMachine({ iso: scratch.iso, memory: options.memory ?? "128M", monitor: options.monitor });
    await machine.waitFor(SHELL_PROMPT, BOOT_TIMEOUT_MILLISECONDS);
  }, BUILD_TIMEOUT_MILLISECONDS + BOOT_TIMEOUT_MILLISECONDS);
  afterAll(async () => {
    await stopAllMachines();
    scratch?.remove();
  });
  return () => machine!;
}
