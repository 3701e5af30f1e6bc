// Host-test entry for the boot filesystem (kernel/fs/cpio.ts), driven by tests/host/initrd.test.ts.
//
// Archives are written into the fake machine's physical memory by the test; entries are
// named by their index in Filesystem.entries (-1: none). Text results land in `result`,
// bytes read through the filesystem in `output`, strings from JavaScript arrive in `input`.

import { Text } from "../../kernel/console/text";
import { Filesystem, FilesystemEntry, mountArchive } from "../../kernel/fs/cpio";

const result = new Text();
const input = new StaticArray<u8>(4096);
const output = new StaticArray<u8>(65536);

export function resultPointer(): usize { return result.pointer; }
export function resultLength(): i32 { return result.length; }
export function inputPointer(): usize { return changetype<usize>(input); }
export function outputPointer(): usize { return changetype<usize>(output); }

function inputString(length: i32): string {
  return String.UTF8.decodeUnsafe(changetype<usize>(input), length);
}

let filesystem = new Filesystem();

function entry(index: i32): FilesystemEntry { return filesystem.entries[index]; }
function indexOf(found: FilesystemEntry | null): i32 { return found == null ? -1 : found.index; }

/** Mounts the archive; returns whether it mounted, with the error (or "") in `result`. */
export function initrdMount(address: u64, bytes: u64): bool {
  filesystem = mountArchive(address, bytes);
  result.clear().string(filesystem.error);
  return filesystem.error.length == 0;
}
export function initrdEntryCount(): i32 { return filesystem.entries.length; }
export function initrdSkipped(): i32 { return filesystem.skipped; }
export function initrdLookupInput(length: i32): i32 { return indexOf(filesystem.lookup(inputString(length))); }
export function initrdKind(index: i32): u8 { return entry(index).kind; }
export function initrdPermissions(index: i32): u32 { return entry(index).permissions; }
export function initrdAddress(index: i32): u64 { return entry(index).address; }
export function initrdSize(index: i32): u64 { return entry(index).size; }
export function initrdName(index: i32): void { result.clear().string(entry(index).name); }
export function initrdPath(index: i32): void { result.clear().string(entry(index).path); }
export function initrdParent(index: i32): i32 { return indexOf(entry(index).parent); }
export function initrdFirstChild(index: i32): i32 { return indexOf(entry(index).firstChild); }
export function initrdNextSibling(index: i32): i32 { return indexOf(entry(index).nextSibling); }
/** Reads into `output`; returns the bytes read. */
export function initrdRead(index: i32, offset: u64, length: u32): u32 {
  return filesystem.read(entry(index), offset, changetype<usize>(output), min(length, <u32>output.length));
}

/** Heap bytes taken by `repeats` lookups of the input path (the bump pointer's advance, less a probe's own). */
export function initrdLookupAllocatedBytes(length: i32, repeats: i32): i64 {
  const path = inputString(length);
  const probe = <i64>heap.alloc(1);
  const baseline = <i64>heap.alloc(1) - probe;
  const before = <i64>heap.alloc(1);
  let found = 0;
  for (let i = 0; i < repeats; i++) if (filesystem.lookup(path) != null) found++;
  const after = <i64>heap.alloc(1);
  return found == repeats ? after - before - baseline : -1;
}
