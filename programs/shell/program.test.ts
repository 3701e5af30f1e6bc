// shell: runs commands typed on its console, within the capabilities systems/default grants it.
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadProgram } from "../../toolchain/src/harness/index.ts";

const system = join(import.meta.dirname, "../../systems/default/system.toml");

it("echoes, lists and reads files, and refuses a second program while [foreground] max is 1", async () => {
  const shell = await loadProgram(join(import.meta.dirname, "program.ts"), { system, files: { "/etc/motd": "welcome" } });
  const run = shell.run(["echo hello", "ls /etc", "cat /etc/motd", "run counter"]);
  expect(run.ended).toBe("input");
  expect(run.output).toContain("optios$ hello\n");
  expect(run.output).toContain("motd");
  expect(run.output).toContain("welcome");
  expect(run.output).toContain("run: no free console: [foreground] max is 1");
});
