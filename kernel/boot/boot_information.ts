// What the boot loader told us, in one shape whichever protocol (multiboot2 or PVH) brought us here.

import { COMMAND_LINE_MAX_BYTES } from "../gate/interface";
import { Framebuffer } from "../console/framebuffer_console";

// Memory-map region kinds: the same numbers in multiboot2 and in the E820 map PVH passes on.
export const MEMORY_AVAILABLE: u32 = 1;
export const MEMORY_RESERVED: u32 = 2;
export const MEMORY_ACPI_RECLAIMABLE: u32 = 3;
export const MEMORY_ACPI_NVS: u32 = 4;
export const MEMORY_BAD: u32 = 5;

export class MemoryRegion {
  constructor(public base: u64, public length: u64, public kind: u32) {}

  get end(): u64 {
    return this.base + this.length;
  }
}

export class BootModule {
  constructor(public start: u64, public end: u64, public name: string) {}
}

export class BootInformation {
  /** "multiboot2" or "pvh". */
  protocol: string = "";
  loaderName: string = "";
  commandLine: string = "";
  regions: MemoryRegion[] = [];
  modules: BootModule[] = [];
  framebuffer: Framebuffer | null = null;
  /** Physical address of the ACPI RSDP (or of the loader's copy of it); 0 if none was given. */
  rsdpAddress: u64 = 0;
  rsdpRevision: u8 = 0;
  /** Physical ranges the loader's own structures occupy; the page allocator keeps them. */
  loaderRanges: MemoryRegion[] = [];
  /** Empty when the information was read; otherwise what was wrong with it. */
  error: string = "";
  /** What was read but not as given (a command line cut, a start info rebuilt); logged after the banner. */
  warnings: string[] = [];

  fail(message: string): BootInformation {
    if (this.error.length == 0) this.error = message;
    return this;
  }

  /**
   * Keeps the command line of `fullBytes` bytes (without its NUL) that starts at `address` in
   * kernel memory, cut to COMMAND_LINE_MAX_BYTES with a warning when it is longer.
   */
  setCommandLine(address: usize, fullBytes: u64): void {
    const kept = <i32>min<u64>(fullBytes, <u64>COMMAND_LINE_MAX_BYTES);
    this.commandLine = readCString(address, kept);
    if (fullBytes > <u64>COMMAND_LINE_MAX_BYTES) {
      this.warnings.push("command line: " + fullBytes.toString() + " bytes, cut to the first " + COMMAND_LINE_MAX_BYTES.toString() +
        " (COMMAND_LINE_MAX_BYTES); the rest is ignored");
    }
  }

  availableBytes(): u64 {
    let total: u64 = 0;
    for (let i = 0; i < this.regions.length; i++) {
      if (this.regions[i].kind == MEMORY_AVAILABLE) total += this.regions[i].length;
    }
    return total;
  }
}

/** Reads a NUL-terminated string of at most `limit` bytes at `address` in kernel memory. */
export function readCString(address: usize, limit: i32): string {
  let length = 0;
  while (length < limit && load<u8>(address + length) != 0) length++;
  return String.UTF8.decodeUnsafe(address, length);
}
