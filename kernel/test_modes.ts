// The test boots only the test kernel has: test=selftest (kernel/selftest.ts) and test=bench
// (kernel/bench.ts). The shipped kernel (entry kernel/main.ts) leaves these null, so neither
// the self-tests nor the bench is linked into it; the test kernel's entry (kernel/test_main.ts,
// `optios build --test-kernel`) sets them before kernel_main runs.

import { BootInformation } from "./boot/boot_information";
import { TEST_BENCH, TEST_SELFTEST } from "./boot/command_line";

/** Runs the in-kernel self-tests; true when all passed. */
export let selfTests: ((information: BootInformation) => bool) | null = null;
/** Runs the handler and program bench; true when it completed. */
export let bench: (() => bool) | null = null;

export function testModesSet(runSelfTests: (information: BootInformation) => bool, runBench: () => bool): void {
  selfTests = runSelfTests;
  bench = runBench;
}

/**
 * Why the test boot `test` cannot run on this kernel ("" when it can): test=selftest and
 * test=bench need the test kernel. The kernel then boots normally, with this as a warning.
 */
export function testModeMissing(test: u32): string {
  if (test == TEST_SELFTEST && selfTests == null) return "test=selftest: this kernel has no self-tests (they are in the test kernel, `optios build --test-kernel`); booting normally";
  if (test == TEST_BENCH && bench == null) return "test=bench: this kernel has no bench (it is in the test kernel, `optios build --test-kernel`); booting normally";
  return "";
}
