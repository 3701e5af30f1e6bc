// The files a system names: regular files of bounded size inside the project root, includes nested at most 32 deep.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { INCLUDE_DEPTH_MAX, SOURCE_FILE_MAX_BYTES, SYSTEM_FILE_MAX_BYTES } from "../../../toolchain/src/system/schema.ts";
import { SYSTEM, errorOf, load, writeFiles } from "./helpers.ts";

const MODULE_RULE = "expected a path to a module file, relative to the including file: a regular file of at most 1MiB inside the project root";
const PROGRAM_RULE = "expected a path to the program's AssemblyScript source, relative to this file: a regular file of at most 4MiB inside the project root";
const HANDLER_RULE = "expected a path to the handler's source (AssemblyScript .ts, or WebAssembly text .wat), relative to this file: " +
  "a regular file of at most 4MiB inside the project root";

const handler = (source: string) => `[[handlers]]\nname = "h"\nsource = "${source}"\nversion = "1"\nboot = true\n`;
const program = (source: string) => `[[programs]]\nname = "shell"\nsource = "${source}"\n`;

/** The SystemConfigError message for the system.toml in `folder`. */
async function errorIn(folder: string): Promise<string> {
  try {
    await load(folder);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the configuration to be rejected");
}

/** A folder whose system.toml includes m1.toml, which includes m2.toml, … down to m<depth>.toml. */
function includeChain(depth: number): string {
  const folder = writeFiles({ "system.toml": `include = ["m1.toml"]\n${SYSTEM}` });
  for (let level = 1; level <= depth; level++) {
    writeFileSync(join(folder, `m${level}.toml`), level < depth ? `include = ["m${level + 1}.toml"]\n` : "");
  }
  return folder;
}

describe("includes", () => {
  it("refuses a device (/dev/zero) without reading it", async () => {
    expect(await errorOf({ "system.toml": `include = ["/dev/zero"]\n${SYSTEM}` })).toBe(
      `system.toml:1: include: /dev/zero is a character device, not a regular file; ${MODULE_RULE}`);
  });

  it("refuses a directory", async () => {
    expect(await errorOf({ "modules/base.toml": "", "system.toml": `include = ["modules"]\n${SYSTEM}` })).toBe(
      `system.toml:1: include: modules is a directory, not a regular file; ${MODULE_RULE}`);
  });

  it("refuses a FIFO (opening one would wait for a writer)", async () => {
    const folder = writeFiles({ "system.toml": `include = ["pipe.toml"]\n${SYSTEM}` });
    execFileSync("mkfifo", [join(folder, "pipe.toml")]);
    expect(await errorIn(folder)).toBe(`system.toml:1: include: pipe.toml is a FIFO, not a regular file; ${MODULE_RULE}`);
  });

  it(`refuses a module file over ${SYSTEM_FILE_MAX_BYTES} bytes and accepts one of exactly that size`, async () => {
    const folder = writeFiles({ "big.toml": "", "system.toml": `include = ["big.toml"]\n${SYSTEM}` });
    truncateSync(join(folder, "big.toml"), SYSTEM_FILE_MAX_BYTES + 1);
    expect(await errorIn(folder)).toBe(`system.toml:1: include: big.toml is ${SYSTEM_FILE_MAX_BYTES + 1} bytes, more than 1MiB (${SYSTEM_FILE_MAX_BYTES} bytes); ${MODULE_RULE}`);
    // A TOML comment padded to the cap exactly.
    writeFileSync(join(folder, "big.toml"), `#${" ".repeat(SYSTEM_FILE_MAX_BYTES - 2)}\n`);
    expect((await load(folder)).files).toHaveLength(2);
  });

  it("refuses a top-level system.toml over the cap", async () => {
    const folder = writeFiles({ "system.toml": SYSTEM });
    truncateSync(join(folder, "system.toml"), SYSTEM_FILE_MAX_BYTES + 1);
    expect(await errorIn(folder)).toBe(`system.toml: system.toml is ${SYSTEM_FILE_MAX_BYTES + 1} bytes, more than 1MiB (${SYSTEM_FILE_MAX_BYTES} bytes); ` +
      "expected a system.toml: a regular file of at most 1MiB inside the project root");
  });

  it("refuses a file outside the project root, named by its path", async () => {
    const elsewhere = writeFiles({ "module.toml": "" });
    const folder = writeFiles({ "system.toml": `include = ["${join(elsewhere, "module.toml")}"]\n${SYSTEM}` });
    expect(await errorIn(folder)).toBe(`system.toml:1: include: ${join(elsewhere, "module.toml")} is outside the project root ${folder}; ${MODULE_RULE}`);
  });

  it("refuses ../ out of the project root, even to a file that does not exist", async () => {
    const folder = writeFiles({ "system.toml": `include = ["../nowhere.toml"]\n${SYSTEM}` });
    expect(await errorIn(folder)).toBe(`system.toml:1: include: ${join(folder, "..", "nowhere.toml")} is outside the project root ${folder}; ${MODULE_RULE}`);
  });

  it("follows a symbolic link inside the project to a file elsewhere", async () => {
    const elsewhere = writeFiles({ "module.toml": `[foreground]\nmax = 2\n` });
    const folder = writeFiles({ "system.toml": `include = ["linked/module.toml"]\n${SYSTEM}` });
    symlinkSync(elsewhere, join(folder, "linked"));
    expect((await load(folder)).config.foreground.max).toBe(2);
  });

  it(`accepts includes nested ${INCLUDE_DEPTH_MAX} deep`, async () => {
    expect((await load(includeChain(INCLUDE_DEPTH_MAX))).files).toHaveLength(INCLUDE_DEPTH_MAX + 1);
  });

  it("refuses a 10,000-deep include chain at the include that goes too deep, with the chain", async () => {
    const folder = includeChain(10_000);
    onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
    expect(await errorIn(folder)).toBe(`m${INCLUDE_DEPTH_MAX}.toml:1: include: includes nested more than ${INCLUDE_DEPTH_MAX} deep: ` +
      `system.toml → m1.toml → … → m${INCLUDE_DEPTH_MAX - 1}.toml → m${INCLUDE_DEPTH_MAX}.toml → m${INCLUDE_DEPTH_MAX + 1}.toml; ` +
      `expected at most ${INCLUDE_DEPTH_MAX} levels of include (INCLUDE_DEPTH_MAX)`);
  });

  it("names the bad item of an include list", async () => {
    expect(await errorOf({ "a.toml": "", "system.toml": `include = ["a.toml", 7]\n${SYSTEM}` })).toBe(
      "system.toml:1: include[2]: expected a path to a module file, relative to this file, got 7");
  });
});

describe("handler and program sources", () => {
  it("refuses a program source that is a device", async () => {
    expect(await errorOf({ "system.toml": SYSTEM + program("/dev/zero") })).toBe(
      `system.toml:6: [[programs]] #1 (name 'shell') source: "/dev/zero" is a character device, not a regular file; ${PROGRAM_RULE}`);
  });

  it("refuses a program source outside the project root", async () => {
    const folder = writeFiles({ "system.toml": SYSTEM + program("../shell.ts") });
    expect(await errorIn(folder)).toBe(`system.toml:6: [[programs]] #1 (name 'shell') source: "../shell.ts" is outside the project root ${folder}; ${PROGRAM_RULE}`);
  });

  it(`refuses a program source over ${SOURCE_FILE_MAX_BYTES} bytes`, async () => {
    const folder = writeFiles({ "shell.ts": "", "system.toml": SYSTEM + program("shell.ts") });
    truncateSync(join(folder, "shell.ts"), SOURCE_FILE_MAX_BYTES + 1);
    expect(await errorIn(folder)).toBe(
      `system.toml:6: [[programs]] #1 (name 'shell') source: "shell.ts" is ${SOURCE_FILE_MAX_BYTES + 1} bytes, more than 4MiB (${SOURCE_FILE_MAX_BYTES} bytes); ${PROGRAM_RULE}`);
  });

  it("refuses a handler source that is a directory or outside the project, and leaves a missing one to the compiler", async () => {
    const folder = writeFiles({ "system.toml": SYSTEM + handler("handlers") });
    mkdirSync(join(folder, "handlers"));
    expect(await errorIn(folder)).toBe(`system.toml:6: [[handlers]] #1 (name 'h') source: "handlers" is a directory, not a regular file; ${HANDLER_RULE}`);
    const outside = writeFiles({ "system.toml": SYSTEM + handler("../h.ts") });
    expect(await errorIn(outside)).toBe(`system.toml:6: [[handlers]] #1 (name 'h') source: "../h.ts" is outside the project root ${outside}; ${HANDLER_RULE}`);
    expect((await load(writeFiles({ "system.toml": SYSTEM + handler("h.ts") }))).config.handlers[0].source).toBe("h.ts");
  });
});
