// Stopping the machine: panics (broken invariants), wasm traps in the kernel, and test exits.
//
// A panic names the function and the invariant, goes to every console and the log, and
// then stops: in a test boot QEMU exits with the failure status, otherwise the CPU halts.

import { haltForever } from "./arch/x86_64/machine";
import { EXIT_FAILURE, EXIT_SUCCESS, qemuDebugExit } from "./arch/x86_64/qemu_debug_exit";
import { Text } from "./console/text";
import { logAlways } from "./log/log";
import { trapText } from "./gate/interface";

let testBoot: bool = false;
// Its own line, so a panic raised while another line is being built does not garble it.
const panicLine = new Text();

/** In a test boot, stopping ends QEMU with a pass/fail status instead of halting. */
export function setTestBoot(enabled: bool): void {
  testBoot = enabled;
}

export function stopMachine(success: bool): void {
  if (testBoot) qemuDebugExit(success ? EXIT_SUCCESS : EXIT_FAILURE);
  logAlways(panicLine.clear().string("system halted."));
  haltForever();
}

export function panic(where: string, what: string): void {
  logAlways(panicLine.clear().string("PANIC in ").string(where).string(": ").string(what));
  stopMachine(false);
}

/** AssemblyScript's abort(), reached through env.abort (boot/main.c) and kernel_abort. */
export function abortKernel(message: string | null, file: string | null, line: u32, column: u32): void {
  panicLine.clear().string("PANIC: abort: ").string(message != null ? message : "(no message)");
  panicLine.string(" at ").string(file != null ? file : "?").char(0x3a).decimal(line).char(0x3a).decimal(column);
  logAlways(panicLine);
  stopMachine(false);
}
