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

import { IDENTITY_MAPPED_BYTES } from "../../params";
import { physicalRead16, physicalRead32, physicalRead64, physicalRead8 } from "./hardware";

// RSDP (ACPI 6.5, 5.2.5.3).
const RSDP_SIGNATURE: u64 = 0x2052545020445352; // "RSD PTR "
const RSDP_REVISION: u64 = 15;
const RSDP_RSDT_ADDRESS: u64 = 16;
const RSDP_LENGTH: u64 = 20;
const RSDP_XSDT_ADDRESS: u64 = 24;
const RSDP_VERSION_1_BYTES: u32 = 20; // what the first checksum covers
const RSDP_VERSION_2_BYTES: u32 = 36;
const EBDA_SEGMENT_POINTER: u64 = 0x40e; // BIOS data area: the EBDA's real-mode segment
const EBDA_SEARCH_BYTES: u64 = 1024;
const BIOS_AREA_START: u64 = 0xe0000;
const BIOS_AREA_END: u64 = 0x100000;

// System description table header (5.2.6).
const TABLE_LENGTH: u64 = 4;
const TABLE_HEADER_BYTES: u32 = 36;
/** Largest table believed: real DSDTs are tens of KiB; a bigger length is garbage. */
const TABLE_MAX_BYTES: u32 = 1 << 20;
const SIGNATURE_RSDT: u32 = 0x54445352;
const SIGNATURE_XSDT: u32 = 0x54445358;
const SIGNATURE_FADT: u32 = 0x50434146; // "FACP"
const SIGNATURE_DSDT: u32 = 0x54445344;

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

// AML (20.2): the opcodes around Name(_S5_, Package(n){a, b, …}).
const NAME_S5: u32 = 0x5f35535f; // "_S5_"
const NAME_OP: u8 = 0x08;
const ROOT_PREFIX: u8 = 0x5c; // '\'
const PARENT_PREFIX: u8 = 0x5e; // '^'
const PACKAGE_OP: u8 = 0x12;
const ZERO_OP: u8 = 0x00;
const ONE_OP: u8 = 0x01;
const ONES_OP: u8 = 0xff;
const BYTE_PREFIX: u8 = 0x0a;
const WORD_PREFIX: u8 = 0x0b;
const DWORD_PREFIX: u8 = 0x0c;
const QWORD_PREFIX: u8 = 0x0e;
const SLEEP_TYPE_MASK: u64 = 7; // SLP_TYP is a 3-bit field of PM1x_CNT

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

/** An RSDP with a valid checksum in the EBDA's first KiB, then in the BIOS area; 0 if none. */
function searchRsdp(): u64 {
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
function findRoot(rsdp: u64, power: AcpiPower): string {
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
function findFadt(power: AcpiPower): string {
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

function readResetRegister(power: AcpiPower): void {
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
function readSleepControl(power: AcpiPower): void {
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

/** Looks for NameOp ['\' | '^'…] "_S5_" PackageOp in the DSDT's AML; "" once SLP_TYPa/b are read. */
function findSleepState5(dsdt: u64, length: u32, power: AcpiPower): string {
  let problem = "ACPI: DSDT has no _S5_ package";
  for (let offset: u64 = TABLE_HEADER_BYTES + 1; offset + 4 < <u64>length; offset++) {
    if (physicalRead32(dsdt + offset) != NAME_S5 || !namedByNameOp(dsdt, offset)) continue;
    const found = readSleepPackage(new AmlReader(dsdt + offset + 4, dsdt + length), power);
    if (found.length == 0) return "";
    problem = found;
  }
  return problem;
}

function namedByNameOp(dsdt: u64, offset: u64): bool {
  let before = offset - 1;
  if (physicalRead8(dsdt + before) == ROOT_PREFIX) before--;
  else while (before > TABLE_HEADER_BYTES && physicalRead8(dsdt + before) == PARENT_PREFIX) before--;
  return before >= TABLE_HEADER_BYTES && physicalRead8(dsdt + before) == NAME_OP;
}

/** Package(n){a, b, …} → SLP_TYPa = a, SLP_TYPb = b; a one-element package packs a in bits 0-7, b in bits 8-15 (as ACPICA reads it). */
function readSleepPackage(aml: AmlReader, power: AcpiPower): string {
  if (!aml.has(1) || aml.byte() != PACKAGE_OP) return "ACPI: the DSDT names _S5_ but not as a package";
  if (!aml.packageLength()) return "ACPI: the DSDT's _S5_ package runs past the end of the table";
  if (!aml.has(1)) return "ACPI: the DSDT's _S5_ package is empty";
  const elements = aml.byte();
  if (elements == 0) return "ACPI: the DSDT's _S5_ package has no elements";
  if (!aml.integer()) return "ACPI: the DSDT's _S5_ package element 0 is AML opcode 0x" + aml.opcode.toString(16) + ", not an integer";
  const first = aml.value;
  if (elements == 1) {
    power.sleepTypeA = <u8>(first & SLEEP_TYPE_MASK);
    power.sleepTypeB = <u8>((first >> 8) & SLEEP_TYPE_MASK);
    return "";
  }
  if (!aml.integer()) return "ACPI: the DSDT's _S5_ package element 1 is AML opcode 0x" + aml.opcode.toString(16) + ", not an integer";
  power.sleepTypeA = <u8>(first & SLEEP_TYPE_MASK);
  power.sleepTypeB = <u8>(aml.value & SLEEP_TYPE_MASK);
  return "";
}

/** A cursor over AML bytes in physical memory that never reads at or past `end`. */
class AmlReader {
  value: u64 = 0;
  /** The opcode integer() last looked at (to name it when it is not an integer). */
  opcode: u8 = 0;

  constructor(public position: u64, public end: u64) {}

  has(bytes: u64): bool {
    return this.position + bytes <= this.end;
  }

  byte(): u8 {
    return physicalRead8(this.position++);
  }

  /** PkgLength (1-4 bytes, counting itself): narrows `end` to the package's end; false if that overruns. */
  packageLength(): bool {
    const start = this.position;
    if (!this.has(1)) return false;
    const lead = this.byte();
    const following = <u64>(lead >> 6);
    if (!this.has(following)) return false;
    let length: u64 = following == 0 ? <u64>(lead & 0x3f) : <u64>(lead & 0x0f);
    for (let i: u64 = 0; i < following; i++) length |= <u64>this.byte() << (4 + 8 * i);
    if (length < 1 + following || start + length > this.end) return false;
    this.end = start + length;
    return true;
  }

  /** ZeroOp, OneOp, OnesOp or a Byte/Word/DWord/QWord constant into `value`; false for anything else. */
  integer(): bool {
    if (!this.has(1)) return false;
    this.opcode = this.byte();
    let bytes: u64 = 0;
    if (this.opcode == ZERO_OP || this.opcode == ONE_OP) this.value = this.opcode;
    else if (this.opcode == ONES_OP) this.value = <u64>-1;
    else if (this.opcode == BYTE_PREFIX) bytes = 1;
    else if (this.opcode == WORD_PREFIX) bytes = 2;
    else if (this.opcode == DWORD_PREFIX) bytes = 4;
    else if (this.opcode == QWORD_PREFIX) bytes = 8;
    else return false;
    if (!this.has(bytes)) return false;
    if (bytes != 0) this.value = 0;
    for (let i: u64 = 0; i < bytes; i++) this.value |= <u64>this.byte() << (8 * i);
    return true;
  }
}

/** "" when the table at `address` has `signature`, a believable length and a zero checksum; else why not. */
function checkTable(address: u64, signature: u32, name: string): string {
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

function checkRegister(space: u8, address: u64, name: string): string {
  if (space == ADDRESS_SPACE_IO && address != 0 && address <= 0xffff) return "";
  if (space == ADDRESS_SPACE_MEMORY && address != 0 && readable(address, 1)) return "";
  if (space != ADDRESS_SPACE_IO && space != ADDRESS_SPACE_MEMORY) {
    return "ACPI: " + name + " is in address space " + space.toString() + "; only system memory (0) and I/O (1) are handled";
  }
  return "ACPI: " + name + " address 0x" + address.toString(16) + " is not usable";
}

/** True when [address, address + length) is nonempty, not at 0, and inside the identity-mapped 4 GiB. */
function readable(address: u64, length: u64): bool {
  return address != 0 && address < IDENTITY_MAPPED_BYTES && length <= IDENTITY_MAPPED_BYTES - address;
}

function extendedChecksumIsZero(rsdp: u64): bool {
  const length = physicalRead32(rsdp + RSDP_LENGTH);
  return length >= RSDP_VERSION_2_BYTES && length <= 4096 && readable(rsdp, length) && checksumIsZero(rsdp, length);
}

/** The bytes at [address, address + length) add up to 0 modulo 256 (read 8 at a time). */
function checksumIsZero(address: u64, length: u32): bool {
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
