// Host-test entry for ACPI power control (kernel/arch/x86_64/acpi.ts, kernel/power.ts), driven by tests/host/acpi.test.ts.
//
// The test lays ACPI tables out in the fake machine's physical memory and reads the port
// writes the fake recorded. Text results land in `result`; the kernel log is copied into
// `output` by logDump().

import { AcpiPower, acpiRead } from "../../kernel/arch/x86_64/acpi";
import { BootInformation } from "../../kernel/boot/boot_information";
import { Text } from "../../kernel/console/text";
import { logRing } from "../../kernel/log/log";
import { powerOff, reboot } from "../../kernel/power";

const result = new Text();
const input = new StaticArray<u8>(16);
const output = new StaticArray<u8>(32768);

export function resultPointer(): usize { return result.pointer; }
export function resultLength(): i32 { return result.length; }
export function inputPointer(): usize { return changetype<usize>(input); }
export function outputPointer(): usize { return changetype<usize>(output); }

let tables = new AcpiPower();

/** Reads the tables from the RSDP at `rsdpAddress` (0: search); the S5 error (or "") lands in `result`. */
export function acpiReadAt(rsdpAddress: u64): void {
  tables = acpiRead(rsdpAddress);
  result.clear().string(tables.sleepError);
}
export function acpiResetError(): void { result.clear().string(tables.resetError); }
export function acpiRsdpAddress(): u64 { return tables.rsdpAddress; }
export function acpiRootAddress(): u64 { return tables.rootAddress; }
export function acpiRootIsXsdt(): bool { return tables.rootIsXsdt; }
export function acpiFadtAddress(): u64 { return tables.fadtAddress; }
export function acpiDsdtAddress(): u64 { return tables.dsdtAddress; }
export function acpiPm1aControlPort(): u16 { return tables.pm1aControlPort; }
export function acpiPm1bControlPort(): u16 { return tables.pm1bControlPort; }
export function acpiSleepTypeA(): u8 { return tables.sleepTypeA; }
export function acpiSleepTypeB(): u8 { return tables.sleepTypeB; }
export function acpiResetSpace(): u8 { return tables.resetSpace; }
export function acpiResetAddress(): u64 { return tables.resetAddress; }
export function acpiResetValue(): u8 { return tables.resetValue; }

function information(rsdpAddress: u64): BootInformation {
  const boot = new BootInformation();
  boot.rsdpAddress = rsdpAddress;
  return boot;
}

/** powerOff with the RSDP at `rsdpAddress`; its message lands in `result`. */
export function powerOffWith(rsdpAddress: u64): void { result.clear().string(powerOff(information(rsdpAddress))); }
/** reboot with the RSDP at `rsdpAddress`; its message lands in `result`. */
export function rebootWith(rsdpAddress: u64): void { result.clear().string(reboot(information(rsdpAddress))); }

/** Heap bytes taken by `repeats` powerOff and reboot calls (the bump pointer's advance, less a probe's own). */
export function powerAllocatedBytes(rsdpAddress: u64, repeats: i32): i64 {
  const boot = information(rsdpAddress);
  const probe = <i64>heap.alloc(1);
  const baseline = <i64>heap.alloc(1) - probe;
  const before = <i64>heap.alloc(1);
  for (let i = 0; i < repeats; i++) {
    powerOff(boot);
    reboot(boot);
  }
  const after = <i64>heap.alloc(1);
  return after - before - baseline;
}

/** Copies the log ring's lines, each ending in '\n', into `output`; returns the bytes copied. */
export function logDump(): i32 {
  let length = 0;
  for (let cursor = logRing.first(); logRing.lines > 0 && cursor != logRing.end(); cursor = logRing.next(cursor)) {
    for (let i = 0; i < logRing.lineLength(cursor) && length < output.length - 1; i++) output[length++] = logRing.lineByte(cursor, i);
    output[length++] = 0x0a;
    if (length >= output.length - 1) break;
  }
  return length;
}
