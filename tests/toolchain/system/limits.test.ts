// The kernel's limits (interface/optios.ts) checked when the system is loaded: nothing the toolchain accepts is dropped at boot.
import { describe, expect, it } from "vitest";
import { limit } from "../../../interface/optios.ts";
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
