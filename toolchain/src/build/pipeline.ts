// The build pipeline: check tools, then interface → asc → wasm2c → gcc → ld → handlers → generation → grub → iso.
//
//   interface/optios.ts ─interface─► kernel/gate/interface.ts, handlers/api/interface.ts, boot/gate_*
//   kernel/**/*.ts ─asc─► kernel.wasm ─wasm2c─► kernel.c/.h ─┐
//   boot/*.c, boot/*.S ──────────────────────────────────────┴─gcc─► obj/*.o ─ld─► kernel.elf
//   systems/default/system.toml [[handlers]] ─handlers─► build/handlers/<name>.module
//   kernel.elf + modules + config ─generation─► store/ entries, generation N (when changed)
//   iso/*.template + the store's last K generations ─grub─► bios.img, BOOTX64.EFI ─iso─► optios.iso
import { Listr } from "listr2";
import { availableParallelism } from "node:os";
import { statSync } from "node:fs";
import { join } from "node:path";
import { paths, type Project } from "../project.ts";
import { ascStep } from "./asc.ts";
import { gccStep } from "./gcc.ts";
import { generationStep, storeFolder } from "./generation.ts";
import { withStoreLock } from "../store/recovery.ts";
import { handlersStep, programsStep } from "./handlers.ts";
import { initrdStep } from "./initrd.ts";
import { interfaceStep } from "./interface.ts";
import { grubImagesStep } from "./grub_images.ts";
import { isoStep } from "./iso.ts";
import { linkStep } from "./link.ts";
import { withBuildLock } from "./lock.ts";
import { formatStepLine, formatSummary } from "./report.ts";
import { runStep, type BuildContext, type Step, type StepReport } from "./step.ts";
import { buildRequirements, checkTools, initrdRequirements, type ToolEnvironment } from "./tools.ts";
import { wasm2cStep } from "./wasm2c.ts";

/** Every step, in the order it runs; a new step goes in this list. */
export const buildSteps: readonly Step[] = [interfaceStep, ascStep, wasm2cStep, gccStep, linkStep, handlersStep, programsStep, initrdStep, generationStep, grubImagesStep, isoStep];

export interface BuildOptions {
  /**
   * Live progress through listr2 (a spinner per running step, its timing when done). The
   * default: on when standard output is a terminal and no `log` is given; plain lines otherwise.
   */
  progress?: boolean;
  /** Parallel tasks within a step; defaults to the number of CPUs. */
  jobs?: number;
  /** Where log lines go; defaults to stdout. */
  log?: (line: string) => void;
  /** Overrides PATH lookups for the tool check (tests). */
  tools?: ToolEnvironment;
}

export interface BuildResult {
  steps: StepReport[];
  kernelBytes: number;
  isoBytes: number;
}

/** Builds build/kernel.elf and build/optios.iso; throws BuildError naming the failed step. */
export async function build(project: Project, options: BuildOptions = {}): Promise<BuildResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  checkTools("tools", [...buildRequirements, ...initrdRequirements], options.tools);
  // The store's lock too, for the whole build: a gc in between would collect the entries
  // this build stores before its generation references them.
  return await withBuildLock(project.root, () => withStoreLock(join(project.root, storeFolder), () => runSteps(project, options, log)), {
    onWait: (owner) => log(`  waiting  for another build of this project (process ${owner})`),
  });
}

async function runSteps(project: Project, options: BuildOptions, log: (line: string) => void): Promise<BuildResult> {
  const started = performance.now();
  const context: BuildContext = { project, jobs: options.jobs ?? availableParallelism() };
  const steps: StepReport[] = [];
  const progress = options.progress ?? (options.log === undefined && process.stdout.isTTY === true);
  if (progress) {
    // Each step is a listr2 task: a spinner while it runs, then its line with time and size.
    const tasks = new Listr(
      buildSteps.map((step) => ({
        title: step.name,
        task: async (_: unknown, task: { title: string }) => {
          const report = await runStep(context, step);
          task.title = formatStepLine(report).trimStart();
          steps.push(report);
        },
      })),
      { exitOnError: true, rendererOptions: { collapseErrors: false } },
    );
    await tasks.run();
  } else {
    for (const step of buildSteps) {
      const report = await runStep(context, step);
      log(formatStepLine(report));
      steps.push(report);
    }
  }
  const kernelBytes = statSync(join(project.root, paths.kernelElf)).size;
  const isoBytes = statSync(join(project.root, paths.iso)).size;
  const stepsRun = steps.filter((report) => report.tasksRun > 0).length;
  log(formatSummary(kernelBytes, isoBytes, performance.now() - started, stepsRun));
  return { steps, kernelBytes, isoBytes };
}
