// The boot filesystem: a cpio "newc" archive (the initrd) read in place, zero-copy.
//
// The archive is a boot module in identity-mapped physical memory. Mounting walks it once,
// checks every header, name and size against the archive's end, and builds an index of
// entries (one object each, made at boot and never freed); lookups, listings and reads
// after that allocate nothing. A file's contents are never copied: an entry is a view,
// (physical address, size), and read() copies a range out only for callers that want bytes.
//
// Each entry is a 110-byte header of ASCII hex fields, its name, then its data:
//
//   offset 0      6      14     22    30    38      46      54        62 ... 94        102     110
//          ┌──────┬──────┬──────┬─────┬─────┬───────┬───────┬─────────┬─────┬─────────┬───────┬──────────────┐
//          │magic │ ino  │ mode │ uid │ gid │ nlink │ mtime │filesize │ dev │namesize │ check │ name + NUL   │
//          │070701│ 8 hex│ 8 hex│     │     │       │       │  8 hex  │ x4  │  8 hex  │       │ pad to 4     │
//          └──────┴──────┴──────┴─────┴─────┴───────┴───────┴─────────┴─────┴─────────┴───────┴──────────────┘
//          then filesize bytes of data, padded to 4; the entry named TRAILER!!! ends the archive.
//
// Names are stored without a leading "/" or "./"; "." entries and empty components are
// skipped, so "etc/system.toml", "./etc/system.toml" and "/etc/system.toml" are one path.
// Directories a path implies exist even without an entry of their own. Regular files,
// directories and symlinks are kept (a symlink's data is its target, never followed);
// devices, FIFOs and sockets are counted in `skipped`. Errors name the entry (its number,
// counted from 0, or its name once known), its offset and what was expected.

import { physicalCopyIn, physicalRead8 } from "../arch/x86_64/machine";
import { equalsBytes } from "../console/text";
import { IDENTITY_MAPPED_BYTES, INITRD_ENTRIES_MAX, INITRD_PATH_MAX_BYTES } from "../params";

export const ENTRY_FILE: u8 = 1;
export const ENTRY_DIRECTORY: u8 = 2;
export const ENTRY_SYMLINK: u8 = 3;

const HEADER_BYTES: u32 = 110;
const FIELD_MODE: i32 = 14;
const FIELD_FILE_SIZE: i32 = 54;
const FIELD_NAME_SIZE: i32 = 94;
const MODE_TYPE_MASK: u32 = 0o170000;
const MODE_FILE: u32 = 0o100000;
const MODE_DIRECTORY: u32 = 0o040000;
const MODE_SYMLINK: u32 = 0o120000;
const MAGIC = "070701";
const TRAILER = "TRAILER!!!";
const CHARACTER_SLASH: i32 = 0x2f;
const CHARACTER_DOT: i32 = 0x2e;
/** lookup()'s copy of the path as bytes (lookups never nest). */
const lookupScratch = new StaticArray<u8>(INITRD_PATH_MAX_BYTES);

/** One file, directory or symlink: where its bytes are, and its place in the tree. */
export class FilesystemEntry {
  /** Its last path component ("" for the root). */
  name: string;
  /** Its full path without a leading slash ("" for the root). */
  path: string;
  kind: u8;
  /** The mode field's permission bits (low 12 bits); 0o755 for implied directories. */
  permissions: u32 = 0o755;
  /** Physical address of its data (a symlink's data is its target); 0 for directories. */
  address: u64 = 0;
  /** Bytes of data; 0 for directories. */
  size: u64 = 0;
  /** Index in Filesystem.entries (the root is 0). */
  index: i32;
  parent: FilesystemEntry | null = null;
  firstChild: FilesystemEntry | null = null;
  lastChild: FilesystemEntry | null = null;
  nextSibling: FilesystemEntry | null = null;

  constructor(name: string, path: string, kind: u8, index: i32) {
    this.name = name;
    this.path = path;
    this.kind = kind;
    this.index = index;
  }
}

/** A mounted archive; `error` is "" when it mounted, else what is wrong and where. */
export class Filesystem {
  error: string = "";
  /** Where the archive lies in physical memory, and its size in bytes. */
  address: u64 = 0;
  bytes: u64 = 0;
  /** Every entry, the root first; implied directories included. */
  entries: FilesystemEntry[] = [];
  /** Archive entries of other kinds (devices, FIFOs, sockets) that were left out. */
  skipped: i32 = 0;

  get root(): FilesystemEntry { return this.entries[0]; }

  fail(message: string): Filesystem {
    this.error = "initrd: " + message;
    return this;
  }

  /** The entry at `path` ("/etc/x", "etc/x", "./etc/x"; ".." climbs), or null. Allocates nothing. */
  lookup(path: string): FilesystemEntry | null {
    const length = min<i32>(path.length, <i32>INITRD_PATH_MAX_BYTES);
    for (let i = 0; i < length; i++) lookupScratch[i] = <u8>path.charCodeAt(i);
    return path.length > length ? null : this.lookupBytes(changetype<usize>(lookupScratch), length);
  }

  /** lookup() for a path given as `length` bytes at `address` in kernel memory (a program's request). */
  lookupBytes(address: usize, length: i32): FilesystemEntry | null {
    let directory: FilesystemEntry | null = this.root;
    let start = 0;
    while (start < length && directory != null) {
      let end = start;
      while (end < length && <i32>load<u8>(address + end) != CHARACTER_SLASH) end++;
      const size = end - start;
      if (size == 2 && <i32>load<u8>(address + start) == CHARACTER_DOT && <i32>load<u8>(address + start + 1) == CHARACTER_DOT) {
        const parent: FilesystemEntry | null = directory.parent;
        if (parent != null) directory = parent;
      } else if (!(size == 0 || (size == 1 && <i32>load<u8>(address + start) == CHARACTER_DOT))) {
        directory = findChildBytes(directory, address + start, size);
      }
      start = end + 1;
    }
    return directory;
  }

  /** Copies up to `length` bytes of `entry` from `offset` into kernel memory; returns how many. */
  read(entry: FilesystemEntry, offset: u64, destination: usize, length: u32): u32 {
    if (entry.kind == ENTRY_DIRECTORY || offset >= entry.size) return 0;
    const available = entry.size - offset;
    const count = <u64>length < available ? length : <u32>available;
    physicalCopyIn(destination, entry.address + offset, count);
    return count;
  }
}

/** Whether the `bytes` bytes at physical `address` start like a newc archive (its first magic). */
export function isArchive(address: u64, bytes: u64): bool {
  if (bytes < <u64>MAGIC.length) return false;
  for (let i = 0; i < MAGIC.length; i++) {
    if (<u32>physicalRead8(address + <u64>i) != <u32>MAGIC.charCodeAt(i)) return false;
  }
  return true;
}

/** Mounts the newc archive of `bytes` bytes at physical `address`; check the result's `error`. */
export function mountArchive(address: u64, bytes: u64): Filesystem {
  const filesystem = new Filesystem();
  filesystem.address = address;
  filesystem.bytes = bytes;
  filesystem.entries.push(new FilesystemEntry("", "", ENTRY_DIRECTORY, 0));
  if (address > IDENTITY_MAPPED_BYTES || bytes > IDENTITY_MAPPED_BYTES - address) {
    return filesystem.fail("the " + bytes.toString() + "-byte archive at 0x" + address.toString(16) +
      " ends past the identity-mapped first 4 GiB");
  }
  if (bytes == 0) return filesystem.fail("the archive is empty (0 bytes)");
  const header = new StaticArray<u8>(HEADER_BYTES);
  const name = new StaticArray<u8>(INITRD_PATH_MAX_BYTES + 1);
  let offset: u64 = 0;
  for (let number = 0; offset < bytes; number++) {
    const where = "entry " + number.toString() + " at offset " + offset.toString() + ": ";
    if (bytes - offset < <u64>HEADER_BYTES) {
      return filesystem.fail(where + "its " + HEADER_BYTES.toString() + "-byte header runs past the end of the " +
        bytes.toString() + "-byte archive");
    }
    physicalCopyIn(changetype<usize>(header), address + offset, HEADER_BYTES);
    const magic = String.UTF8.decodeUnsafe(changetype<usize>(header), 6);
    if (magic != MAGIC && offset == 0) return filesystem.fail(notNewc(header, magic));
    if (magic != MAGIC) return filesystem.fail(where + "bad magic '" + printable(magic) + "', expected " + MAGIC);
    const mode = readHex(header, FIELD_MODE);
    const fileSize = readHex(header, FIELD_FILE_SIZE);
    const nameSize = readHex(header, FIELD_NAME_SIZE);
    if (mode < 0) return filesystem.fail(where + badField(header, FIELD_MODE, "mode"));
    if (fileSize < 0) return filesystem.fail(where + badField(header, FIELD_FILE_SIZE, "filesize"));
    if (nameSize < 0) return filesystem.fail(where + badField(header, FIELD_NAME_SIZE, "namesize"));
    if (nameSize < 2 || nameSize > <i64>INITRD_PATH_MAX_BYTES + 1) {
      return filesystem.fail(where + "name size " + nameSize.toString() + ", expected 2 to " +
        (INITRD_PATH_MAX_BYTES + 1).toString() + " (the name and its NUL; INITRD_PATH_MAX_BYTES)");
    }
    const nameStart = offset + HEADER_BYTES;
    if (<u64>nameSize > bytes - nameStart) {
      return filesystem.fail(where + "its " + nameSize.toString() + "-byte name runs past the end of the " +
        bytes.toString() + "-byte archive");
    }
    physicalCopyIn(changetype<usize>(name), address + nameStart, <u32>nameSize);
    if (name[<i32>nameSize - 1] != 0) return filesystem.fail(where + "its name does not end in a NUL byte");
    const entryName = String.UTF8.decodeUnsafe(changetype<usize>(name), <usize>nameSize - 1);
    if (entryName == TRAILER) return filesystem;
    const named = "entry '" + entryName + "' at offset " + offset.toString() + ": ";
    const dataStart = alignUp(nameStart + <u64>nameSize);
    if (dataStart > bytes || <u64>fileSize > bytes - dataStart) {
      return filesystem.fail(named + "size " + fileSize.toString() + " runs past the end of the " +
        bytes.toString() + "-byte archive");
    }
    const problem = addEntry(filesystem, entryName, <u32>mode, address + dataStart, <u64>fileSize);
    if (problem.length > 0) return filesystem.fail(named + problem);
    offset = alignUp(dataStart + <u64>fileSize);
  }
  return filesystem.fail("no TRAILER!!! entry before the end of the " + bytes.toString() + "-byte archive");
}

/** Why an archive whose first header is not newc cannot be read: the format it is in, when known. */
function notNewc(header: StaticArray<u8>, magic: string): string {
  const wanted = "; only the newc format is read (magic 070701, cpio -H newc)";
  if (magic == "070707") return "an old portable cpio archive (magic 070707, cpio -H odc)" + wanted;
  if (magic == "070702") return "a newc archive with checksums (magic 070702, cpio -H crc)" + wanted;
  const first = <u32>header[0];
  const second = <u32>header[1];
  if ((first == 0xc7 && second == 0x71) || (first == 0x71 && second == 0xc7)) return "an old binary cpio archive (cpio -H bin)" + wanted;
  if (first == 0x1f && second == 0x8b) return "a gzip-compressed file; the initrd must be an uncompressed cpio newc archive (magic 070701)";
  let bytes = "";
  let shown = "";
  for (let i = 0; i < 6; i++) {
    const byte = <u32>header[i];
    bytes += (i > 0 ? " " : "") + (byte < 16 ? "0" : "") + byte.toString(16);
    shown += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : "?";
  }
  return "not a cpio archive: it starts with the bytes " + bytes + " ('" + shown + "'), expected the newc magic 070701";
}

/** Puts one archive entry into the tree; returns "" or what is wrong with it. */
function addEntry(filesystem: Filesystem, path: string, mode: u32, address: u64, size: u64): string {
  const type = mode & MODE_TYPE_MASK;
  let kind: u8 = 0;
  if (type == MODE_FILE) kind = ENTRY_FILE;
  else if (type == MODE_DIRECTORY) kind = ENTRY_DIRECTORY;
  else if (type == MODE_SYMLINK) kind = ENTRY_SYMLINK;
  else {
    filesystem.skipped++;
    return "";
  }
  let directory = filesystem.root;
  let start = 0;
  const length = path.length;
  while (start < length) {
    let end = start;
    while (end < length && path.charCodeAt(end) != CHARACTER_SLASH) end++;
    const last = !hasComponentAfter(path, end);
    if (end - start == 2 && path.charCodeAt(start) == CHARACTER_DOT && path.charCodeAt(start + 1) == CHARACTER_DOT) {
      return "its name climbs out of the root with '..'";
    }
    if (!isSkippedComponent(path, start, end)) {
      let child = findChild(directory, path, start, end);
      if (last) {
        if (child != null && (child.kind == ENTRY_DIRECTORY) != (kind == ENTRY_DIRECTORY)) {
          return "'" + child.path + "' is already " + describeKind(child.kind) + ", this entry is " + describeKind(kind);
        }
        if (child == null) {
          child = addChild(filesystem, directory, path.substring(start, end), kind);
          if (child == null) return tooMany();
        }
        setContents(child, kind, mode, address, size);
        return "";
      }
      if (child == null) {
        child = addChild(filesystem, directory, path.substring(start, end), ENTRY_DIRECTORY);
        if (child == null) return tooMany();
      } else if (child.kind != ENTRY_DIRECTORY) {
        return "'" + child.path + "' is " + describeKind(child.kind) + ", not a directory";
      }
      directory = child;
    }
    start = end + 1;
  }
  // A name of only "." and slashes: the root itself.
  if (kind != ENTRY_DIRECTORY) return "the root is a directory, this entry is " + describeKind(kind);
  directory.permissions = mode & 0o7777;
  return "";
}

function setContents(entry: FilesystemEntry, kind: u8, mode: u32, address: u64, size: u64): void {
  entry.kind = kind;
  entry.permissions = mode & 0o7777;
  entry.address = kind == ENTRY_DIRECTORY ? 0 : address;
  entry.size = kind == ENTRY_DIRECTORY ? 0 : size;
}

function addChild(filesystem: Filesystem, directory: FilesystemEntry, name: string, kind: u8): FilesystemEntry | null {
  const index = filesystem.entries.length;
  if (index >= INITRD_ENTRIES_MAX) return null;
  const path = directory.path.length == 0 ? name : directory.path + "/" + name;
  const child = new FilesystemEntry(name, path, kind, index);
  child.parent = directory;
  const last = directory.lastChild;
  if (last == null) directory.firstChild = child;
  else last.nextSibling = child;
  directory.lastChild = child;
  filesystem.entries.push(child);
  return child;
}

function tooMany(): string {
  return "more than " + INITRD_ENTRIES_MAX.toString() + " entries (INITRD_ENTRIES_MAX, implied directories included)";
}

/** The child of `directory` named path[start, end), compared in place. */
function findChild(directory: FilesystemEntry, path: string, start: i32, end: i32): FilesystemEntry | null {
  let child = directory.firstChild;
  while (child != null) {
    if (sameName(child.name, path, start, end)) return child;
    child = child.nextSibling;
  }
  return null;
}

/** The child of `directory` whose name is the `length` bytes at `address`, or null. */
function findChildBytes(directory: FilesystemEntry, address: usize, length: i32): FilesystemEntry | null {
  let child = directory.firstChild;
  while (child != null) {
    if (equalsBytes(child.name, address, length)) return child;
    child = child.nextSibling;
  }
  return null;
}

function sameName(name: string, path: string, start: i32, end: i32): bool {
  if (name.length != end - start) return false;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) != path.charCodeAt(start + i)) return false;
  return true;
}

/** Empty components ("a//b", a leading "/") and "." name no entry of their own. */
function isSkippedComponent(path: string, start: i32, end: i32): bool {
  return end == start || (end - start == 1 && path.charCodeAt(start) == CHARACTER_DOT);
}

/** Whether a component other than "." or "" follows position `end` (a slash or the end). */
function hasComponentAfter(path: string, end: i32): bool {
  let start = end + 1;
  while (start < path.length) {
    let next = start;
    while (next < path.length && path.charCodeAt(next) != CHARACTER_SLASH) next++;
    if (!isSkippedComponent(path, start, next)) return true;
    start = next + 1;
  }
  return false;
}

/** The 8 hex digits at `field`, or -1 when one is not a hex digit. */
function readHex(header: StaticArray<u8>, field: i32): i64 {
  let value: i64 = 0;
  for (let i = 0; i < 8; i++) {
    const character = <i32>header[field + i];
    let digit: i32 = -1;
    if (character >= 0x30 && character <= 0x39) digit = character - 0x30;
    else if (character >= 0x41 && character <= 0x46) digit = character - 0x41 + 10;
    else if (character >= 0x61 && character <= 0x66) digit = character - 0x61 + 10;
    if (digit < 0) return -1;
    value = (value << 4) | <i64>digit;
  }
  return value;
}

function badField(header: StaticArray<u8>, field: i32, label: string): string {
  const text = printable(String.UTF8.decodeUnsafe(changetype<usize>(header) + field, 8));
  return "field " + label + " is '" + text + "', expected 8 hex digits";
}

/** `text` with anything outside printable ASCII shown as '?'. */
function printable(text: string): string {
  let shown = "";
  for (let i = 0; i < text.length; i++) {
    const character = text.charCodeAt(i);
    shown += character >= 0x20 && character < 0x7f ? String.fromCharCode(character) : "?";
  }
  return shown;
}

function describeKind(kind: u8): string {
  if (kind == ENTRY_DIRECTORY) return "a directory";
  if (kind == ENTRY_SYMLINK) return "a symlink";
  return "a file";
}

function alignUp(offset: u64): u64 {
  return (offset + 3) & ~(<u64>3);
}
