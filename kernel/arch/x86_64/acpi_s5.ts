// \_S5_ in the DSDT's AML: the SLP_TYPa and SLP_TYPb values that put the machine in soft off.
//
// The AML is not interpreted: \_S5_ is found as the byte pattern NameOp "_S5_" PackageOp, as
// most small kernels do, which covers every firmware that declares it as a plain Name. The
// DSDT was checked by checkTable (acpi_tables.ts) first; the search stays between the end of
// its header and the end of the table, and the package is decoded through AmlReader, which
// never reads at or past the end of the table or of the package. Nothing here recurses.

import { AcpiPower, TABLE_HEADER_BYTES } from "./acpi_tables";
import { physicalRead32, physicalRead8 } from "./machine";

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

/** Looks for NameOp ['\' | '^'…] "_S5_" PackageOp in the DSDT's AML; "" once SLP_TYPa/b are read. */
export function findSleepState5(dsdt: u64, length: u32, power: AcpiPower): string {
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
