// Runs one host tool for the bench to completion; a failure names the command and its stderr.
import { execFileSync } from "node:child_process";

export interface ToolOptions {
  cwd?: string;
}

/** The tool's standard output as bytes; throws with the command line and stderr on failure. */
export function runToolBytes(command: string, args: readonly string[], options: ToolOptions = {}): Buffer {
  try {
    return execFileSync(command, args, {
      cwd: options.cwd, maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    const failure = error as { stderr?: Buffer; message: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${failure.stderr?.toString("latin1").trim() || failure.message}`);
  }
}

/** The tool's standard output as text (Latin-1: any bytes survive). */
export function runTool(command: string, args: readonly string[], options: ToolOptions = {}): string {
  return runToolBytes(command, args, options).toString("latin1");
}
