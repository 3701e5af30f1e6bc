// ACPI table discovery: from the RSDP through the RSDT or XSDT to the FADT, each table checked.
//
// A table is believed only after checkTable(): its signature, a length of 36 bytes to 1 MiB
// lying below 4 GiB (readable(): all that is identity-mapped) and a zero checksum. Every read
// is of the BIOS areas searched for the RSDP or of bytes readable() has vouched for, so a
// garbage address gives a reason string, never a fault. AcpiPower, the record acpiRead
// (acpi.ts) fills and returns, is declared here, below the steps that write into it after
// discovery (acpi_fadt.ts, acpi_s5.ts), so that imports point one way.

import { IDENTITY_MAPPED_BYTES } from "../../params";
import { physicalRead16, physicalRead32, physicalRead64, physicalRead8 } from "./machine";

// RSDP (ACPI 6.5, 5.2.5.3).
export const RSDP_SIGNATURE: u64 = 0x2052545020445352; // "RSD PTR "
const RSDP_REVISION: u64 = 15;
const RSDP_RSDT_ADDRESS: u64 = 16;
const RSDP_LENGTH: u64 = 20;
const RSDP_XSDT_ADDRESS: u64 = 24;
export const RSDP_VERSION_1_BYTES: u32 = 20; // what the first checksum covers
export const RSDP_VERSION_2_BYTES: u32 = 36;
const EBDA_SEGMENT_POINTER: u64 = 0x40e; // BIOS data area: the EBDA's real-mode segment
const EBDA_SEARCH_BYTES: u64 = 1024;
const BIOS_AREA_START: u64 = 0xe0000;
const BIOS_AREA_END: u64 = 0x100000;

// System description table header (5.2.6).
export const TABLE_LENGTH: u64 = 4;
export const TABLE_HEADER_BYTES: u32 = 36;
/** Largest table believed: real DSDTs are tens of KiB; a bigger length is garbage. */
const TABLE_MAX_BYTES: u32 = 1 << 20;
const SIGNATURE_RSDT: u32 = 0x54445352;
const SIGNATURE_XSDT: u32 = 0x54445358;
const SIGNATURE_FADT: u32 = 0x50434146; // "FACP"
export const SIGNATURE_DSDT: u32 = 0x54445344;

/** What power control needs from ACPI, and why anything it needs could not be found. */
export class AcpiPower {
  rsdpAddress: u64 = 0;
  /** The XSDT when the RSDP offers a usable one, else the RSDT. */
  rootAddress: u64 = 0;
  rootIsXsdt: bool = false;
  fadtAddress: u64 = 0;
  dsdtAddress: u64 = 0;
  pm1aControlPort: u16 = 0;
  /** 0 when the machine has no PM1b block (most have none). */
  pm1bControlPort: u16 = 0;
  /** SLP_TYPa and SLP_TYPb for S5 (soft off), from \_S5_. */
  sleepTypeA: u8 = 0;
  sleepTypeB: u8 = 0;
  /** RESET_REG: ADDRESS_SPACE_IO or ADDRESS_SPACE_MEMORY, its address, and RESET_VALUE. */
  resetSpace: u8 = 0;
  resetAddress: u64 = 0;
  resetValue: u8 = 0;
  /** "" when S5 can be entered (PM1a port and \_S5_ found); otherwise why not. */
  sleepError: string = "";
  /** "" when the reset register can be used; otherwise why not. */
  resetError: string = "";

  fail(message: string): AcpiPower {
    if (this.sleepError.length == 0) this.sleepError = message;
    if (this.resetError.length == 0) this.resetError = message;
    return this;
  }
}

/** An RSDP with a valid checksum in the EBDA's first KiB, then in the BIOS area; 0 if none. */
export function searchRsdp(): u64 {
  const ebda = <u64>physicalRead16(EBDA_SEGMENT_POINTER) << 4;
  const found = ebda != 0 && ebda < BIOS_AREA_START ? searchRange(ebda, ebda + EBDA_SEARCH_BYTES) : 0;
  return found != 0 ? found : searchRange(BIOS_AREA_START, BIOS_AREA_END);
}

function searchRange(start: u64, end: u64): u64 {
  for (let address = start; address + RSDP_VERSION_1_BYTES <= end; address += 16) {
    if (physicalRead64(address) != RSDP_SIGNATURE || !checksumIsZero(address, RSDP_VERSION_1_BYTES)) continue;
    if (physicalRead8(address + RSDP_REVISION) < 2 || extendedChecksumIsZero(address)) return address;
  }
  return 0;
}

/** Chooses the XSDT (revision ≥ 2, extended checksum good, address usable) or else the RSDT, and checks it. */
export function findRoot(rsdp: u64, power: AcpiPower): string {
  if (physicalRead8(rsdp + RSDP_REVISION) >= 2 && extendedChecksumIsZero(rsdp)) {
    const xsdt = physicalRead64(rsdp + RSDP_XSDT_ADDRESS);
    if (xsdt != 0 && readable(xsdt, TABLE_HEADER_BYTES)) {
      power.rootAddress = xsdt;
      power.rootIsXsdt = true;
      return checkTable(xsdt, SIGNATURE_XSDT, "XSDT");
    }
  }
  const rsdt = <u64>physicalRead32(rsdp + RSDP_RSDT_ADDRESS);
  if (rsdt == 0) return "ACPI: RSDP at 0x" + rsdp.toString(16) + " gives neither a usable XSDT nor an RSDT";
  power.rootAddress = rsdt;
  return checkTable(rsdt, SIGNATURE_RSDT, "RSDT");
}

/** Finds the FADT among the root table's entries and reads its PM1 control ports. */
export function findFadt(power: AcpiPower): string {
  const root = power.rootAddress;
  const rootName = power.rootIsXsdt ? "XSDT" : "RSDT";
  const entryBytes: u64 = power.rootIsXsdt ? 8 : 4;
  const end = root + <u64>physicalRead32(root + TABLE_LENGTH);
  let problem = "ACPI: no FADT in the " + rootName;
  for (let entry = root + TABLE_HEADER_BYTES; entry + entryBytes <= end; entry += entryBytes) {
    const table = power.rootIsXsdt ? physicalRead64(entry) : <u64>physicalRead32(entry);
    if (!readable(table, TABLE_HEADER_BYTES) || physicalRead32(table) != SIGNATURE_FADT) continue;
    problem = checkTable(table, SIGNATURE_FADT, "FADT");
    if (problem.length == 0) {
      power.fadtAddress = table;
      return "";
    }
  }
  return problem;
}

/** "" when the table at `address` has `signature`, a believable length and a zero checksum; else why not. */
export function checkTable(address: u64, signature: u32, name: string): string {
  const at = name + " at 0x" + address.toString(16);
  if (!readable(address, TABLE_HEADER_BYTES)) return "ACPI: " + at + " is not below 4 GiB";
  const found = physicalRead32(address);
  if (found != signature) return "ACPI: " + at + " has signature \"" + signatureText(found) + "\"";
  const length = physicalRead32(address + TABLE_LENGTH);
  if (length < TABLE_HEADER_BYTES || length > TABLE_MAX_BYTES || !readable(address, length)) {
    return "ACPI: " + at + " claims " + length.toString() + " bytes; expected 36 to 1048576, below 4 GiB";
  }
  if (!checksumIsZero(address, length)) return "ACPI: " + at + " has a bad checksum";
  return "";
}

/** True when [address, address + length) is nonempty, not at 0, and inside the identity-mapped 4 GiB. */
export function readable(address: u64, length: u64): bool {
  return address != 0 && address < IDENTITY_MAPPED_BYTES && length <= IDENTITY_MAPPED_BYTES - address;
}

function extendedChecksumIsZero(rsdp: u64): bool {
  const length = physicalRead32(rsdp + RSDP_LENGTH);
  return length >= RSDP_VERSION_2_BYTES && length <= 4096 && readable(rsdp, length) && checksumIsZero(rsdp, length);
}

/** The bytes at [address, address + length) add up to 0 modulo 256 (read 8 at a time). */
export function checksumIsZero(address: u64, length: u32): bool {
  let sum: u64 = 0;
  let offset: u32 = 0;
  for (; offset + 8 <= length; offset += 8) {
    // Add the eight bytes of a word as lanes: pairs into 16 bits, then into 32, then the two halves.
    let word = physicalRead64(address + offset);
    word = (word & 0x00ff00ff00ff00ff) + ((word >> 8) & 0x00ff00ff00ff00ff);
    word = (word & 0x0000ffff0000ffff) + ((word >> 16) & 0x0000ffff0000ffff);
    sum += (word & 0xffffffff) + (word >> 32);
  }
  for (; offset < length; offset++) sum += physicalRead8(address + offset);
  return (sum & 0xff) == 0;
}

function signatureText(signature: u32): string {
  let text = "";
  for (let shift: u32 = 0; shift < 32; shift += 8) {
    const code = (signature >> shift) & 0xff;
    text += code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : "?";
  }
  return text;
}
