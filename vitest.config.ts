// Test tiers: host (kernel sources as wasm in Node), toolchain, and qemu (boots under TCG).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      { test: { name: "host", include: ["tests/host/**/*.test.ts"], globalSetup: ["tests/host/global_setup.ts"] } },
      { test: { name: "toolchain", include: ["tests/toolchain/**/*.test.ts"], testTimeout: 60_000 } },
      {
        test: {
          name: "qemu",
          include: ["tests/qemu/**/*.test.ts"],
          // QEMU under TCG on a 2-core CI machine: one guest at a time, generous timeouts.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
