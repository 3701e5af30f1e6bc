// QEMU's isa-debug-exit device: how test boots end the emulator with a pass/fail status.
//
// Writing v to the port makes QEMU exit with status (v << 1) | 1. On a real PC (or QEMU
// without `-device isa-debug-exit,iobase=0xf4,iosize=0x04`) the write is ignored and the
// caller goes on to halt.

import { portWrite32 } from "./machine";

const DEBUG_EXIT_PORT: u16 = 0xf4;
/** QEMU exits with status 33. */
export const EXIT_SUCCESS: u32 = 0x10;
/** QEMU exits with status 35. */
export const EXIT_FAILURE: u32 = 0x11;

export function qemuDebugExit(code: u32): void {
  portWrite32(DEBUG_EXIT_PORT, code);
}
