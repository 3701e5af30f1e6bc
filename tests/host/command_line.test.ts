// Kernel command-line options (kernel/boot/command_line.ts).
import { beforeEach, describe, expect, it } from "vitest";
import { KernelUnderTest, startKernel } from "./fake_machine";

const SERIAL = 1;
const SCREEN = 2;
const ALL = 3;
let under: KernelUnderTest;

beforeEach(async () => {
  under = await startKernel();
});

function parse(line: string): { consoles: number; logLevel: number; test: number; warnings: string[] } {
  under.kernel.commandLineParse(under.input(line));
  const warnings: string[] = [];
  for (let i = 0; i < under.kernel.commandLineWarningCount(); i++) {
    under.kernel.commandLineWarning(i);
    warnings.push(under.result());
  }
  return {
    consoles: under.kernel.commandLineConsoles(),
    logLevel: under.kernel.commandLineLogLevel(),
    test: under.kernel.commandLineTest(),
    warnings,
  };
}

describe("command line", () => {
  it("defaults to every console, log level 6 and no test", () => {
    expect(parse("")).toEqual({ consoles: ALL, logLevel: 6, test: 0, warnings: [] });
  });

  it("reads console=, loglevel= and test=", () => {
    expect(parse("console=serial loglevel=3 test=selftest")).toEqual({ consoles: SERIAL, logLevel: 3, test: 1, warnings: [] });
    expect(parse("test=fault console=screen")).toMatchObject({ consoles: SCREEN, test: 2 });
    expect(parse("console=serial,screen")).toMatchObject({ consoles: ALL });
  });

  it("ignores words it does not own", () => {
    expect(parse("quiet root=/dev/sda marker=abc  console=serial")).toEqual({ consoles: SERIAL, logLevel: 6, test: 0, warnings: [] });
  });

  it("keeps defaults and warns, naming the option and what was expected, on bad values", () => {
    const options = parse("console=tty0 loglevel=9 test=everything");
    expect(options).toMatchObject({ consoles: ALL, logLevel: 6, test: 0 });
    expect(options.warnings).toEqual([
      "console=tty0: expected serial, screen or all (or a comma list); keeping console=all",
      "loglevel=9: expected a number from 0 to 7; keeping loglevel=6",
      "test=everything: expected selftest, fault or bench; booting normally",
    ]);
  });
});
