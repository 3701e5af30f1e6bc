// Copy-in and copy-out: the only way the gate touches a caller's memory, every range checked first.
//
// An address and length from a module are checked against the module's memory size here,
// in 64-bit arithmetic so no sum wraps, before boot/modules.c copies (which checks again).
// A range that does not fit is refused whole: nothing is copied, the call returns
// ERROR_BAD_ADDRESS, and the module keeps running.

import { moduleCopyIn, moduleCopyOut, moduleMemoryBytes } from "../arch/x86_64/modules";

/** Whether [address, address + length) lies inside a memory of `memoryBytes`. */
export function rangeFits(address: u64, length: u64, memoryBytes: u64): bool {
  return address <= memoryBytes && length <= memoryBytes - address;
}

/** Copies `length` bytes at `address` in `module`'s memory to `destination` in the kernel's; false when out of range. */
export function copyIn(module: i32, destination: usize, address: u64, length: u64): bool {
  if (!rangeFits(address, length, moduleMemoryBytes(module))) return false;
  return length == 0 || moduleCopyIn(module, destination, <u32>address, <u32>length);
}

/** Copies `length` bytes from `source` in the kernel's memory to `address` in `module`'s; false when out of range. */
export function copyOut(module: i32, address: u64, source: usize, length: u64): bool {
  if (!rangeFits(address, length, moduleMemoryBytes(module))) return false;
  return length == 0 || moduleCopyOut(module, <u32>address, source, <u32>length);
}
