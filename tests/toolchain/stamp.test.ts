// Incremental builds: a task reruns exactly when an input, command or output says it must.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { Project } from "../../toolchain/src/project.ts";
import { BuildError } from "../../toolchain/src/build/process.ts";
import { hashInputs, stampPath } from "../../toolchain/src/build/stamp.ts";
import { runStep, type BuildContext, type Step, type Task } from "../../toolchain/src/build/step.ts";

let root: string;
let context: BuildContext;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "optios-stamp-"));
  const project: Project = { root, version: "0.0.0", kernelMaximumMemoryPages: 1, sourceDateEpoch: 0, systemFile: "systems/default/system.toml", kernelArguments: "", testKernel: false };
  context = { project, jobs: 2 };
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A step of one task per source: copies source to source.out, counting the copies it makes. */
function copyStep(sources: string[], runs: string[], options: { command?: string; fail?: string } = {}): Step {
  return {
    name: "copy",
    artifact: "out",
    async plan() {
      return sources.map(
        (source): Task => ({
          key: `copy-${source}`,
          inputs: { files: [source], commands: [["copy", options.command ?? "-v", source]], tools: ["copy 1.0"] },
          outputs: [`${source}.out`],
          run: async () => {
            runs.push(source);
            if (options.fail === source) throw new BuildError("copy", `${source}: refused`);
            writeFileSync(join(root, `${source}.out`), "copied");
          },
        }),
      );
    },
  };
}

describe("runStep", () => {
  test("runs a task the first time and skips it while nothing changed", async () => {
    writeFileSync(join(root, "a.txt"), "one");
    const runs: string[] = [];
    const first = await runStep(context, copyStep(["a.txt"], runs));
    const second = await runStep(context, copyStep(["a.txt"], runs));
    expect(runs).toEqual(["a.txt"]);
    expect(first.tasksRun).toBe(1);
    expect(second.tasksRun).toBe(0);
    expect(existsSync(stampPath(root, "copy-a.txt"))).toBe(true);
  });

  test("a changed input file reruns the task", async () => {
    writeFileSync(join(root, "a.txt"), "one");
    const runs: string[] = [];
    await runStep(context, copyStep(["a.txt"], runs));
    writeFileSync(join(root, "a.txt"), "two");
    await runStep(context, copyStep(["a.txt"], runs));
    expect(runs).toEqual(["a.txt", "a.txt"]);
  });

  test("a changed command line reruns the task", async () => {
    writeFileSync(join(root, "a.txt"), "one");
    const runs: string[] = [];
    await runStep(context, copyStep(["a.txt"], runs));
    await runStep(context, copyStep(["a.txt"], runs, { command: "--verbose" }));
    expect(runs).toEqual(["a.txt", "a.txt"]);
  });

  test("a missing output reruns the task even when the inputs are unchanged", async () => {
    writeFileSync(join(root, "a.txt"), "one");
    const runs: string[] = [];
    await runStep(context, copyStep(["a.txt"], runs));
    rmSync(join(root, "a.txt.out"));
    await runStep(context, copyStep(["a.txt"], runs));
    expect(runs).toEqual(["a.txt", "a.txt"]);
    expect(existsSync(join(root, "a.txt.out"))).toBe(true);
  });

  test("only the tasks whose inputs changed rerun", async () => {
    for (const name of ["a.txt", "b.txt", "c.txt"]) writeFileSync(join(root, name), name);
    const runs: string[] = [];
    await runStep(context, copyStep(["a.txt", "b.txt", "c.txt"], runs));
    writeFileSync(join(root, "b.txt"), "changed");
    const report = await runStep(context, copyStep(["a.txt", "b.txt", "c.txt"], runs));
    expect(runs.slice(3)).toEqual(["b.txt"]);
    expect(report).toMatchObject({ tasksRun: 1, tasksTotal: 3 });
  });

  test("a failed task leaves no stamp, so the next build retries it", async () => {
    writeFileSync(join(root, "a.txt"), "one");
    const runs: string[] = [];
    await runStep(context, copyStep(["a.txt"], runs));
    writeFileSync(join(root, "a.txt"), "two");
    await expect(runStep(context, copyStep(["a.txt"], runs, { fail: "a.txt" }))).rejects.toThrow("refused");
    expect(existsSync(stampPath(root, "copy-a.txt"))).toBe(false);
    // Back to the inputs of the last success: the old output must not pass for current.
    writeFileSync(join(root, "a.txt"), "one");
    await runStep(context, copyStep(["a.txt"], runs));
    expect(runs).toEqual(["a.txt", "a.txt", "a.txt"]);
  });

  test("a task that does not write its declared output fails its step", async () => {
    writeFileSync(join(root, "a.txt"), "one");
    const step: Step = {
      name: "forgetful",
      artifact: "a.txt.out",
      plan: async () => [
        { key: "forgetful", inputs: { files: ["a.txt"], commands: [], tools: [] }, outputs: ["a.txt.out"], run: async () => {} },
      ],
    };
    await expect(runStep(context, step)).rejects.toMatchObject({ step: "forgetful", message: "expected output a.txt.out was not written" });
  });
});

describe("hashInputs", () => {
  test("depends on file contents, commands, tool versions and values", () => {
    writeFileSync(join(root, "a.txt"), "one");
    const base = { files: ["a.txt"], commands: [["tool", "-x"]], tools: ["tool 1"], values: ["v"] };
    const hash = hashInputs(root, "k", base);
    expect(hashInputs(root, "k", { ...base })).toBe(hash);
    expect(hashInputs(root, "k", { ...base, commands: [["tool", "-y"]] })).not.toBe(hash);
    expect(hashInputs(root, "k", { ...base, tools: ["tool 2"] })).not.toBe(hash);
    expect(hashInputs(root, "k", { ...base, values: ["w"] })).not.toBe(hash);
    writeFileSync(join(root, "a.txt"), "two");
    expect(hashInputs(root, "k", base)).not.toBe(hash);
  });

  test("a missing input file is an error naming the task and the file", () => {
    expect(() => hashInputs(root, "gcc-main.c", { files: ["boot/main.c"], commands: [], tools: [] })).toThrow(
      "gcc-main.c: input file boot/main.c does not exist",
    );
  });
});
