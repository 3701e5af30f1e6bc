// Running the external tools: one command, its output captured, failures made readable.
import { spawn } from "node:child_process";
import { constants } from "node:os";

/** A step that failed: which step, the command it ran, and the tool's own output. */
export class BuildError extends Error {
  constructor(
    readonly step: string,
    message: string,
    readonly command?: readonly string[],
    readonly output?: string,
  ) {
    super(message);
    this.name = "BuildError";
  }

  /** The text shown to the user: step, what was expected, the command, the tool's output. */
  describe(): string {
    const lines = [`optios: step "${this.step}" failed: ${this.message}`];
    if (this.command) lines.push(`  command: ${quoteCommand(this.command)}`);
    const output = this.output?.trimEnd();
    if (output) lines.push(output);
    return lines.join("\n");
  }
}

export interface CommandResult {
  /** The exit status, or 128 + signal number when a signal ended the tool. */
  status: number;
  /** The signal that ended the tool (SIGABRT when wasm2c hits an unsupported feature). */
  signal?: NodeJS.Signals;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  cwd: string;
  environment?: NodeJS.ProcessEnv;
  /** Runs the command instead of spawning it (asc on its warm server, asc_server.ts). */
  runner?: (command: readonly string[], cwd: string) => Promise<CommandResult>;
}

/** Runs `command` to completion and returns its status and output; never throws on status. */
export function runCommand(command: readonly string[], options: CommandOptions): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const [program, ...argumentList] = command;
    const child = spawn(program, argumentList, {
      cwd: options.cwd,
      env: options.environment ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status, signal) => {
      if (signal) resolvePromise({ status: 128 + (constants.signals[signal] ?? 0), signal, stdout, stderr });
      else resolvePromise({ status: status ?? 1, stdout, stderr });
    });
  });
}

/** Runs `command` for `step`; a non-zero status becomes a BuildError carrying the tool's output. */
export async function runStepCommand(
  step: string,
  command: readonly string[],
  options: CommandOptions,
): Promise<CommandResult> {
  let result: CommandResult;
  try {
    result = await (options.runner?.(command, options.cwd) ?? runCommand(command, options));
  } catch (error) {
    throw new BuildError(step, `could not start ${command[0]}: ${(error as Error).message}`, command);
  }
  if (result.status !== 0) {
    const output = [result.stdout, result.stderr].filter((text) => text.trim() !== "").join("\n");
    throw new BuildError(step, describeEnd(command[0], result), command, output);
  }
  return result;
}

/** "gcc exited with status 1" or "wasm2c was killed by SIGABRT". */
export function describeEnd(program: string, result: CommandResult): string {
  return result.signal ? `${program} was killed by ${result.signal}` : `${program} exited with status ${result.status}`;
}

/** A command as a shell would need it typed, for error messages and logs. */
export function quoteCommand(command: readonly string[]): string {
  return command.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(" ");
}
