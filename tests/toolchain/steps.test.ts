// The steps' own rules: compiler flags, arena size, wasm2c's silent failures, the build lock.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { compilationUnits, compilerFlags, objectPath } from "../../toolchain/src/build/gcc.ts";
import { checkKernelBudget, KERNEL_BUDGET_BYTES, linkCommand, linkStep, stripCommand } from "../../toolchain/src/build/link.ts";
import { lockPath, withBuildLock } from "../../toolchain/src/build/lock.ts";
import { BuildError, runStepCommand } from "../../toolchain/src/build/process.ts";
import { checkTranslation } from "../../toolchain/src/build/wasm2c.ts";
import { kernelEntry, loadProject, paths, readSourceDateEpoch, runtimeArenaBytes, type Project } from "../../toolchain/src/project.ts";

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "optios-steps-"));
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

function project(maximumMemory: unknown): Project {
  writeFileSync(join(root, "asconfig.json"), JSON.stringify({ targets: { kernel: { maximumMemory } } }));
  return loadProject(root);
}

describe("project settings", () => {
  test("the runtime arena is the kernel's maximum memory plus one 64 KiB page", () => {
    expect(runtimeArenaBytes(project(32))).toBe(32 * 65536 + 65536);
  });

  test("a missing maximumMemory is an error naming asconfig.json and the field", () => {
    expect(() => project(undefined)).toThrow(/asconfig\.json: expected targets\.kernel\.maximumMemory/);
  });

  test("SOURCE_DATE_EPOCH overrides the fixed image date, and must be whole seconds", () => {
    expect(readSourceDateEpoch(undefined)).toBe(1704067200);
    expect(readSourceDateEpoch("86400")).toBe(86400);
    expect(() => readSourceDateEpoch("yesterday")).toThrow("SOURCE_DATE_EPOCH: expected whole seconds");
  });
});

describe("gcc and ld", () => {
  test("compile freestanding, keep wasm bounds checks, and never search the host's headers", () => {
    const flags = compilerFlags(project(32));
    expect(flags).toEqual(
      expect.arrayContaining(["-ffreestanding", "-nostdinc", "-mno-red-zone", "-mcmodel=small", "-fno-pic", "-fno-pie"]),
    );
    expect(flags).toContain("-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0");
    expect(flags).toContain(`-DRUNTIME_ARENA_BYTES=${33 * 65536}`);
    expect(flags).toContain("-Wa,--noexecstack");
    expect(flags.filter((flag) => flag.includes("/usr/include"))).toEqual([]);
  });

  test("every boot C and assembly file and the translated kernel become distinct objects", () => {
    mkdirSync(join(root, "boot"));
    for (const name of ["main.c", "entry.S", "boot.h", "linker.ld"]) writeFileSync(join(root, "boot", name), "");
    expect(compilationUnits(root)).toEqual(["boot/entry.S", "boot/main.c", paths.kernelC]);
    expect(compilationUnits(root).map(objectPath)).toEqual(["build/obj/entry.S.o", "build/obj/main.c.o", "build/obj/kernel.c.o"]);
  });

  test("ld links exactly the listed objects with the boot linker script", () => {
    const command = linkCommand(["build/obj/a.c.o", "build/obj/b.S.o"]);
    expect(command.slice(-2)).toEqual(["build/obj/a.c.o", "build/obj/b.S.o"]);
    expect(command).toEqual(expect.arrayContaining(["-T", "boot/linker.ld", "-o", "build/kernel.symbols.elf", "--no-warn-rwx-segments"]));
  });

  test("the bootable kernel is the linked one without its symbol tables", () => {
    expect(stripCommand).toEqual(["objcopy", "--strip-all", "build/kernel.symbols.elf", "build/kernel.elf"]);
  });

  test("the test kernel compiles kernel/test_main.ts and has no budget; the shipped one compiles kernel/main.ts under the budget", async () => {
    mkdirSync(join(root, "boot"));
    writeFileSync(join(root, "boot", "main.c"), "");
    const shipped = project(32);
    const testKernel = { ...shipped, testKernel: true };
    expect(kernelEntry(shipped)).toBe("kernel/main.ts");
    expect(kernelEntry(testKernel)).toBe("kernel/test_main.ts");
    const context = (of: Project) => ({ project: of, jobs: 1 });
    const [shippedLink] = await linkStep.plan(context(shipped));
    const [testLink] = await linkStep.plan(context(testKernel));
    expect(shippedLink.inputs.values).toEqual([`budget=${KERNEL_BUDGET_BYTES}`]);
    expect(testLink.inputs.values).toEqual(["budget=none (test kernel)"]);
  });

  test("a kernel over 400 KiB is refused, saying by how much and where to look", () => {
    expect(KERNEL_BUDGET_BYTES).toBe(409600);
    expect(checkKernelBudget(409600)).toBeUndefined();
    expect(checkKernelBudget(409600 + 1536)).toBe(
      "build/kernel.elf is 401.5 KiB (411136 bytes), over its budget of 400.0 KiB by 1.5 KiB; " +
        "`size -A build/kernel.symbols.elf` and `nm --size-sort -S build/kernel.symbols.elf` show what grew " +
        '(docs/build.md, "The kernel\'s size")',
    );
  });
});

describe("wasm2c's result", () => {
  function writeOutputs(header: string, source: string) {
    mkdirSync(join(root, paths.kernelBuild), { recursive: true });
    writeFileSync(join(root, paths.kernelHeader), header);
    writeFileSync(join(root, paths.kernelC), source);
  }

  test("an abort is reported with the SIMD hint even though wasm2c printed nothing", () => {
    writeOutputs("", "");
    const problem = checkTranslation(root, { status: 134, signal: "SIGABRT", stdout: "", stderr: "" });
    expect(problem).toMatch(/wasm2c was killed by SIGABRT.*SIMD/);
  });

  test("status 0 with an empty kernel.h is still a failure", () => {
    writeOutputs("", "int x;");
    expect(checkTranslation(root, { status: 0, stdout: "", stderr: "" })).toBe(`wasm2c exited 0 but left ${paths.kernelHeader} empty`);
  });

  test("status 0 with both files written is accepted", () => {
    writeOutputs("#pragma once", "int x;");
    expect(checkTranslation(root, { status: 0, stdout: "", stderr: "" })).toBeUndefined();
  });
});

describe("runStepCommand", () => {
  test("a failing tool becomes a BuildError with the step, the command and the tool's output", async () => {
    const error = await runStepCommand("gcc", ["sh", "-c", "echo 'main.c:1: error: oops' >&2; exit 1"], { cwd: root }).catch((caught) => caught);
    expect(error).toBeInstanceOf(BuildError);
    const text = (error as BuildError).describe();
    expect(text).toContain('optios: step "gcc" failed: sh exited with status 1');
    expect(text).toContain("command: sh -c 'echo '\\''main.c:1: error: oops'\\'' >&2; exit 1'");
    expect(text).toContain("main.c:1: error: oops");
  });

  test("a tool that cannot start is named", async () => {
    await expect(runStepCommand("ld", ["optios-no-such-tool"], { cwd: root })).rejects.toThrow("could not start optios-no-such-tool");
  });
});

describe("build lock", () => {
  test("is held while the build runs and released after, even when it fails", async () => {
    await withBuildLock(root, async () => {
      expect(readFileSync(lockPath(root), "utf8").trim()).toBe(String(process.pid));
    });
    await expect(withBuildLock(root, async () => Promise.reject(new Error("step failed")))).rejects.toThrow("step failed");
    expect(() => readFileSync(lockPath(root))).toThrow();
  });

  test("a lock left by a process that no longer exists is taken over", async () => {
    mkdirSync(join(root, "build"));
    writeFileSync(lockPath(root), "999999999\n");
    const waited: number[] = [];
    expect(await withBuildLock(root, async () => "built", { onWait: (owner) => waited.push(owner) })).toBe("built");
    expect(waited).toEqual([]);
  });

  test("a live owner is waited for, then the lock is taken", async () => {
    mkdirSync(join(root, "build"));
    writeFileSync(lockPath(root), "1\n"); // init: always alive
    const waited: number[] = [];
    setTimeout(() => rmSync(lockPath(root)), 300);
    expect(await withBuildLock(root, async () => "built", { onWait: (owner) => waited.push(owner) })).toBe("built");
    expect(waited).toEqual([1]);
  });
});
