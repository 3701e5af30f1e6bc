// Includes: modules compose a system, conflicts name both files, cycles name the chain.
import { describe, expect, it } from "vitest";
import { SYSTEM, errorOf, load, writeFiles } from "./helpers.ts";

const handler = (name: string, source = `${name}.ts`) => `[[handlers]]\nname = "${name}"\nsource = "${source}"\nversion = "1"\nboot = true\n`;
const program = (name: string, source = `${name}.ts`) => `[[programs]]\nname = "${name}"\nsource = "${source}"\n`;

describe("include", () => {
  it("extends included modules: handlers and programs concatenate in include order, started programs form a set", async () => {
    const folder = writeFiles({
      "programs/shell.ts": "", "modules/monitor.ts": "",
      "modules/base.toml": `[system]\nversion = "1.0"\n[foreground]\nmax = 2\nprograms = ["shell"]\n${handler("logger", "../handlers/logger.ts")}${program("shell", "../programs/shell.ts")}`,
      "modules/sensors.toml": `include = ["base.toml"]\n[foreground]\nprograms = ["shell", "monitor"]\n${handler("thermometer")}${program("monitor")}`,
      "system.toml": `include = ["modules/base.toml", "modules/sensors.toml"]\n[system]\nhostname = "box"\nversion = "1.0"\n${handler("heartbeat")}`,
    });
    const { config, files } = await load(folder);
    expect(config.handlers.map((item) => [item.name, item.source])).toEqual([
      ["logger", "handlers/logger.ts"],
      ["thermometer", "modules/thermometer.ts"],
      ["heartbeat", "heartbeat.ts"],
    ]);
    expect(config.foreground.programs).toEqual(["shell", "monitor"]);
    expect(config.programs).toEqual([
      { name: "shell", source: "programs/shell.ts", memoryBytes: 1_048_576, capabilities: [] },
      { name: "monitor", source: "modules/monitor.ts", memoryBytes: 1_048_576, capabilities: [] },
    ]);
    expect(files.map((file) => file.slice(folder.length + 1))).toEqual(["modules/base.toml", "modules/sensors.toml", "system.toml"]);
  });

  it("accepts a scalar set to the same value in two files", async () => {
    const folder = writeFiles({ "a.toml": `[system]\nhostname = "box"\n`, "system.toml": `include = ["a.toml"]\n${SYSTEM}` });
    expect((await load(folder)).config.system.hostname).toBe("box");
  });

  it("lets a file override what it includes, directly or through another module", async () => {
    const folder = writeFiles({
      "modules/base.toml": `[system]\nversion = "1.0"\nkeep_generations = 3\n[foreground]\nmax = 1\n`,
      "modules/middle.toml": `include = ["base.toml"]\n[foreground]\nmax = 3\n`,
      "system.toml": `include = ["modules/middle.toml"]\n[system]\nhostname = "box"\nversion = "2.0"\n`,
    });
    const { config } = await load(folder);
    expect(config.system.version).toBe("2.0");
    expect(config.system.keepGenerations).toBe(3);
    expect(config.foreground.max).toBe(3);
  });

  it("reports a scalar conflict between two modules that do not include each other, naming both files and the key", async () => {
    const message = await errorOf({
      "modules/a.toml": `[system]\nversion = "1.0"\n`,
      "modules/b.toml": `[system]\nversion = "2.0"\n`,
      "system.toml": `include = ["modules/a.toml", "modules/b.toml"]\n[system]\nhostname = "box"\n`,
    });
    expect(message).toBe(`modules/b.toml:2: [system] version: conflicting values "1.0" in modules/a.toml:2 and "2.0" in modules/b.toml:2; expected one value (set it in one file, the same in both, or in a file that includes both)`);
  });

  it("reports a handler defined in two files, naming both", async () => {
    const message = await errorOf({ "extra.toml": handler("heartbeat"), "system.toml": `include = ["extra.toml"]\n${SYSTEM}${handler("heartbeat")}` });
    expect(message).toBe("system.toml:5: [[handlers]] name: handler 'heartbeat' is defined in extra.toml:1 and again in system.toml:5; expected each handler name once");
  });

  it("reports a program defined in two files, naming both", async () => {
    const message = await errorOf({ "shell.ts": "", "extra.toml": program("shell"), "system.toml": `include = ["extra.toml"]\n${SYSTEM}${program("shell")}` });
    expect(message).toBe("system.toml:5: [[programs]] name: program 'shell' is defined in extra.toml:1 and again in system.toml:5; expected each program name once");
  });

  it("starts a program declared in an included file, and checks the start list against max from another", async () => {
    const folder = writeFiles({ "shell.ts": "", "programs.toml": `${program("shell")}[foreground]\nmax = 1\n`,
      "system.toml": `include = ["programs.toml"]\n${SYSTEM}[foreground]\nprograms = ["shell"]\n` });
    expect((await load(folder)).config.foreground).toEqual({ max: 1, programs: ["shell"] });
    const message = await errorOf({ "shell.ts": "", "editor.ts": "", "programs.toml": `${program("shell")}${program("editor")}[foreground]\nmax = 1\n`,
      "system.toml": `include = ["programs.toml"]\n${SYSTEM}[foreground]\nprograms = ["shell", "editor"]\n` });
    expect(message).toBe("system.toml:6: [foreground] programs: 2 programs to start at boot, one per virtual console, but [foreground] max is 1; expected at most 1");
  });

  it("reads a file reached twice (a diamond) once", async () => {
    const folder = writeFiles({
      "common.toml": handler("shared"),
      "left.toml": `include = ["common.toml"]\n`,
      "right.toml": `include = ["common.toml"]\n`,
      "system.toml": `include = ["left.toml", "right.toml"]\n${SYSTEM}`,
    });
    expect((await load(folder)).config.handlers.map((item) => item.name)).toEqual(["shared"]);
  });

  it("reports an include cycle with its chain", async () => {
    const message = await errorOf({
      "a.toml": `include = ["b.toml"]\n`,
      "b.toml": `include = ["a.toml"]\n`,
      "system.toml": `include = ["a.toml"]\n${SYSTEM}`,
    });
    expect(message).toBe("b.toml:1: include: include cycle: a.toml → b.toml → a.toml; expected each file to be included only by files it does not include");
  });

  it("reports a file that includes itself", async () => {
    const message = await errorOf({ "system.toml": `include = ["system.toml"]\n${SYSTEM}` });
    expect(message).toBe("system.toml:1: include: include cycle: system.toml → system.toml; expected each file to be included only by files it does not include");
  });

  it("reports a missing included file, naming it", async () => {
    const message = await errorOf({ "system.toml": `include = ["nowhere.toml"]\n${SYSTEM}` });
    expect(message).toBe("system.toml:1: include: file not found: nowhere.toml; expected a path relative to the including file");
  });

  it("names errors inside an included file by that file", async () => {
    const message = await errorOf({ "module.toml": `[foreground]\nmaxx = 2\n`, "system.toml": `include = ["module.toml"]\n${SYSTEM}` });
    expect(message).toBe("module.toml:2: unknown key 'maxx' in [foreground]; did you mean 'max'?");
  });
});
