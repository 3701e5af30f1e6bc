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

import { physicalCopyIn } from "../arch/x86_64/machine";
import { COMMAND_LINE_MAX_BYTES, MEMORY_REGIONS_MAX } from "../params";
import { BOOT_MODULES_MAX } from "../gate/interface";
import { BootInformation, BootModule, MemoryRegion, readCString } from "./boot_information";

export const PVH_BOOT_MAGIC: u32 = 0x336ec578;
const START_INFO_BYTES: u32 = 56;
const MEMORY_MAP_ENTRY_BYTES: u32 = 24;
const MODULE_ENTRY_BYTES: u32 = 32;

export function readPvh(address: u64, information: BootInformation): BootInformation {
  information.protocol = "pvh";
  information.loaderName = "a PVH loader";
  const start = new StaticArray<u8>(START_INFO_BYTES);
  const pointer = changetype<usize>(start);
  physicalCopyIn(pointer, address, START_INFO_BYTES);
  if (load<u32>(pointer) != PVH_BOOT_MAGIC) {
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
  if (commandLineAddress != 0) information.commandLine = readPhysicalString(commandLineAddress, COMMAND_LINE_MAX_BYTES);
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
