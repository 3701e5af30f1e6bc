// Test tiers: host (kernel sources as wasm in Node), toolchain, modules (tests beside handlers and programs), and qemu (boots under TCG).
import { defineConfig } from "vitest/config";

/** Each tier's temporary files go in one folder per run, removed at its end (toolchain/src/harness/temporary_folder.ts). */
const TEMPORARY = "toolchain/src/harness/temporary_folder.ts";

export default defineConfig({
  test: {
    projects: [
      { test: { name: "host", include: ["tests/host/**/*.test.ts"], globalSetup: [TEMPORARY, "tests/host/global_setup.ts"] } },
      { test: { name: "toolchain", include: ["tests/toolchain/**/*.test.ts"], globalSetup: [TEMPORARY], testTimeout: 60_000 } },
      // Tests that live beside a handler or program (optios new writes one for each).
      { test: { name: "modules", include: ["handlers/**/*.test.ts", "programs/**/*.test.ts"], passWithNoTests: true, globalSetup: [TEMPORARY], testTimeout: 60_000 } },
      {
        test: {
          name: "qemu",
          include: ["tests/qemu/**/*.test.ts"],
          globalSetup: [TEMPORARY],
          // QEMU under TCG on a 2-core CI machine: one guest at a time, generous timeouts.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
