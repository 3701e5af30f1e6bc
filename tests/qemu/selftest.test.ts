// The in-kernel tier: test=selftest runs the kernel's self-test table and reports through isa-debug-exit.
// The self-tests are in the test kernel only (kernel/test_main.ts), built here in a scratch root;
// the shipped kernel (build/kernel.elf) is left without them and boots normally when asked.
import { afterAll, beforeAll, expect, test } from "vitest";
import { join } from "node:path";
import { buildSystemInScratch, type ScratchBuild } from "../../toolchain/src/build/scratch.ts";
import { defaultKernelArguments, paths } from "../../toolchain/src/project.ts";
import { BANNER_TIMEOUT_MILLISECONDS, EXIT_SUCCESS, EXIT_TIMEOUT_MILLISECONDS, boot, images, useMachines } from "./harness.ts";
import { BUILD_TIMEOUT_MILLISECONDS } from "./shell_session.ts";

useMachines();

/** Fewer than this many self-tests means the table lost entries. */
const MINIMUM_SELF_TESTS = 5;

let scratch: ScratchBuild | undefined;

beforeAll(async () => {
  scratch = await buildSystemInScratch(paths.system, defaultKernelArguments, BUILD_TIMEOUT_MILLISECONDS, { testKernel: true });
}, BUILD_TIMEOUT_MILLISECONDS);

afterAll(() => scratch?.remove());

test("selftest: every in-kernel self-test passes and QEMU exits with the success status", async () => {
  const machine = boot({ kernel: join(scratch!.root, paths.kernelElf), append: "console=serial test=selftest" });
  const status = await machine.waitForExit(EXIT_TIMEOUT_MILLISECONDS);
  const output = machine.output;

  const failed = [...output.matchAll(/^selftest: (.*) \.\.\. FAILED.*$/gm)].map((match) => match[0].trim());
  expect(failed, "failed self-tests").toEqual([]);
  const summary = /^selftest: (\d+) passed, (\d+) failed\r?$/m.exec(output);
  expect(summary, `no "selftest: N passed, M failed" line in:\n${machine.readableOutput()}`).not.toBeNull();
  const passed = Number(summary![1]);
  expect(Number(summary![2])).toBe(0);
  expect(passed).toBeGreaterThanOrEqual(MINIMUM_SELF_TESTS);
  // The summary counts exactly the tests that reported "ok".
  const reportedOk = output.match(/^selftest: .* \.\.\. ok\r?$/gm) ?? [];
  expect(reportedOk.length).toBe(passed);
  expect(status).toBe(EXIT_SUCCESS);
});

test("the shipped kernel has no self-tests: test=selftest says where they are and the machine boots normally", async () => {
  const machine = boot({ kernel: images.kernel, append: "console=serial test=selftest" });
  await machine.waitFor(/test=selftest: this kernel has no self-tests \(they are in the test kernel, `optios build --test-kernel`\); booting normally/,
    BANNER_TIMEOUT_MILLISECONDS);
  // Booting on: the boot filesystem step comes after the self-tests' place in kernel_main (no initrd here).
  await machine.waitFor(/^boot filesystem: /m, BANNER_TIMEOUT_MILLISECONDS);
  expect(machine.output).not.toMatch(/^selftest: /m);
  expect(machine.status).toBeUndefined();
});
