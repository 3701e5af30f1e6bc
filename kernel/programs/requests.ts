// What a program may ask of the kernel beyond what handlers may: its console, files, and the
// system requests the shell is made of. Reached through the gate (handlers/gate.ts) with
// the caller's slot; addresses and lengths are in the program's memory and every copy is
// checked (a bad range is refused, never trusted).
//
// Strings and buffers travel as (address, length) pairs; a path or name packs into one
// 64-bit argument as address | length << 32. Results are numbers ≥ 0, or one of the
// negative REQUEST_ codes below, which handlers/api/optios.ts turns back into messages.
// Reports (handlers, mem, log, ps, uptime) and the outcome of reset/run/stop/poweroff are
// written by the kernel straight to the caller's console.

import { readTsc } from "../arch/x86_64/machine";
import { moduleCopyIn, moduleCopyOut } from "../arch/x86_64/modules";
import { Text } from "../console/text";
import { bootFilesystem } from "../fs/boot_filesystem";
import { ENTRY_DIRECTORY, FilesystemEntry } from "../fs/cpio";
import { handlerNamed, handlerReset, handlers, handlersReport } from "../handlers/registry";
import { savedStateSave } from "../handlers/saved_state";
import { logRing } from "../log/log";
import { memoryTotalBytes, pageAllocator } from "../memory/memory";
import { PAGE_BYTES, PROGRAM_TRANSFER_MAX_BYTES } from "../params";
import { bootInformation } from "../boot/current";
import { powerOff, reboot } from "../power";
import { clockNanoseconds } from "../time/clock";
import { consoleLine, programError, programReadLine, programSlots, programStart, programStop, programsReport,
  programWrite } from "./programs";

export const REQUEST_WRITE: u32 = 7;
export const REQUEST_READ_LINE: u32 = 8;
export const REQUEST_FILE_SIZE: u32 = 9;
export const REQUEST_FILE_READ: u32 = 10;
export const REQUEST_DIRECTORY_ENTRY: u32 = 11;
export const REQUEST_REPORT: u32 = 12;
export const REQUEST_RESET: u32 = 13;
export const REQUEST_RUN: u32 = 14;
export const REQUEST_STOP: u32 = 15;
export const REQUEST_POWER: u32 = 16;

export const REQUEST_NOT_FOUND: i64 = -1;
export const REQUEST_IS_DIRECTORY: i64 = -2;
export const REQUEST_NOT_DIRECTORY: i64 = -3;
export const REQUEST_BAD_ADDRESS: i64 = -4;
export const REQUEST_END: i64 = -5;
export const REQUEST_REFUSED: i64 = -6;

export const REPORT_HANDLERS: u32 = 1;
export const REPORT_MEMORY: u32 = 2;
export const REPORT_LOG: u32 = 3;
export const REPORT_PROGRAMS: u32 = 4;
export const REPORT_UPTIME: u32 = 5;

export const POWER_REBOOT: u32 = 1;
export const POWER_OFF: u32 = 2;

const transfer = new StaticArray<u8>(PROGRAM_TRANSFER_MAX_BYTES);
const request = new StaticArray<u8>(256);
const report = new Text(256);
let reportSlot: i32 = 0;

export function programRequest(module: i32, slot: i32, operation: u32, a: u64, b: u64, c: u64, d: u64): u64 {
  if (operation == REQUEST_WRITE) return write(module, slot, <u32>a, <u32>b);
  if (operation == REQUEST_READ_LINE) return readLine(module, slot, <u32>a, <u32>b);
  if (operation == REQUEST_FILE_SIZE) return fileSize(module, a);
  if (operation == REQUEST_FILE_READ) return fileRead(module, a, b, <u32>c, <u32>d);
  if (operation == REQUEST_DIRECTORY_ENTRY) return directoryEntry(module, a, <i32>b, <u32>c, <u32>d);
  if (operation == REQUEST_REPORT) return reportTo(slot, <u32>a);
  if (operation == REQUEST_RESET) return reset(module, slot, a);
  if (operation == REQUEST_RUN) return run(module, slot, a);
  if (operation == REQUEST_STOP) return stop(slot, <i32>a);
  if (operation == REQUEST_POWER) return power(slot, <u32>a);
  return <u64>REQUEST_REFUSED;
}

function write(module: i32, slot: i32, address: u32, length: u32): u64 {
  if (length > PROGRAM_TRANSFER_MAX_BYTES) length = PROGRAM_TRANSFER_MAX_BYTES;
  if (!moduleCopyIn(module, changetype<usize>(transfer), address, length)) return <u64>REQUEST_BAD_ADDRESS;
  programWrite(slot, changetype<usize>(transfer), <i32>length);
  return length;
}

function readLine(module: i32, slot: i32, destination: u32, capacity: u32): u64 {
  const length = programReadLine(slot, changetype<usize>(transfer), <i32>min<u32>(capacity, PROGRAM_TRANSFER_MAX_BYTES));
  const copied = min<u32>(<u32>length, capacity);
  if (!moduleCopyOut(module, destination, changetype<usize>(transfer), copied)) return <u64>REQUEST_BAD_ADDRESS;
  return <u64>length;
}

/** Copies a packed (address | length << 32) string from the program into `request`; its length, or -1. */
function takeString(module: i32, packed: u64): i32 {
  const length = <u32>(packed >> 32);
  if (length > <u32>request.length || !moduleCopyIn(module, changetype<usize>(request), <u32>packed, length)) return -1;
  return <i32>length;
}

function lookup(module: i32, packed: u64): FilesystemEntry | null {
  const length = takeString(module, packed);
  const filesystem = bootFilesystem();
  if (length < 0 || filesystem == null) return null;
  return filesystem.lookupBytes(changetype<usize>(request), length);
}

function fileSize(module: i32, path: u64): u64 {
  const entry = lookup(module, path);
  if (entry == null) return <u64>REQUEST_NOT_FOUND;
  if (entry.kind == ENTRY_DIRECTORY) return <u64>REQUEST_IS_DIRECTORY;
  return entry.size;
}

/** Up to `capacity` bytes of the file from `offset`, zero-copy from the archive into the program. */
function fileRead(module: i32, path: u64, offset: u64, destination: u32, capacity: u32): u64 {
  const entry = lookup(module, path);
  const filesystem = bootFilesystem();
  if (entry == null || filesystem == null) return <u64>REQUEST_NOT_FOUND;
  if (entry.kind == ENTRY_DIRECTORY) return <u64>REQUEST_IS_DIRECTORY;
  let done: u32 = 0;
  while (done < capacity) {
    const count = filesystem.read(entry, offset + done, changetype<usize>(transfer), min<u32>(capacity - done, PROGRAM_TRANSFER_MAX_BYTES));
    if (count == 0) break;
    if (!moduleCopyOut(module, destination + done, changetype<usize>(transfer), count)) return <u64>REQUEST_BAD_ADDRESS;
    done += count;
  }
  return done;
}

/** The `index`th entry of a directory: its name into `destination`; (kind << 32) | name length. */
function directoryEntry(module: i32, path: u64, index: i32, destination: u32, capacity: u32): u64 {
  const directory = lookup(module, path);
  if (directory == null) return <u64>REQUEST_NOT_FOUND;
  if (directory.kind != ENTRY_DIRECTORY) return <u64>REQUEST_NOT_DIRECTORY;
  let child = directory.firstChild;
  for (let i = 0; i < index && child != null; i++) child = child.nextSibling;
  if (child == null) return <u64>REQUEST_END;
  const name = child.name;
  const length = min<i32>(name.length, <i32>capacity);
  for (let i = 0; i < length; i++) request[i] = <u8>name.charCodeAt(i);
  if (!moduleCopyOut(module, destination, changetype<usize>(request), <u32>length)) return <u64>REQUEST_BAD_ADDRESS;
  return (<u64>child.kind << 32) | <u64>length;
}

function emitReportLine(text: Text): void {
  consoleLine(reportSlot, text);
}

function reportTo(slot: i32, topic: u32): u64 {
  reportSlot = slot;
  if (topic == REPORT_HANDLERS) handlersReport(report, emitReportLine);
  else if (topic == REPORT_MEMORY) memoryReport(slot);
  else if (topic == REPORT_LOG) logReport(slot);
  else if (topic == REPORT_PROGRAMS) programsReport(slot, report);
  else if (topic == REPORT_UPTIME) uptimeReport(slot);
  else return <u64>REQUEST_REFUSED;
  return 0;
}

function memoryReport(slot: i32): void {
  const allocator = pageAllocator();
  const free = allocator.freePages * PAGE_BYTES;
  consoleLine(slot, report.clear().string("memory: ").size(memoryTotalBytes).string(" total, ").size(memoryTotalBytes - free)
    .string(" used, ").size(free).string(" free (4 KiB pages: ").grouped(allocator.freePages).string(" free)"));
}

function logReport(slot: i32): void {
  for (let cursor = logRing.first(); logRing.lines > 0 && cursor != logRing.end(); cursor = logRing.next(cursor)) {
    report.clear();
    const length = logRing.lineLength(cursor);
    for (let i = 0; i < length; i++) report.char(logRing.lineByte(cursor, i));
    consoleLine(slot, report);
  }
}

function uptimeReport(slot: i32): void {
  const milliseconds = clockNanoseconds(readTsc()) / 1_000_000;
  const seconds = milliseconds / 1000;
  report.clear().string("up ");
  if (seconds >= 3600) report.decimal(seconds / 3600).string("h ");
  if (seconds >= 60) report.decimal(seconds / 60 % 60).string("m ");
  report.decimal(seconds % 60).string("s (").fixed(milliseconds, 1000, 3).string(" s since boot), ")
    .decimal(handlers.length).string(" handlers");
  consoleLine(slot, report);
}

function reset(module: i32, slot: i32, name: u64): u64 {
  const length = takeString(module, name);
  if (length < 0) return <u64>REQUEST_BAD_ADDRESS;
  const index = handlerNamed(changetype<usize>(request), length);
  if (index < 0) {
    consoleLine(slot, report.clear().string("reset: no handler called '").raw(changetype<usize>(request), length)
      .string("' (see: handlers)"));
    return <u64>REQUEST_NOT_FOUND;
  }
  const trap = handlerReset(index);
  report.clear().string("reset: '").string(handlers[index].name).string("'");
  consoleLine(slot, report.string(trap == 0 ? " is back to its initial state" : " trapped while restarting; quarantined"));
  return trap == 0 ? 0 : <u64>REQUEST_REFUSED;
}

function run(module: i32, slot: i32, name: u64): u64 {
  const length = takeString(module, name);
  if (length < 0) return <u64>REQUEST_BAD_ADDRESS;
  const started = programStart(changetype<usize>(request), length);
  if (started < 0) {
    consoleLine(slot, report.clear().string("run: ").text(programError));
    return <u64>REQUEST_REFUSED;
  }
  consoleLine(slot, report.clear().string("run: started '").raw(changetype<usize>(request), length).string("' on console ")
    .decimal(started + 1).string(" (Alt+F").decimal(started + 1).string(", or ESC ").decimal(started + 1).string(" on serial)"));
  return <u64>(started + 1);
}

function stop(slot: i32, console: i32): u64 {
  if (console < 1 || console > programSlots() || !programStop(console - 1)) {
    consoleLine(slot, report.clear().string("stop: no other program on console ").decimal(console).string(" (see: ps)"));
    return <u64>REQUEST_NOT_FOUND;
  }
  consoleLine(slot, report.clear().string("stop: stopping the program on console ").decimal(console));
  return 0;
}

function power(slot: i32, kind: u32): u64 {
  if (kind != POWER_OFF && kind != POWER_REBOOT) return <u64>REQUEST_REFUSED;
  if (kind == POWER_REBOOT) {
    const saved = savedStateSave(handlers);
    if (saved >= 0) consoleLine(slot, report.clear().string("reboot: saved the state of ").decimal(saved)
      .string(saved == 1 ? " handler" : " handlers").string(" for the next boot"));
  }
  const problem = kind == POWER_OFF ? powerOff(bootInformation()) : reboot(bootInformation());
  consoleLine(slot, report.clear().string(kind == POWER_OFF ? "poweroff: " : "reboot: ").string(problem));
  return <u64>REQUEST_REFUSED;
}
