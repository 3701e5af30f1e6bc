// A page fault in the kernel is reported in full on the console and ends QEMU with failure.
import { expect, test } from "vitest";
import { EXIT_FAILURE, EXIT_TIMEOUT_MILLISECONDS, boot, images, useMachines } from "./harness.ts";

useMachines();

const GENERAL_REGISTERS = [
  "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP",
  "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
];
/** test=fault reads physical 256 GiB, far beyond anything mapped. */
const FAULT_ADDRESS = "0000004000000000";
/** The kernel is linked at 1 MiB (boot/linker.ld) and identity-mapped within the first 4 GiB. */
const KERNEL_BASE = 0x100000n;
const IDENTITY_MAPPED_END = 4n << 30n;

test("fault: test=fault prints the page-fault report and QEMU exits with the failure status", async () => {
  const machine = boot({ kernel: images.kernel, append: "console=serial test=fault" });
  const status = await machine.waitForExit(EXIT_TIMEOUT_MILLISECONDS);
  const output = machine.output;
  const start = output.search(/^.*CPU exception 14 \(page fault\)/m);
  expect(start, `no "CPU exception 14 (page fault)" line in:\n${machine.readableOutput()}`).toBeGreaterThanOrEqual(0);
  const report = output.slice(start);

  expect(report).toContain(`CR2=${FAULT_ADDRESS}`);
  const rip = /RIP=([0-9a-fA-F]+)/.exec(report);
  expect(rip, "RIP= with a hex value").not.toBeNull();
  const instruction = BigInt(`0x${rip![1]}`);
  expect(instruction >= KERNEL_BASE && instruction < IDENTITY_MAPPED_END, `RIP=${rip![1]} inside the kernel`).toBe(true);

  // A read of a page that is not present: error-code bits 0 (present) and 1 (write) clear.
  const errorCode = /error code[:= ]+(?:0x)?([0-9a-fA-F]+)/.exec(report);
  expect(errorCode, "error code with a hex value").not.toBeNull();
  expect(Number.parseInt(errorCode![1], 16) & 0b11).toBe(0);

  for (const register of GENERAL_REGISTERS) expect(report).toMatch(new RegExp(`\\b${register}=[0-9a-fA-F]{16}\\b`));
  expect(status).toBe(EXIT_FAILURE);
});
