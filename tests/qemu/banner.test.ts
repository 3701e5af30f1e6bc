// The banner tells the truth: memory figures follow -m, the command line is echoed exactly.
import { expect, test } from "vitest";
import { BANNER_LAST_LINE, BANNER_TIMEOUT_MILLISECONDS, boot, images, parseBanner, useMachines } from "./harness.ts";

useMachines();

for (const mebibytes of [16, 256]) {
  test(`memory: with -m ${mebibytes}M the banner reports 90-100% of it as total, and some of that free`, async () => {
    const machine = boot({ kernel: images.kernel, memory: `${mebibytes}M` });
    await machine.waitFor(BANNER_LAST_LINE, BANNER_TIMEOUT_MILLISECONDS);
    const { memory } = parseBanner(machine.output);
    const requestedKibibytes = mebibytes * 1024;
    expect(memory.totalKibibytes).toBeGreaterThanOrEqual(0.9 * requestedKibibytes);
    expect(memory.totalKibibytes).toBeLessThanOrEqual(requestedKibibytes);
    expect(memory.freeKibibytes).toBeGreaterThan(0);
    expect(memory.freeKibibytes).toBeLessThan(memory.totalKibibytes);
    // The MiB figures are the KiB figures with one decimal (rounding or truncating).
    expect(Math.abs(memory.totalMebibytes - memory.totalKibibytes / 1024)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(memory.freeMebibytes - memory.freeKibibytes / 1024)).toBeLessThanOrEqual(0.1);
  });
}

test("cmdline: the kernel echoes the command line it was given, exactly", async () => {
  const commandLine = "console=serial loglevel=5 marker=abc123";
  const machine = boot({ kernel: images.kernel, append: commandLine });
  await machine.waitFor(BANNER_LAST_LINE, BANNER_TIMEOUT_MILLISECONDS);
  expect(parseBanner(machine.output).commandLine).toBe(commandLine);
});

test("cmdline: an empty command line is shown as (empty)", async () => {
  const machine = boot({ kernel: images.kernel });
  await machine.waitFor(BANNER_LAST_LINE, BANNER_TIMEOUT_MILLISECONDS);
  expect(machine.output).toMatch(/^cmdline: \(empty\)\r?$/m);
});
