// Multiboot2 boot information: copied into kernel memory, checked, turned into BootInformation.
//
// Layout (multiboot2 specification, section 3.6): a u32 total size, a u32 reserved, then
// tags, each 8-byte aligned:
//
//   ┌──────────┬──────────┬─────────────────────┐
//   │ type u32 │ size u32 │ size - 8 bytes data │   ... until a tag of type 0, size 8
//   └──────────┴──────────┴─────────────────────┘
//
// Every size and offset is checked against the total before it is used; a bad structure is
// reported by naming the tag, its offset and what was expected.

import { physicalCopyIn, physicalRead32 } from "../arch/x86_64/machine";
import { Framebuffer, FRAMEBUFFER_KIND_RGB } from "../console/framebuffer_console";
import { BOOT_INFORMATION_MAX_BYTES, MEMORY_REGIONS_MAX } from "../params";
import { BOOT_MODULES_MAX } from "../gate/interface";
import { BootInformation, BootModule, MEMORY_AVAILABLE, MemoryRegion, readCString } from "./boot_information";

/** Bytes before the first NUL among the `limit` at `address` in kernel memory. */
function cStringLength(address: usize, limit: u32): u64 {
  let length: u32 = 0;
  while (length < limit && load<u8>(address + length) != 0) length++;
  return length;
}

export const MULTIBOOT2_BOOT_MAGIC: u32 = 0x36d76289;

const TAG_END: u32 = 0;
const TAG_COMMAND_LINE: u32 = 1;
const TAG_LOADER_NAME: u32 = 2;
const TAG_MODULE: u32 = 3;
const TAG_BASIC_MEMORY: u32 = 4;
const TAG_MEMORY_MAP: u32 = 6;
const TAG_FRAMEBUFFER: u32 = 8;
const TAG_ACPI_OLD_RSDP: u32 = 14;
const TAG_ACPI_NEW_RSDP: u32 = 15;
const TAG_HEADER_BYTES: u32 = 8;
const MEMORY_MAP_ENTRY_MIN_BYTES: u32 = 24;
const FRAMEBUFFER_TAG_MIN_BYTES: u32 = 31;
const FRAMEBUFFER_RGB_TAG_MIN_BYTES: u32 = 38;

/** Copies the structure at physical `address` into kernel memory and parses it. */
export function readMultiboot2(address: u64, information: BootInformation): BootInformation {
  information.protocol = "multiboot2";
  if (address == 0 || (address & 7) != 0) {
    return information.fail("multiboot2 information address 0x" + address.toString(16) + " is not 8-byte aligned");
  }
  const total = physicalRead32(address);
  if (total < 16 || total > BOOT_INFORMATION_MAX_BYTES) {
    return information.fail("multiboot2 information claims " + total.toString() + " bytes; expected 16 to " +
      BOOT_INFORMATION_MAX_BYTES.toString());
  }
  const copy = new StaticArray<u8>(total);
  physicalCopyIn(changetype<usize>(copy), address, total);
  information.loaderRanges.push(new MemoryRegion(address, total, 0));
  return parseMultiboot2(changetype<usize>(copy), total, address, information);
}

/** Parses `total` bytes at `pointer` (kernel memory); `physical` is where they came from. */
export function parseMultiboot2(pointer: usize, total: u32, physical: u64, information: BootInformation): BootInformation {
  information.protocol = "multiboot2";
  if (total < 16 || load<u32>(pointer) != total) {
    return information.fail("multiboot2 information: size field says " + load<u32>(pointer).toString() +
      " bytes, expected " + total.toString());
  }
  let basicLowerKiB: u64 = 0;
  let basicUpperKiB: u64 = 0;
  let offset: u32 = 8;
  let ended = false;
  while (offset + TAG_HEADER_BYTES <= total) {
    const tag = pointer + offset;
    const type = load<u32>(tag);
    const size = load<u32>(tag, 4);
    if (size < TAG_HEADER_BYTES || size > total - offset) {
      return information.fail("multiboot2 tag " + type.toString() + " at offset " + offset.toString() + ": size " +
        size.toString() + " runs past the end of the " + total.toString() + "-byte structure");
    }
    if (type == TAG_END) {
      ended = true;
      break;
    }
    if (type == TAG_COMMAND_LINE) information.setCommandLine(tag + 8, cStringLength(tag + 8, size - 8));
    else if (type == TAG_LOADER_NAME) information.loaderName = readCString(tag + 8, size - 8);
    else if (type == TAG_MODULE && size >= 16 && information.modules.length < BOOT_MODULES_MAX) {
      information.modules.push(new BootModule(load<u32>(tag, 8), load<u32>(tag, 12), readCString(tag + 16, size - 16)));
    } else if (type == TAG_BASIC_MEMORY && size >= 16) {
      basicLowerKiB = load<u32>(tag, 8);
      basicUpperKiB = load<u32>(tag, 12);
    } else if (type == TAG_MEMORY_MAP) {
      if (!parseMemoryMap(tag, size, offset, information)) return information;
    } else if (type == TAG_FRAMEBUFFER) {
      if (!parseFramebuffer(tag, size, offset, information)) return information;
    } else if (type == TAG_ACPI_NEW_RSDP || (type == TAG_ACPI_OLD_RSDP && information.rsdpAddress == 0)) {
      information.rsdpAddress = physical + offset + 8;
      information.rsdpRevision = type == TAG_ACPI_NEW_RSDP ? 2 : 0;
    }
    offset = (offset + size + 7) & ~7;
  }
  if (!ended) return information.fail("multiboot2 information has no end tag within its " + total.toString() + " bytes");
  if (information.regions.length == 0) {
    if (basicUpperKiB == 0) return information.fail("multiboot2 information has no memory map (tag 6) and no basic memory information (tag 4)");
    information.regions.push(new MemoryRegion(0, basicLowerKiB << 10, MEMORY_AVAILABLE));
    information.regions.push(new MemoryRegion(1 << 20, basicUpperKiB << 10, MEMORY_AVAILABLE));
  }
  return information;
}

function parseMemoryMap(tag: usize, size: u32, offset: u32, information: BootInformation): bool {
  const entrySize = size >= 16 ? load<u32>(tag, 8) : 0;
  if (entrySize < MEMORY_MAP_ENTRY_MIN_BYTES || (entrySize & 7) != 0) {
    information.fail("multiboot2 memory map (tag 6 at offset " + offset.toString() + "): entry size " +
      entrySize.toString() + ", expected a multiple of 8 of at least 24");
    return false;
  }
  for (let entry: u32 = 16; entry + entrySize <= size; entry += entrySize) {
    if (information.regions.length == MEMORY_REGIONS_MAX) break;
    const length = load<u64>(tag + entry, 8);
    if (length != 0) information.regions.push(new MemoryRegion(load<u64>(tag + entry), length, load<u32>(tag + entry, 16)));
  }
  return true;
}

function parseFramebuffer(tag: usize, size: u32, offset: u32, information: BootInformation): bool {
  if (size < FRAMEBUFFER_TAG_MIN_BYTES) {
    information.fail("multiboot2 framebuffer (tag 8 at offset " + offset.toString() + "): " + size.toString() +
      " bytes, expected at least " + FRAMEBUFFER_TAG_MIN_BYTES.toString());
    return false;
  }
  const framebuffer = new Framebuffer();
  framebuffer.address = load<u64>(tag, 8);
  framebuffer.pitch = load<u32>(tag, 16);
  framebuffer.width = load<u32>(tag, 20);
  framebuffer.height = load<u32>(tag, 24);
  framebuffer.bitsPerPixel = load<u8>(tag, 28);
  framebuffer.kind = load<u8>(tag, 29);
  if (framebuffer.kind == FRAMEBUFFER_KIND_RGB && size >= FRAMEBUFFER_RGB_TAG_MIN_BYTES) {
    framebuffer.redPosition = load<u8>(tag, 32);
    framebuffer.redSize = load<u8>(tag, 33);
    framebuffer.greenPosition = load<u8>(tag, 34);
    framebuffer.greenSize = load<u8>(tag, 35);
    framebuffer.bluePosition = load<u8>(tag, 36);
    framebuffer.blueSize = load<u8>(tag, 37);
  }
  information.framebuffer = framebuffer;
  return true;
}
