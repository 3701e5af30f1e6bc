// A program in the harness: main() run on a fresh instance, its input scripted, its console captured.
//
// As on the kernel, a program is not a transaction: it runs until main returns, it traps, it
// asks to power off or reboot, or (here) it reads a line after the test's input ran out or
// printed as many lines as the test waits for.
import { classifyTrap, HarnessModule, InputExhausted, type LogLine, PowerRequest, type Started, type Trap } from "./module.ts";
import type { World } from "./world.ts";

export interface ProgramRun {
  /** Everything it printed (and the kernel printed on its console for it: reports, run/stop/reset outcomes). */
  output: string;
  /**
   * Why it ended: main returned, the input ran out while it waited for a line, it printed the
   * lines asked for (stopAfterLines), it trapped, or it asked for power off or reboot.
   */
  ended: "returned" | "input" | "output" | "trap" | "power off" | "reboot";
  trap: Trap | null;
  /** What abort() said, when it aborted. */
  failure: string;
  logs: string[];
  /** The same lines with their levels. */
  logLines: LogLine[];
  /** Programs it started (recorded, not run). */
  started: Started[];
}

/** Thrown by write once the program printed the lines a test waits for: a program that never returns ends here. */
class OutputComplete extends Error {}

export interface ProgramRunOptions {
  /** End the program once its output holds this many lines (for a program that never returns). */
  stopAfterLines?: number;
  /** Its argument line, as `run NAME ARGS…` gives it ("" by default). */
  argumentLine?: string;
}

export class ProgramHarness extends HarnessModule {
  readonly kind = "program";
  private input: string[] = [];
  private output = "";
  private stopAfterLines = Infinity;

  constructor(name: string, world: World, grants: string[], private readonly compiled: WebAssembly.Module) {
    super(name, world, grants);
  }

  /** Starts the program afresh and runs main() with `input` as the lines typed on its console. */
  run(input: string[] = [], options: ProgramRunOptions = {}): ProgramRun {
    this.input = [...input];
    this.stopAfterLines = options.stopAfterLines ?? Infinity;
    this.output = "";
    this.logs = [];
    this.logLines = [];
    this.started = [];
    this.argumentLine = options.argumentLine ?? "";
    this.failure = "";
    this.instantiate(this.compiled);
    let ended: ProgramRun["ended"] = "returned";
    let trap: Trap | null = null;
    try {
      (this.instance.exports.main as () => void)();
    } catch (error) {
      if (error instanceof InputExhausted) ended = "input";
      else if (error instanceof OutputComplete) ended = "output";
      else if (error instanceof PowerRequest) ended = error.kind;
      else {
        trap = classifyTrap(error);
        if (trap === null) throw error;
        ended = "trap";
      }
    }
    return { output: this.output, ended, trap, failure: this.failure, logs: this.logs, logLines: this.logLines, started: this.started };
  }

  override print(text: string): void {
    this.output += text;
    if (this.output.split("\n").length - 1 >= this.stopAfterLines) throw new OutputComplete();
  }

  override nextInputLine(): string {
    const line = this.input.shift();
    if (line === undefined) throw new InputExhausted();
    return line;
  }
}
