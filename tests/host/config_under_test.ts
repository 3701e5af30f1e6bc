// Host-test entry for the kernel's config reader (kernel/config/), driven by tests/host/system_config.test.ts.
//
// Text from JavaScript arrives as bytes in `input`; text results (UTF-8, so non-ASCII strings
// come back exact) land in `output`, and each call returns their length in bytes.

import { BootInformation, BootModule } from "../../kernel/boot/boot_information";
import { loadSystemConfig, readSystemConfig, SystemConfig } from "../../kernel/config/system_config";
import { readToml, TOML_ARRAY, TOML_BOOLEAN, TOML_INTEGER, TomlDocument, TomlValue } from "../../kernel/config/toml";
import { bootFilesystemMount } from "../../kernel/fs/boot_filesystem";

const input = new StaticArray<u8>(65536);
const output = new StaticArray<u8>(65536);

export function inputPointer(): usize { return changetype<usize>(input); }
export function outputPointer(): usize { return changetype<usize>(output); }

/** Puts `text` into `output` as UTF-8 (cut to fit); returns its length in bytes. */
function put(text: string): i32 {
  const bytes = String.UTF8.encode(text);
  const length = min(bytes.byteLength, output.length);
  memory.copy(changetype<usize>(output), changetype<usize>(bytes), <usize>length);
  return length;
}

// ---- kernel/config/toml.ts ----

let document = new TomlDocument();

/** Reads the input's first `length` bytes; returns the error line (0 when read). */
export function tomlRead(length: u32): i32 {
  document = readToml(changetype<usize>(input), length);
  return document.errorLine;
}
export function tomlError(): i32 { return put(document.error); }

/** The document, one line per table header and per key: `key@line = value`, strings quoted as read. */
export function tomlDump(): i32 {
  let dump = "";
  for (let t = 0; t < document.tables.length; t++) {
    const table = document.tables[t];
    if (t > 0) dump += (table.isArrayElement ? "[[" + table.name + "]]" : "[" + table.name + "]") + "@" + table.line.toString() + "\n";
    for (let e = 0; e < table.entries.length; e++) {
      const entry = table.entries[e];
      dump += entry.key + "@" + entry.value.line.toString() + " = " + dumpValue(entry.value) + "\n";
    }
  }
  return put(dump);
}

function dumpValue(value: TomlValue): string {
  if (value.kind == TOML_ARRAY) {
    let items = "";
    for (let i = 0; i < value.items.length; i++) items += (i > 0 ? ", " : "") + dumpValue(value.items[i]);
    return "[" + items + "]";
  }
  if (value.kind == TOML_INTEGER) return value.integer.toString();
  if (value.kind == TOML_BOOLEAN) return value.boolean ? "true" : "false";
  return "\"" + value.text + "\"";
}

// ---- kernel/config/system_config.ts ----

let config = new SystemConfig();

export function configRead(address: u64, length: u32): void { config = readSystemConfig(address, length, "/etc/system.toml"); }
export function configMax(): i32 { return config.foregroundMax; }
export function configProgramCount(): i32 { return config.foregroundPrograms.length; }
export function configProgram(index: i32): i32 { return put(config.foregroundPrograms[index]); }
export function configError(): i32 { return put(config.error); }

/** Mounts the archive at `address` as the boot filesystem, as boot does with a GRUB module. */
export function configMountBootFilesystem(address: u64, bytes: u64): void {
  const information = new BootInformation();
  information.modules.push(new BootModule(address, address + bytes, "initrd"));
  bootFilesystemMount(information);
}
export function configLoad(): void { config = loadSystemConfig(); }

/** Heap bytes readSystemConfig takes for the file at `address` (the bump pointer's advance, less a probe's own). */
export function configAllocatedBytes(address: u64, length: u32): i64 {
  const probe = <i64>heap.alloc(1);
  const baseline = <i64>heap.alloc(1) - probe;
  const before = <i64>heap.alloc(1);
  config = readSystemConfig(address, length, "/etc/system.toml");
  return <i64>heap.alloc(1) - before - baseline;
}
