// The in-kernel tier: test=selftest runs the kernel's self-test table and reports through isa-debug-exit.
import { expect, test } from "vitest";
import { EXIT_SUCCESS, EXIT_TIMEOUT_MILLISECONDS, boot, images, useMachines } from "./harness.ts";

useMachines();

/** Fewer than this many self-tests means the table lost entries. */
const MINIMUM_SELF_TESTS = 5;

test("selftest: every in-kernel self-test passes and QEMU exits with the success status", async () => {
  const machine = boot({ kernel: images.kernel, append: "console=serial test=selftest" });
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
