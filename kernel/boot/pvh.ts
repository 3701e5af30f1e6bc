// PVH boot information (hvm_start_info, as QEMU's -kernel passes it): read into BootInformation.
//
//   hvm_start_info (version 1, 56 bytes)          hvm_memmap_table_entry (24 bytes)
//   0  magic u32 = 0x336ec578                     0  address u64
//   4  version u32                                8  size u64
//   8  flags u32                                  16 type u32 (E820 numbering)
//   12 module count u32                           20 reserved u32
//   16 module list address u64                    hvm_modlist_entry (32 bytes)
//   24 command line address u64                   0  address u64, 8 size u64,
//   32 RSDP address u64                           16 command line address u64, 24 reserved
//   40 memory map address u64
//   48 memory map entries u32, 52 reserved u32
//
// QEMU 7.2's PVH option ROM (pc-bios/optionrom/pvh_main.c) copies the command line into a
// 4096-byte buffer placed just before the start info, without checking its length: a command
// line of 4096 bytes or more (with its NUL, over 4096) overwrites the start info, and a long
// one the memory map after it. When the magic is wrong and QEMU's fw_cfg reports such a
// command line, the information is read again from fw_cfg (arch/x86_64/qemu_fw_cfg.ts): the
// memory map from "etc/e820", the command line, the initrd; the RSDP is left to ACPI's search.

import { physicalCopyIn, physicalRead8 } from "../arch/x86_64/machine";
import { FW_CFG_COMMAND_LINE_DATA, FW_CFG_COMMAND_LINE_SIZE, FW_CFG_INITRD_ADDRESS, FW_CFG_INITRD_SIZE, fwCfgByte, fwCfgFindFile,
  fwCfgNext32, fwCfgPresent, fwCfgRead32, fwCfgSelect } from "../arch/x86_64/qemu_fw_cfg";
import { BOOT_INFORMATION_MAX_BYTES, MEMORY_REGIONS_MAX } from "../params";
import { BOOT_MODULES_MAX, COMMAND_LINE_MAX_BYTES } from "../gate/interface";
import { BootInformation, BootModule, MemoryRegion, readCString } from "./boot_information";

export const PVH_BOOT_MAGIC: u32 = 0x336ec578;
const START_INFO_BYTES: u32 = 56;
const MEMORY_MAP_ENTRY_BYTES: u32 = 24;
const MODULE_ENTRY_BYTES: u32 = 32;
/** The option ROM's command-line buffer, in bytes (its NUL included). */
export const QEMU_PVH_COMMAND_LINE_BUFFER_BYTES: u32 = 4096;
/** fw_cfg's "etc/e820" entries: address u64, length u64, type u32, packed. */
const FW_CFG_E820_ENTRY_BYTES: u32 = 20;

export function readPvh(address: u64, information: BootInformation): BootInformation {
  information.protocol = "pvh";
  information.loaderName = "a PVH loader";
  const start = new StaticArray<u8>(START_INFO_BYTES);
  const pointer = changetype<usize>(start);
  physicalCopyIn(pointer, address, START_INFO_BYTES);
  if (load<u32>(pointer) != PVH_BOOT_MAGIC) {
    const commandLineBytes = fwCfgPresent() ? fwCfgRead32(FW_CFG_COMMAND_LINE_SIZE) : 0;
    if (commandLineBytes > QEMU_PVH_COMMAND_LINE_BUFFER_BYTES) return readFwCfg(address, commandLineBytes, information);
    return information.fail("PVH start info at 0x" + address.toString(16) + ": magic 0x" + load<u32>(pointer).toString(16) +
      ", expected 0x336ec578");
  }
  information.loaderRanges.push(new MemoryRegion(address, START_INFO_BYTES, 0));
  const version = load<u32>(pointer, 4);
  const mapEntries = load<u32>(pointer, 48);
  if (version < 1 || mapEntries == 0) {
    return information.fail("PVH start info version " + version.toString() + " carries no memory map; expected version 1 with entries");
  }
  readMemoryMap(load<u64>(pointer, 40), min<u32>(mapEntries, MEMORY_REGIONS_MAX), information);
  const commandLineAddress = load<u64>(pointer, 24);
  if (commandLineAddress != 0) readCommandLine(commandLineAddress, information);
  readModules(load<u64>(pointer, 16), min<u32>(load<u32>(pointer, 12), <u32>BOOT_MODULES_MAX), information);
  information.rsdpAddress = load<u64>(pointer, 32);
  return information;
}

function readMemoryMap(address: u64, entries: u32, information: BootInformation): void {
  const bytes = entries * MEMORY_MAP_ENTRY_BYTES;
  const table = new StaticArray<u8>(bytes);
  const pointer = changetype<usize>(table);
  physicalCopyIn(pointer, address, bytes);
  information.loaderRanges.push(new MemoryRegion(address, bytes, 0));
  for (let entry: u32 = 0; entry < bytes; entry += MEMORY_MAP_ENTRY_BYTES) {
    const length = load<u64>(pointer + entry, 8);
    if (length != 0) information.regions.push(new MemoryRegion(load<u64>(pointer + entry), length, load<u32>(pointer + entry, 16)));
  }
}

function readModules(address: u64, count: u32, information: BootInformation): void {
  if (count == 0 || address == 0) return;
  const bytes = count * MODULE_ENTRY_BYTES;
  const table = new StaticArray<u8>(bytes);
  const pointer = changetype<usize>(table);
  physicalCopyIn(pointer, address, bytes);
  for (let entry: u32 = 0; entry < bytes; entry += MODULE_ENTRY_BYTES) {
    const start = load<u64>(pointer + entry);
    const name = load<u64>(pointer + entry, 16);
    information.modules.push(new BootModule(start, start + load<u64>(pointer + entry, 8),
      name != 0 ? readPhysicalString(name, COMMAND_LINE_MAX_BYTES) : ""));
  }
}

function readPhysicalString(address: u64, limit: i32): string {
  const buffer = new StaticArray<u8>(limit);
  physicalCopyIn(changetype<usize>(buffer), address, limit);
  return readCString(changetype<usize>(buffer), limit);
}

/** The command line at physical `address`: its length measured (up to 64 KiB), the first COMMAND_LINE_MAX_BYTES kept. */
function readCommandLine(address: u64, information: BootInformation): void {
  let length: u64 = 0;
  while (length < <u64>BOOT_INFORMATION_MAX_BYTES && physicalRead8(address + length) != 0) length++;
  const kept = <i32>min<u64>(length, <u64>COMMAND_LINE_MAX_BYTES);
  const buffer = new StaticArray<u8>(kept);
  physicalCopyIn(changetype<usize>(buffer), address, <u32>kept);
  information.setCommandLine(changetype<usize>(buffer), length);
}

/**
 * The start info at `address` was overwritten by QEMU's option ROM copying a `commandLineBytes`-byte
 * command line (NUL included) into its 4096-byte buffer: reads what it held from fw_cfg instead.
 */
function readFwCfg(address: u64, commandLineBytes: u32, information: BootInformation): BootInformation {
  information.loaderName = "a PVH loader (QEMU; start info rebuilt from fw_cfg)";
  information.warnings.push("PVH: QEMU's option ROM copied the " + (commandLineBytes - 1).toString() + "-byte command line into its " +
    QEMU_PVH_COMMAND_LINE_BUFFER_BYTES.toString() + "-byte buffer and overwrote the start info at 0x" + address.toString(16) +
    "; the memory map, command line and initrd were read from fw_cfg instead");
  const e820 = fwCfgFindFile("etc/e820");
  const entries = min<u32>(e820.bytes / FW_CFG_E820_ENTRY_BYTES, <u32>MEMORY_REGIONS_MAX);
  if (e820.item == 0 || entries == 0) {
    return information.fail("PVH start info at 0x" + address.toString(16) + " was overwritten by a " + (commandLineBytes - 1).toString() +
      "-byte command line (QEMU's option ROM keeps 4095 bytes), and fw_cfg has no etc/e820 memory map to boot from instead");
  }
  fwCfgSelect(e820.item);
  for (let entry: u32 = 0; entry < entries; entry++) {
    const base = <u64>fwCfgNext32() | (<u64>fwCfgNext32() << 32);
    const length = <u64>fwCfgNext32() | (<u64>fwCfgNext32() << 32);
    const kind = fwCfgNext32();
    if (length != 0) information.regions.push(new MemoryRegion(base, length, kind));
  }
  const kept = <i32>min<u32>(commandLineBytes - 1, <u32>COMMAND_LINE_MAX_BYTES);
  const buffer = new StaticArray<u8>(kept);
  fwCfgSelect(FW_CFG_COMMAND_LINE_DATA);
  for (let i = 0; i < kept; i++) buffer[i] = fwCfgByte();
  information.setCommandLine(changetype<usize>(buffer), <u64>commandLineBytes - 1);
  const initrdAddress = <u64>fwCfgRead32(FW_CFG_INITRD_ADDRESS);
  const initrdBytes = <u64>fwCfgRead32(FW_CFG_INITRD_SIZE);
  if (initrdAddress != 0) information.modules.push(new BootModule(initrdAddress, initrdAddress + initrdBytes, ""));
  return information;
}
