// CPU exception reports: vector, name, error code, RIP, CR2 and every general register.
//
// boot/idt.c calls kernel_exception() for vectors 0-31 with the frame saved; registers are
// read back one by one through exception_register(index) in the order below.

import { Text } from "../../console/text";
import { logAlways } from "../../log/log";
import { controlRegister, exceptionRegister } from "./machine";

const EXCEPTION_NAMES: StaticArray<string> = [
  "divide error", "debug", "non-maskable interrupt", "breakpoint", "overflow", "bound range exceeded",
  "invalid opcode", "device not available", "double fault", "coprocessor segment overrun", "invalid TSS",
  "segment not present", "stack-segment fault", "general protection fault", "page fault", "reserved",
  "x87 floating-point error", "alignment check", "machine check", "SIMD floating-point error",
  "virtualization exception", "control protection exception", "reserved", "reserved", "reserved",
  "reserved", "reserved", "reserved", "hypervisor injection", "VMM communication", "security exception",
  "reserved",
];

// exception_register() indices (boot/hardware.c keeps the same order).
const REGISTER_NAMES: StaticArray<string> = [
  "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP",
  "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
  "RIP", "RFLAGS", "CS", "SS",
];
const GENERAL_REGISTERS: u32 = 16;
const REGISTER_RFLAGS: u32 = 17;
const REGISTER_CS: u32 = 18;
const REGISTER_SS: u32 = 19;
const VECTOR_PAGE_FAULT: u32 = 14;
const CONTROL_REGISTER_CR2: u32 = 2;
const CONTROL_REGISTER_CR3: u32 = 3;

export function exceptionName(vector: u32): string {
  return vector < <u32>EXCEPTION_NAMES.length ? EXCEPTION_NAMES[vector] : "unknown";
}

const report = new Text();

export function reportException(vector: u32, errorCode: u64, rip: u64): void {
  logAlways(report.clear().string("*** CPU exception ").decimal(vector).string(" (").string(exceptionName(vector))
    .string(") in the kernel ***"));
  report.clear().string("error code 0x").hex(errorCode, 4).string("  RIP=").hex(rip, 16)
    .string("  CR2=").hex(controlRegister(CONTROL_REGISTER_CR2), 16);
  if (vector == VECTOR_PAGE_FAULT) report.string(pageFaultCause(errorCode));
  logAlways(report);
  for (let first: u32 = 0; first < GENERAL_REGISTERS; first += 4) {
    report.clear();
    for (let index = first; index < first + 4; index++) {
      if (index > first) report.string("  ");
      report.string(REGISTER_NAMES[index]).char(0x3d).hex(exceptionRegister(index), 16);
    }
    logAlways(report);
  }
  logAlways(report.clear().string("RFLAGS=").hex(exceptionRegister(REGISTER_RFLAGS), 16)
    .string("  CS=").hex(exceptionRegister(REGISTER_CS), 4).string("  SS=").hex(exceptionRegister(REGISTER_SS), 4)
    .string("  CR3=").hex(controlRegister(CONTROL_REGISTER_CR3), 16));
}

/** The page-fault error code's bits in words: present/not present, read/write, fetch. */
function pageFaultCause(errorCode: u64): string {
  const access = (errorCode & 0x10) != 0 ? "instruction fetch" : (errorCode & 0x2) != 0 ? "write" : "read";
  const page = (errorCode & 0x1) != 0 ? "protection violation" : "page not present";
  return "  (" + access + ", " + page + ")";
}
