// Compiles tests/host/kernel_under_test.ts (and so the kernel modules it drives) once per test run.
import asc from "assemblyscript/asc";
import { mkdirSync } from "node:fs";
import { KERNEL_UNDER_TEST_WASM } from "./fake_machine";

export default async function compileKernelUnderTest(): Promise<void> {
  mkdirSync("build/host", { recursive: true });
  let errors = "";
  const { error } = await asc.main(
    [
      "tests/host/kernel_under_test.ts",
      // The kernel's own compiler settings (asconfig.json, target "kernel"), other outputs.
      "--config", "asconfig.json", "--target", "kernel",
      "--outFile", KERNEL_UNDER_TEST_WASM,
      "--textFile", "build/host/kernel_under_test.wat",
    ],
    { stdout: { write: () => true }, stderr: { write: (text: string) => ((errors += text), true) } },
  );
  if (error) throw new Error(`AssemblyScript could not compile the kernel under test:\n${errors}`);
}
