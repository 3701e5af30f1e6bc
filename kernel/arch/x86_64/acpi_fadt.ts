// The FADT's fields for power control: PM1 control ports, RESET_REG, and the DSDT holding \_S5_.
//
// The FADT has grown over ACPI revisions, so each field is read only when the table's length
// (already checked by checkTable) covers it; a field the table is too short for becomes a
// reason string. Ports must fit in 16 bits and a memory reset register must be identity-mapped.
// What is found goes into AcpiPower; a problem with S5 sets only sleepError and a problem
// with the reset register only resetError, so each of power-off and reboot fails on its own.

import { findSleepState5 } from "./acpi_s5";
import { AcpiPower, checkTable, readable, SIGNATURE_DSDT, TABLE_HEADER_BYTES, TABLE_LENGTH } from "./acpi_tables";
import { physicalRead32, physicalRead64, physicalRead8 } from "./machine";

// FADT fields (5.2.9), by offset; each is read only when the table's length covers it.
const FADT_DSDT: u64 = 40; //                 u32
const FADT_PM1A_CONTROL_BLOCK: u64 = 64; //   u32 I/O port
const FADT_PM1B_CONTROL_BLOCK: u64 = 68; //   u32 I/O port
const FADT_FLAGS: u64 = 112; //               u32
const FADT_RESET_REGISTER: u64 = 116; //      generic address structure (12 bytes)
const FADT_RESET_VALUE: u64 = 128; //         u8
const FADT_X_DSDT: u64 = 140; //              u64
const FADT_X_PM1A_CONTROL_BLOCK: u64 = 172; // generic address structure
const FADT_X_PM1B_CONTROL_BLOCK: u64 = 184; // generic address structure
const FADT_FLAG_RESET_REGISTER_SUPPORTED: u32 = 1 << 10;
// Generic address structure (5.2.3.2): space u8, bit width u8, bit offset u8, access size u8, address u64.
const ADDRESS_SPACE: u64 = 0;
const ADDRESS_VALUE: u64 = 4;
const GENERIC_ADDRESS_BYTES: u64 = 12;
export const ADDRESS_SPACE_MEMORY: u8 = 0;
export const ADDRESS_SPACE_IO: u8 = 1;

/** RESET_REG and RESET_VALUE, when the FADT is long enough to hold them and its flags offer them. */
export function readResetRegister(power: AcpiPower): void {
  const fadt = power.fadtAddress;
  const length = physicalRead32(fadt + TABLE_LENGTH);
  if (<u64>length <= FADT_RESET_VALUE) {
    power.resetError = "ACPI: the FADT (" + length.toString() + " bytes, revision " + physicalRead8(fadt + 8).toString() +
      ") is too short to hold RESET_REG";
  } else if ((physicalRead32(fadt + FADT_FLAGS) & FADT_FLAG_RESET_REGISTER_SUPPORTED) == 0) {
    power.resetError = "ACPI: the FADT does not offer a reset register (flag RESET_REG_SUP is clear)";
  } else {
    power.resetSpace = physicalRead8(fadt + FADT_RESET_REGISTER + ADDRESS_SPACE);
    power.resetAddress = physicalRead64(fadt + FADT_RESET_REGISTER + ADDRESS_VALUE);
    power.resetValue = physicalRead8(fadt + FADT_RESET_VALUE);
    const problem = checkRegister(power.resetSpace, power.resetAddress, "the reset register");
    if (problem.length != 0) power.resetError = problem;
  }
}

/** PM1a/PM1b control ports (the 32-bit fields, else the X_ ones in I/O space) and \_S5_ from the DSDT. */
export function readSleepControl(power: AcpiPower): void {
  const fadt = power.fadtAddress;
  const length = <u64>physicalRead32(fadt + TABLE_LENGTH);
  if (length < FADT_PM1B_CONTROL_BLOCK + 4) {
    power.sleepError = "ACPI: the FADT (" + length.toString() + " bytes) is too short to hold PM1a_CNT_BLK";
    return;
  }
  const pm1a = controlBlock(fadt, length, FADT_PM1A_CONTROL_BLOCK, FADT_X_PM1A_CONTROL_BLOCK);
  const pm1b = controlBlock(fadt, length, FADT_PM1B_CONTROL_BLOCK, FADT_X_PM1B_CONTROL_BLOCK);
  if (pm1a == 0 || pm1a > 0xffff || pm1b > 0xffff) {
    power.sleepError = "ACPI: the FADT gives no usable PM1a control port (PM1a_CNT_BLK 0x" + pm1a.toString(16) +
      ", PM1b_CNT_BLK 0x" + pm1b.toString(16) + "; hardware-reduced ACPI is not supported)";
    return;
  }
  power.pm1aControlPort = <u16>pm1a;
  power.pm1bControlPort = <u16>pm1b;
  let dsdt: u64 = length >= FADT_X_DSDT + 8 ? physicalRead64(fadt + FADT_X_DSDT) : 0;
  if (dsdt == 0 || !readable(dsdt, TABLE_HEADER_BYTES)) dsdt = physicalRead32(fadt + FADT_DSDT);
  if (dsdt == 0) {
    power.sleepError = "ACPI: the FADT gives no DSDT";
    return;
  }
  power.dsdtAddress = dsdt;
  const problem = checkTable(dsdt, SIGNATURE_DSDT, "DSDT");
  power.sleepError = problem.length != 0 ? problem : findSleepState5(dsdt, physicalRead32(dsdt + TABLE_LENGTH), power);
}

function controlBlock(fadt: u64, length: u64, legacy: u64, extended: u64): u64 {
  const port = <u64>physicalRead32(fadt + legacy);
  if (port != 0 || length < extended + GENERIC_ADDRESS_BYTES) return port;
  return physicalRead8(fadt + extended + ADDRESS_SPACE) == ADDRESS_SPACE_IO ? physicalRead64(fadt + extended + ADDRESS_VALUE) : 0;
}

function checkRegister(space: u8, address: u64, name: string): string {
  if (space == ADDRESS_SPACE_IO && address != 0 && address <= 0xffff) return "";
  if (space == ADDRESS_SPACE_MEMORY && address != 0 && readable(address, 1)) return "";
  if (space != ADDRESS_SPACE_IO && space != ADDRESS_SPACE_MEMORY) {
    return "ACPI: " + name + " is in address space " + space.toString() + "; only system memory (0) and I/O (1) are handled";
  }
  return "ACPI: " + name + " address 0x" + address.toString(16) + " is not usable";
}
