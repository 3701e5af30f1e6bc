// The system configuration the kernel reads at boot: /etc/system.toml on the boot filesystem.
//
// The toolchain writes that file (toolchain/src/build/initrd.ts, renderSystemToml): the
// resolved system, every include merged and validated. The kernel reads only what it acts on,
// [foreground] max and programs, checks them again (the file may come from another build, or
// be damaged) and ignores every other table and key. A problem never stops the boot: the
// result then holds the defaults and `error` says what was wrong, for the caller to log.

import { physicalCopyIn } from "../arch/x86_64/machine";
import { bootFilesystem } from "../fs/boot_filesystem";
import { ENTRY_DIRECTORY, ENTRY_FILE } from "../fs/cpio";
import { FOREGROUND_MAX_DEFAULT, FOREGROUND_MAX_LIMIT, IDENTITY_MAPPED_BYTES, SYSTEM_CONFIG_MAX_BYTES } from "../params";
import { describeTomlValue, readToml, TOML_ARRAY, TOML_INTEGER, TOML_STRING, TomlDocument, TomlValue } from "./toml";

export const SYSTEM_CONFIG_PATH = "/etc/system.toml";

export class SystemConfig {
  /** How many foreground programs may run at once, time-sliced (1 to FOREGROUND_MAX_LIMIT). */
  foregroundMax: i32 = FOREGROUND_MAX_DEFAULT;
  /** Programs to start at boot, one per virtual console, in order; at most foregroundMax. */
  foregroundPrograms: string[] = [];
  /** "" when the file was read (or absent); otherwise "file:line: what was expected", and the rest are defaults. */
  error: string = "";
}

/** Reads /etc/system.toml from the boot filesystem; no filesystem or no file gives the defaults without an error. */
export function loadSystemConfig(): SystemConfig {
  const filesystem = bootFilesystem();
  if (filesystem == null) return new SystemConfig();
  const entry = filesystem.lookup(SYSTEM_CONFIG_PATH);
  if (entry == null) return new SystemConfig();
  if (entry.kind != ENTRY_FILE) {
    return failed(SYSTEM_CONFIG_PATH + ": expected a file, found " + (entry.kind == ENTRY_DIRECTORY ? "a directory" : "a symlink"));
  }
  if (entry.size > <u64>SYSTEM_CONFIG_MAX_BYTES) return failed(tooLarge(SYSTEM_CONFIG_PATH, entry.size));
  return readSystemConfig(entry.address, <u32>entry.size, SYSTEM_CONFIG_PATH);
}

/**
 * Reads the system config from the `length` bytes at physical `address` (a boot filesystem
 * view, copied into kernel memory once); `fileName` starts every error message.
 */
export function readSystemConfig(address: u64, length: u32, fileName: string): SystemConfig {
  if (length > SYSTEM_CONFIG_MAX_BYTES) return failed(tooLarge(fileName, length));
  if (address > IDENTITY_MAPPED_BYTES - <u64>length) {
    return failed(fileName + ": " + length.toString() + " bytes at 0x" + address.toString(16) +
      ", expected them inside the identity-mapped first 4 GiB");
  }
  const bytes = new StaticArray<u8>(length);
  if (length > 0) physicalCopyIn(changetype<usize>(bytes), address, length);
  const document = readToml(changetype<usize>(bytes), length);
  if (document.error.length > 0) return failed(fileName + ":" + document.errorLine.toString() + ": " + document.error);
  return configFrom(document, fileName);
}

/** The [foreground] settings of a document that was read; other tables and keys are ignored. */
function configFrom(document: TomlDocument, fileName: string): SystemConfig {
  const config = new SystemConfig();
  const value = document.root.get("foreground");
  if (value != null) return failedAt(fileName, value.line, "foreground: expected a table [foreground], found " + describeTomlValue(value));
  const foreground = document.table("foreground");
  if (foreground == null) return config;
  if (foreground.isArrayElement) return failedAt(fileName, foreground.line, "foreground: expected a table [foreground], found [[foreground]]");

  const max = foreground.get("max");
  if (max != null) {
    if (max.kind != TOML_INTEGER || max.integer < 1 || max.integer > <i64>FOREGROUND_MAX_LIMIT) {
      return failedAt(fileName, max.line, "foreground.max: expected an integer from 1 to " + FOREGROUND_MAX_LIMIT.toString() +
        ", found " + describeTomlValue(max));
    }
    config.foregroundMax = <i32>max.integer;
  }
  const programs = foreground.get("programs");
  if (programs != null) {
    const wrong = notAString(programs);
    if (wrong != null) return failedAt(fileName, programs.line, "foreground.programs: expected a list of strings, found " + wrong);
    if (programs.items.length > config.foregroundMax) {
      return failedAt(fileName, programs.line, "foreground.programs: expected at most " + config.foregroundMax.toString() +
        " (foreground.max, one per virtual console), found " + programs.items.length.toString() + " programs");
    }
    for (let i = 0; i < programs.items.length; i++) config.foregroundPrograms.push(programs.items[i].text);
  }
  return config;
}

/** null when `list` is a list of strings; otherwise how the offending value reads. */
function notAString(list: TomlValue): string | null {
  if (list.kind != TOML_ARRAY) return describeTomlValue(list);
  for (let i = 0; i < list.items.length; i++) {
    if (list.items[i].kind != TOML_STRING) return "a list holding " + describeTomlValue(list.items[i]);
  }
  return null;
}

function tooLarge(fileName: string, length: u64): string {
  return fileName + ": " + length.toString() + " bytes, expected at most " + SYSTEM_CONFIG_MAX_BYTES.toString() +
    " (SYSTEM_CONFIG_MAX_BYTES)";
}

function failedAt(fileName: string, line: i32, message: string): SystemConfig {
  return failed(fileName + ":" + line.toString() + ": " + message);
}

/** The defaults, with `error` set. */
function failed(error: string): SystemConfig {
  const config = new SystemConfig();
  config.error = error;
  return config;
}
