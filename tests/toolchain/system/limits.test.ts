// The kernel's limits (interface/optios.ts) checked when the system is loaded: nothing the toolchain accepts is refused at boot.
import { describe, expect, it } from "vitest";
import { limit } from "../../../interface/optios.ts";
import { formatSize } from "../../../toolchain/src/system/units.ts";
import { SYSTEM, errorOf, load, writeFiles } from "./helpers.ts";

const handlers = (count: number) => Array.from({ length: count }, (_, index) =>
  `[[handlers]]\nname = "h${index}"\nsource = "h.ts"\nversion = "1"\nboot = true\n`).join("");
const programs = (count: number) => Array.from({ length: count }, (_, index) =>
  `[[programs]]\nname = "p${index}"\nsource = "p.ts"\n`).join("");

describe("module counts", () => {
  it(`accepts ${limit("MODULES_MAX") - 1} handlers beside one foreground program, and ${limit("HANDLERS_MAX")} with none`, async () => {
    const folder = writeFiles({ "system.toml": SYSTEM + handlers(limit("MODULES_MAX") - 1) + programs(1), "p.ts": "" });
    expect((await load(folder)).config.handlers).toHaveLength(limit("MODULES_MAX") - 1);
    const alone = writeFiles({ "system.toml": SYSTEM + handlers(limit("HANDLERS_MAX")) });
    expect((await load(alone)).config.handlers).toHaveLength(limit("HANDLERS_MAX"));
  });

  it("refuses more handlers than the kernel runs, naming the file and the limit", async () => {
    expect(await errorOf({ "system.toml": SYSTEM + handlers(limit("HANDLERS_MAX") + 1) })).toContain(
      `system.toml: [[handlers]]: ${limit("HANDLERS_MAX") + 1} handlers; the kernel runs at most ${limit("HANDLERS_MAX")} (HANDLERS_MAX)`);
  });

  it("refuses handlers and programs that would not fit the module table at once", async () => {
    const message = await errorOf({ "system.toml": `${SYSTEM}[foreground]\nmax = 2\n${handlers(limit("MODULES_MAX") - 1)}${programs(2)}`, "p.ts": "" });
    expect(message).toContain(`system.toml: ${limit("MODULES_MAX") - 1} handlers and up to 2 programs at once ([foreground] max = 2) need ` +
      `${limit("MODULES_MAX") + 1} modules loaded at once; the kernel holds at most ${limit("MODULES_MAX")} (MODULES_MAX)`);
  });

  it("refuses more programs than the kernel knows", async () => {
    const message = await errorOf({ "system.toml": SYSTEM + programs(limit("PROGRAMS_MAX") + 1), "p.ts": "" });
    expect(message).toContain(`system.toml: [[programs]]: ${limit("PROGRAMS_MAX") + 1} programs; the kernel knows at most ${limit("PROGRAMS_MAX")} (PROGRAMS_MAX)`);
  });
});

describe("a module's memory", () => {
  const withMemory = (memory: string) => `${SYSTEM}[[handlers]]\nname = "h"\nsource = "h.ts"\nversion = "1"\nboot = true\nmemory = "${memory}"\n` +
    `[[programs]]\nname = "p"\nsource = "p.ts"\nmemory = "${memory}"\n`;
  const maximum = formatSize(limit("MODULE_MEMORY_MAX_BYTES"));

  it(`accepts ${maximum}, the kernel's MODULE_MEMORY_MAX_BYTES, for a handler and a program`, async () => {
    const { config } = await load(writeFiles({ "system.toml": withMemory(maximum), "p.ts": "" }));
    expect([config.handlers[0].memoryBytes, config.programs[0].memoryBytes]).toEqual([limit("MODULE_MEMORY_MAX_BYTES"), limit("MODULE_MEMORY_MAX_BYTES")]);
  });

  it("refuses 4GiB (which the kernel would refuse at boot), naming the file, line and limit", async () => {
    const refused = (line: number, where: string) => `system.toml:${line}: ${where} memory: "4GiB" is more than the kernel reserves for one module, ` +
      `${maximum} (MODULE_MEMORY_MAX_BYTES); expected at most "${maximum}"`;
    expect(await errorOf({ "system.toml": withMemory("4GiB"), "p.ts": "" })).toBe(
      `${refused(9, "[[handlers]] #1 (name 'h')")}\n${refused(13, "[[programs]] #1 (name 'p')")}`);
  });

  it("refuses one page more than the limit", async () => {
    expect(await errorOf({ "system.toml": withMemory(`${limit("MODULE_MEMORY_MAX_BYTES") / 1024 + 64}KiB`), "p.ts": "" })).toContain(
      `memory: "${limit("MODULE_MEMORY_MAX_BYTES") / 1024 + 64}KiB" is more than the kernel reserves for one module, ${maximum} (MODULE_MEMORY_MAX_BYTES)`);
  });
});

describe("name lengths follow the kernel's limits", () => {
  const handler = (name: string, version: string, event: string) =>
    `${SYSTEM}[[handlers]]\nname = "${name}"\nsource = "h.ts"\nversion = "${version}"\nevents = ["${event}"]\n`;

  it("accepts a name, version and event name of exactly NAME_MAX_BYTES, VERSION_MAX_BYTES and EVENT_NAME_MAX_BYTES", async () => {
    const text = handler("n".repeat(limit("NAME_MAX_BYTES")), "v".repeat(limit("VERSION_MAX_BYTES")), "e".repeat(limit("EVENT_NAME_MAX_BYTES")));
    expect((await load(writeFiles({ "system.toml": text }))).config.handlers).toHaveLength(1);
  });

  it("refuses each one byte longer", async () => {
    const text = handler("n".repeat(limit("NAME_MAX_BYTES") + 1), "v".repeat(limit("VERSION_MAX_BYTES") + 1), "e".repeat(limit("EVENT_NAME_MAX_BYTES") + 1));
    const message = await errorOf({ "system.toml": text });
    expect(message).toContain(`name: expected a name of 1 to ${limit("NAME_MAX_BYTES")} lower-case letters`);
    expect(message).toContain(`version: expected a version string of 1 to ${limit("VERSION_MAX_BYTES")} printable characters`);
    expect(message).toContain(`events[1]: expected an event name of 1 to ${limit("EVENT_NAME_MAX_BYTES")} lower-case letters`);
  });
});

describe("the kernel command line", () => {
  it("kernel arguments that fit the kept command line with the menu's generation are accepted; longer ones are refused", async () => {
    const { checkKernelArguments } = await import("../../../toolchain/src/project.ts");
    const room = limit("COMMAND_LINE_MAX_BYTES") - " generation=".length - 10;
    expect(() => checkKernelArguments("x".repeat(room))).not.toThrow();
    expect(() => checkKernelArguments("x".repeat(room + 1))).toThrow(
      `--kernel-arguments: ${room + 1} bytes; the kernel keeps a ${limit("COMMAND_LINE_MAX_BYTES")}-byte command line ` +
      `(COMMAND_LINE_MAX_BYTES), 22 of them for " generation=N", so expected at most ${room}`);
  });
});
