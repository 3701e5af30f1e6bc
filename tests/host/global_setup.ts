// Compiles every tests/host/*_under_test.ts entry (and so the kernel modules each drives) once per test run.
import asc from "assemblyscript/asc";
import { mkdirSync, readdirSync } from "node:fs";
import { basename } from "node:path";
import { entryWasm } from "./fake_machine";

export default async function compileEntriesUnderTest(): Promise<void> {
  mkdirSync("build/host", { recursive: true });
  const entries = readdirSync("tests/host").filter((name) => name.endsWith("_under_test.ts"));
  for (const entry of entries) {
    let errors = "";
    const name = basename(entry, ".ts");
    const { error } = await asc.main(
      [
        `tests/host/${entry}`,
        // The kernel's own compiler settings (asconfig.json, target "kernel"), other outputs.
        "--config", "asconfig.json", "--target", "kernel",
        "--outFile", entryWasm(name),
        "--textFile", `build/host/${name}.wat`,
      ],
      { stdout: { write: () => true }, stderr: { write: (text: string) => ((errors += text), true) } },
    );
    if (error) throw new Error(`AssemblyScript could not compile tests/host/${entry}:\n${errors}`);
  }
}
