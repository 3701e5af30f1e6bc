// ACPI tables as far as power-off and reset need them: the FADT and \_S5_.
//
//   RSDP "RSD PTR " (the loader's address, else found in the EBDA or 0xe0000-0xfffff)
//     ├─ revision ≥ 2, XsdtAddress ≠ 0 ─► XSDT (64-bit entries) ─┐
//     └─ otherwise ────────────────────► RSDT (32-bit entries) ─┴─► FADT "FACP"
//                                          PM1a/PM1b_CNT_BLK, flags, RESET_REG, RESET_VALUE
//                                          └─ X_DSDT (or DSDT) ─► AML: Name(_S5_, Package{SLP_TYPa, SLP_TYPb, …})
//
// Tables are read in place, one physicalRead at a time, and never trusted: each must carry
// its signature, a length of 36 bytes to 1 MiB lying below 4 GiB (all that is identity-mapped)
// and a zero checksum. Whatever is missing or wrong becomes a reason string in AcpiPower;
// garbage never makes this code trap or read outside the identity map. The AML is not
// interpreted: \_S5_ is found as the byte pattern NameOp "_S5_" PackageOp, as most small
// kernels do, which covers every firmware that declares it as a plain Name.
//
// acpi_tables.ts finds and checks the tables up to the FADT, acpi_fadt.ts reads the FADT's
// fields and acpi_s5.ts decodes \_S5_; this file is acpiRead, the one entry point.

import { readResetRegister, readSleepControl } from "./acpi_fadt";
import {
  AcpiPower, checksumIsZero, findFadt, findRoot, readable, RSDP_SIGNATURE, RSDP_VERSION_1_BYTES, RSDP_VERSION_2_BYTES,
  searchRsdp,
} from "./acpi_tables";
import { physicalRead64 } from "./machine";

export { ADDRESS_SPACE_IO, ADDRESS_SPACE_MEMORY } from "./acpi_fadt";
export { AcpiPower } from "./acpi_tables";

/** Reads the tables from the RSDP at `rsdpAddress` (0: search the BIOS areas for one). */
export function acpiRead(rsdpAddress: u64): AcpiPower {
  const power = new AcpiPower();
  const rsdp = rsdpAddress != 0 ? rsdpAddress : searchRsdp();
  if (rsdp == 0) return power.fail("ACPI: no RSDP: the loader gave none and none is in the EBDA or at 0xe0000-0xfffff");
  power.rsdpAddress = rsdp;
  if (!readable(rsdp, RSDP_VERSION_2_BYTES)) return power.fail("ACPI: RSDP address 0x" + rsdp.toString(16) + " is not below 4 GiB");
  if (physicalRead64(rsdp) != RSDP_SIGNATURE) return power.fail("ACPI: no \"RSD PTR \" signature at 0x" + rsdp.toString(16));
  if (!checksumIsZero(rsdp, RSDP_VERSION_1_BYTES)) return power.fail("ACPI: RSDP at 0x" + rsdp.toString(16) + " has a bad checksum");
  const problem = findRoot(rsdp, power);
  if (problem.length != 0) return power.fail(problem);
  const fadt = findFadt(power);
  if (fadt.length != 0) return power.fail(fadt);
  readResetRegister(power);
  readSleepControl(power);
  return power;
}
