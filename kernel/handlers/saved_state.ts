// Handler state across a warm reboot: saved before `reboot`, restored after the next boot's start code.
//
// A fixed area of RAM (SAVED_STATE_ADDRESS, SAVED_STATE_BYTES) that firmware and GRUB leave
// alone on a warm reboot (QEMU and SeaBIOS do; a PC's firmware may not) is kept out of the
// page allocator. The shell's `reboot` writes every handler's committed state there:
//
//   SavedStateHeader   magic · format · entries · payload bytes · FNV-1a-64 of the payload
//   SavedStateEntry    name and version lengths · globals layout · globals and memory bytes,
//                      then name[NAME_MAX_BYTES] · version[VERSION_MAX_BYTES] · globals · memory · padding to 8
//
// (the records are declared in interface/optios.ts and read through their named fields)
//
// At the next boot the area is read once (and its magic cleared, so a crash later never
// brings back stale state). When a handler starts, an entry with its name decides:
//   same version and globals layout  → the saved state becomes its committed snapshot;
//   another version                  → it keeps its fresh initial snapshot (the version rule),
//   same version, other layout       → likewise, with a log line saying why.
// A missing or damaged area (cold boot, firmware that clears RAM) means every handler
// starts fresh, and the log says so once.


import { physicalCopyIn, physicalCopyOut, physicalRead64, physicalRead8, physicalWrite64, physicalWrite8 } from "../arch/x86_64/machine";
import { moduleGlobalsLayout, moduleMemoryBytes, moduleStateRestore, moduleStateSave } from "../arch/x86_64/modules";
import { NAME_MAX_BYTES, SAVED_STATE_ENTRY_BYTES, SAVED_STATE_HEADER_BYTES, SavedStateEntry, SavedStateHeader,
  VERSION_MAX_BYTES } from "../gate/interface";
import { BootInformation, MemoryRegion } from "../boot/boot_information";
import { Text } from "../console/text";
import { LEVEL_INFO, LEVEL_WARNING, line, log } from "../log/log";
import { coveredByAvailable, pageAllocator } from "../memory/memory";
import { Handler } from "./registry";

/** 64 MiB: above where GRUB puts the kernel and its modules, below any firmware area at the top of RAM. */
export const SAVED_STATE_ADDRESS: u64 = 0x400_0000;
export const SAVED_STATE_BYTES: u64 = 8 << 20;
const MAGIC: u64 = 0x4554415453_534f4f; // "OOS" "STATE", little-endian bytes
const FORMAT: u32 = 1;
const HEADER_BYTES: u64 = SAVED_STATE_HEADER_BYTES;
const NAME_BYTES: u32 = <u32>NAME_MAX_BYTES;
const VERSION_BYTES: u32 = <u32>VERSION_MAX_BYTES;
/** An entry's fixed part: its record, then the name and version fields. */
const ENTRY_HEADER_BYTES: u64 = <u64>SAVED_STATE_ENTRY_BYTES + NAME_BYTES + VERSION_BYTES;
// Records are copied between the area (physical memory) and these, and read by field.
const headerCopy = new StaticArray<u8>(SAVED_STATE_HEADER_BYTES);
const entryCopy = new StaticArray<u8>(SAVED_STATE_ENTRY_BYTES);

let usable = false;
/** Where the saved entries are (header validated), or 0 when there are none this boot. */
let savedPayload: u64 = 0;
let savedEntries: u32 = 0;
let savedEnd: u64 = 0;
const message = new Text();

/** Keeps the area out of the page allocator, if RAM covers it and nothing the loader placed overlaps it. */
export function savedStateReserve(information: BootInformation): void {
  const start = SAVED_STATE_ADDRESS;
  const end = SAVED_STATE_ADDRESS + SAVED_STATE_BYTES;
  if (!coveredByAvailable(information, start, end) || overlapsAny(information.loaderRanges, start, end)) return;
  for (let i = 0; i < information.modules.length; i++) {
    if (information.modules[i].start < end && information.modules[i].end > start) return;
  }
  pageAllocator().markUsed(start, SAVED_STATE_BYTES);
  usable = true;
}

function overlapsAny(ranges: MemoryRegion[], start: u64, end: u64): bool {
  for (let i = 0; i < ranges.length; i++) if (ranges[i].base < end && ranges[i].end > start) return true;
  return false;
}

/** The area's header, copied into kernel memory. */
function readHeader(): SavedStateHeader {
  physicalCopyIn(changetype<usize>(headerCopy), SAVED_STATE_ADDRESS, SAVED_STATE_HEADER_BYTES);
  return changetype<SavedStateHeader>(changetype<usize>(headerCopy));
}

/** The entry record at physical `address`, copied into kernel memory (valid until the next call). */
function readEntry(address: u64): SavedStateEntry {
  physicalCopyIn(changetype<usize>(entryCopy), address, SAVED_STATE_ENTRY_BYTES);
  return changetype<SavedStateEntry>(changetype<usize>(entryCopy));
}

/** Reads the area once at boot: whether the previous boot left state, and how much. */
export function savedStateLoad(): void {
  if (!usable) return;
  const base = SAVED_STATE_ADDRESS;
  const header = readHeader();
  if (header.magic != MAGIC) return; // a cold boot: nothing was saved
  physicalWrite64(base + offsetof<SavedStateHeader>("magic"), 0); // read once: a later crash-reboot must not bring this back
  if (header.format != FORMAT || header.payloadBytes > SAVED_STATE_BYTES - HEADER_BYTES ||
    checksum(base + HEADER_BYTES, header.payloadBytes) != header.checksum) {
    log(LEVEL_WARNING, line.clear().string("handlers: the state saved before the reboot is damaged; every handler starts afresh"));
    return;
  }
  savedPayload = base + HEADER_BYTES;
  savedEntries = header.entries;
  savedEnd = savedPayload + header.payloadBytes;
}

/**
 * Right after `handler` started: restores its saved state if the previous boot left one of
 * the same version and globals layout, and logs what happened either way.
 */
export function savedStateRestore(handler: Handler): void {
  let entry = savedPayload;
  for (let i: u32 = 0; i < savedEntries && entry + ENTRY_HEADER_BYTES <= savedEnd; i++) {
    const record = readEntry(entry);
    const size = entryBytes(record);
    if (entry + size > savedEnd) return;
    if (fieldEquals(nameField(entry), record.nameLength, handler.name)) {
      restoreEntry(handler, entry, record);
      return;
    }
    entry += size;
  }
}

function nameField(entry: u64): u64 {
  return entry + SAVED_STATE_ENTRY_BYTES;
}

function versionField(entry: u64): u64 {
  return entry + SAVED_STATE_ENTRY_BYTES + NAME_BYTES;
}

function restoreEntry(handler: Handler, entry: u64, record: SavedStateEntry): void {
  const globalsBytes = record.globalsBytes;
  const memoryBytes = record.memoryBytes;
  const versionLength = min<u32>(record.versionLength, VERSION_BYTES);
  message.clear();
  for (let i: u32 = 0; i < versionLength; i++) message.char(physicalRead8(versionField(entry) + i));
  line.clear().string("handlers: '").string(handler.name).string("' ");
  if (!fieldEquals(versionField(entry), versionLength, handler.version)) {
    log(LEVEL_INFO, line.string("is version ").string(handler.version).string(", its saved state version ").text(message)
      .string(": starting from its initial state"));
  } else if (record.globalsLayout != moduleGlobalsLayout(handler.module)) {
    log(LEVEL_WARNING, line.string("kept version ").string(handler.version)
      .string(" but its globals changed; starting from its initial state (declare a new version when state changes)"));
  } else if (moduleStateRestore(handler.module, entry + ENTRY_HEADER_BYTES, globalsBytes, memoryBytes) != 0) {
    log(LEVEL_WARNING, line.string("cannot take back its saved state (it no longer fits the module); starting from its initial state"));
  } else {
    log(LEVEL_INFO, line.string("resumed the state it had before the reboot (version ").string(handler.version).string(", ")
      .size(memoryBytes + globalsBytes).string(")"));
  }
}

/** Writes every handler's committed state into the area; returns how many were saved, or -1 without an area. */
export function savedStateSave(handlers: Handler[]): i32 {
  if (!usable) return -1;
  const base = SAVED_STATE_ADDRESS;
  let entry = base + HEADER_BYTES;
  const end = base + SAVED_STATE_BYTES;
  let saved = 0;
  const record = changetype<SavedStateEntry>(changetype<usize>(entryCopy));
  for (let i = 0; i < handlers.length; i++) {
    const handler = handlers[i];
    if (entry + ENTRY_HEADER_BYTES > end) break;
    const written = moduleStateSave(handler.module, entry + ENTRY_HEADER_BYTES, end - entry - ENTRY_HEADER_BYTES);
    if (written == 0) {
      log(LEVEL_WARNING, line.clear().string("handlers: no room to save the state of '").string(handler.name).string("'"));
      continue;
    }
    const memoryBytes = moduleMemoryBytes(handler.module);
    record.nameLength = writeField(nameField(entry), NAME_BYTES, handler.name);
    record.versionLength = writeField(versionField(entry), VERSION_BYTES, handler.version);
    record.globalsLayout = moduleGlobalsLayout(handler.module);
    record.globalsBytes = <u32>(written - memoryBytes);
    record.memoryBytes = memoryBytes;
    physicalCopyOut(entry, changetype<usize>(entryCopy), SAVED_STATE_ENTRY_BYTES);
    entry += entryBytes(record);
    saved++;
  }
  const header = changetype<SavedStateHeader>(changetype<usize>(headerCopy));
  header.format = FORMAT;
  header.entries = <u32>saved;
  header.payloadBytes = entry - base - HEADER_BYTES;
  header.checksum = checksum(base + HEADER_BYTES, header.payloadBytes);
  header.magic = MAGIC;
  physicalCopyOut(base, changetype<usize>(headerCopy), SAVED_STATE_HEADER_BYTES);
  return saved;
}

/** An entry's whole size: header, globals and memory, rounded up to 8 bytes. */
function entryBytes(record: SavedStateEntry): u64 {
  return (ENTRY_HEADER_BYTES + <u64>record.globalsBytes + record.memoryBytes + 7) & ~7;
}

/** Writes `value` (ASCII) into a fixed field of `capacity` bytes; returns the length kept. */
function writeField(address: u64, capacity: u32, value: string): u32 {
  const length = min<u32>(<u32>value.length, capacity);
  for (let i: u32 = 0; i < length; i++) physicalWrite8(address + i, <u8>value.charCodeAt(i));
  return length;
}

function fieldEquals(address: u64, length: u32, value: string): bool {
  if (<u32>value.length != length) return false;
  for (let i: u32 = 0; i < length; i++) if (<u32>physicalRead8(address + i) != <u32>value.charCodeAt(i)) return false;
  return true;
}

/** FNV-1a 64 over `length` bytes of physical memory, eight at a time (the tail byte by byte). */
export function checksum(address: u64, length: u64): u64 {
  let hash: u64 = 0xcbf29ce484222325;
  let offset: u64 = 0;
  for (; offset + 8 <= length; offset += 8) hash = (hash ^ physicalRead64(address + offset)) * 0x100000001b3;
  for (; offset < length; offset++) hash = (hash ^ <u64>physicalRead8(address + offset)) * 0x100000001b3;
  return hash;
}
