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

it("lists, prints, writes, appends and removes files on the data disk under /data, and says why when it cannot", async () => {
  const shell = await loadProgram(join(import.meta.dirname, "program.ts"), { system, dataFiles: { "/data/notes/todo.txt": "milk\n" } });
  const run = shell.run(["ls /", "ls /data", "ls /data/notes", "cat /data/notes/todo.txt", "append /data/notes/todo.txt eggs and flour",
    "cat /data/notes/todo.txt", "write /data/diary/today.txt sunny", "ls /data", "rm /data/notes/todo.txt", "cat /data/notes/todo.txt",
    "rm /data/notes/todo.txt", "write notes.txt relative", "cat /data/../etc/motd"]);
  expect(run.ended).toBe("input");
  expect(run.output).toMatch(/optios\$ [^\n]*data\/\n/); // ls / shows the data disk beside the boot filesystem
  expect(run.output).toContain("optios$ notes/\n");
  expect(run.output).toContain("optios$ todo.txt\n");
  expect(run.output).toContain("optios$ milk\neggs and flour\n");
  expect(run.output).toContain("optios$ diary/\nnotes/\n");
  expect(run.output).toContain("cat: /data/notes/todo.txt: no such file");
  expect(run.output).toContain("rm: /data/notes/todo.txt: no such file");
  expect(run.output).toContain("cat: /data/../etc/motd: a path on the data disk must be /data/...");
  expect(run.output).toContain("usage: write <file> <text>"); // notes.txt is not under /data: the shell names files in full
  expect(new TextDecoder().decode(shell.world.data!.files.get("/data/diary/today.txt"))).toBe("sunny\n");
  expect(shell.world.data!.files.has("/data/notes/todo.txt")).toBe(false);
});
