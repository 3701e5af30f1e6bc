// Kernel command-line options: console=, loglevel=, test= (words separated by spaces).
//
//   console=serial|screen|all   where the console is shown; a comma list is allowed
//                               (serial,screen). Default: all.
//   loglevel=0..7               the most verbose log level shown on the console (syslog
//                               numbering: 0 emergency … 6 info, 7 debug). Default: 6.
//   test=selftest|fault|bench   test boots: run the in-kernel self-tests, raise a deliberate
//                               page fault, or measure handler runs (kernel/bench.ts); all
//                               end QEMU through isa-debug-exit. selftest and bench are only
//                               in the test kernel (kernel/test_modes.ts).
// Other words are left for later consumers and are not errors. A known option with a bad
// value keeps its default and adds a warning that names the option and what was expected.

import { DEFAULT_CONSOLE_LEVEL } from "../log/log";

export const CONSOLE_SERIAL: u32 = 1;
export const CONSOLE_SCREEN: u32 = 2;
export const CONSOLE_ALL: u32 = CONSOLE_SERIAL | CONSOLE_SCREEN;

export const TEST_NONE: u32 = 0;
export const TEST_SELFTEST: u32 = 1;
export const TEST_FAULT: u32 = 2;
export const TEST_BENCH: u32 = 3;

export class KernelOptions {
  consoles: u32 = CONSOLE_ALL;
  logLevel: u8 = DEFAULT_CONSOLE_LEVEL;
  test: u32 = TEST_NONE;
  warnings: string[] = [];
}

export function parseCommandLine(commandLine: string): KernelOptions {
  const options = new KernelOptions();
  const words = commandLine.split(" ");
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const equals = word.indexOf("=");
    if (equals <= 0) continue;
    const key = word.substring(0, equals);
    const value = word.substring(equals + 1);
    if (key == "console") parseConsole(value, options);
    else if (key == "loglevel") parseLogLevel(value, options);
    else if (key == "test") parseTest(value, options);
  }
  return options;
}

function parseConsole(value: string, options: KernelOptions): void {
  const names = value.split(",");
  let consoles: u32 = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (name == "serial") consoles |= CONSOLE_SERIAL;
    else if (name == "screen") consoles |= CONSOLE_SCREEN;
    else if (name == "all") consoles |= CONSOLE_ALL;
    else {
      options.warnings.push("console=" + value + ": expected serial, screen or all (or a comma list); keeping console=all");
      return;
    }
  }
  options.consoles = consoles;
}

function parseLogLevel(value: string, options: KernelOptions): void {
  if (value.length != 1 || value.charCodeAt(0) < 0x30 || value.charCodeAt(0) > 0x37) {
    options.warnings.push("loglevel=" + value + ": expected a number from 0 to 7; keeping loglevel=" + options.logLevel.toString());
    return;
  }
  options.logLevel = <u8>(value.charCodeAt(0) - 0x30);
}

function parseTest(value: string, options: KernelOptions): void {
  if (value == "selftest") options.test = TEST_SELFTEST;
  else if (value == "fault") options.test = TEST_FAULT;
  else if (value == "bench") options.test = TEST_BENCH;
  else options.warnings.push("test=" + value + ": expected selftest, fault or bench; booting normally");
}
