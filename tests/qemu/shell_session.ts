// Driving the OptiOS shell over a guest's serial port: type a line, wait for the answer, read it.
import type { Machine } from "../../toolchain/src/bench/machine.ts";

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
