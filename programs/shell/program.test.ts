// shell: runs commands typed on its console, within the capabilities systems/default grants it.
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadProgram } from "../../toolchain/src/harness/index.ts";

const system = join(import.meta.dirname, "../../systems/default/system.toml");

it("echoes, lists and reads files, runs a program here with its arguments, and refuses a second console while [foreground] max is 1", async () => {
  const shell = await loadProgram(join(import.meta.dirname, "program.ts"), { system, files: { "/etc/motd": "welcome" } });
  const run = shell.run(["echo hello", "ls /etc", "cat /etc/motd", "run counter 20", "run -b counter"]);
  expect(run.ended).toBe("input");
  expect(run.output).toContain("optios$ hello\n");
  expect(run.output).toContain("motd");
  expect(run.output).toContain("welcome");
  expect(run.started).toEqual([{ name: "counter", argumentLine: "20", here: true }]);
  expect(run.output).toContain("run: all 1 console has a program ([foreground] max = 1)");
});
