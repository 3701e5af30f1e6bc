// The calls only programs make: their console, system reports, and the shell's requests.
//
// gate.ts has checked that the caller is a program and holds the capability (report:<topic>,
// reset:<handler>, programs, power); names a grant was matched against are in callArgument.
// Reports and the outcome of reset/run/stop/power are written by the kernel straight to the
// caller's console, so the shell prints nothing itself for them.

import { stateLogCommitted, stateLogForget, stateLogSync } from "../storage/state_log";
import { disksReport } from "../storage/data_disk";
import { networkReport } from "../net/network";
import { readTsc } from "../arch/x86_64/machine";
import { bootInformation } from "../boot/current";
import { Text } from "../console/text";
import { inputReport } from "../input/input";
import { handlerNamed, handlerReset, handlers, handlersReport } from "../handlers/registry";
import { savedStateSave } from "../handlers/saved_state";
import { LEVEL_DEBUG, LEVEL_INFO, logRing } from "../log/log";
import { memoryTotalBytes, memoryUnmanagedBytes, pageAllocator } from "../memory/memory";
import { PAGE_BYTES } from "../params";
import { powerOff, reboot } from "../power";
import { consoleLine, program, programError, programReadLine, programSlots, programStart, programStop, programsReport,
  programWaitChild, programWrite } from "../programs/programs";
import { clockNanoseconds } from "../time/clock";
import { Caller, callerOf } from "./callers";
import { describeGrants } from "./capabilities";
import { copyIn, copyOut } from "./copy";
import { callArgument, callArgumentLength } from "./argument";
import { ERROR_BAD_ADDRESS, ERROR_BAD_ARGUMENT, ERROR_FAILED, ERROR_NOT_FOUND, POWER_OFF, POWER_REBOOT, REPORT_CAPABILITIES, REPORT_DISKS, REPORT_HANDLERS, REPORT_NETWORK,
  REPORT_LOG, REPORT_MEMORY, REPORT_PROGRAMS, REPORT_UPTIME, ERROR_NO_DATA_DISK, RUN_CONSOLE, RUN_HERE, TRANSFER_MAX_BYTES, ERROR_TOO_LONG,
  LINE_MAX_BYTES } from "./interface";

const transfer = new StaticArray<u8>(TRANSFER_MAX_BYTES);
const out = new Text(256);
let reportSlot: i32 = 0;

/** write(text, length): to the program's own console, at most TRANSFER_MAX_BYTES at a time. */
export function write(caller: Caller, module: i32, address: u64, length: u64, c: u64, d: u64, e: u64): i64 {
  const taken = min<u64>(length, <u64>TRANSFER_MAX_BYTES);
  if (!copyIn(module, changetype<usize>(transfer), address, taken)) return ERROR_BAD_ADDRESS;
  programWrite(caller.index, changetype<usize>(transfer), <i32>taken);
  return <i64>taken;
}

/** read_line(destination, capacity): waits for a line; its whole length (it may exceed what was copied). */
export function readLine(caller: Caller, module: i32, destination: u64, capacity: u64, c: u64, d: u64, e: u64): i64 {
  const room = <i32>min<u64>(capacity, <u64>TRANSFER_MAX_BYTES);
  const length = programReadLine(caller.index, changetype<usize>(transfer), room);
  if (!copyOut(module, destination, changetype<usize>(transfer), <u64>min<i32>(length, room))) return ERROR_BAD_ADDRESS;
  return length;
}

function emitReportLine(text: Text): void {
  consoleLine(reportSlot, text);
}

/** report(topic, option): a REPORT_ topic written on the caller's console (option: REPORT_LOG's most verbose level). */
export function report(caller: Caller, module: i32, topic: u64, option: u64, c: u64, d: u64, e: u64): i64 {
  const slot = caller.index;
  reportSlot = slot;
  if (topic == REPORT_LOG && option > <u64>LEVEL_DEBUG) return ERROR_BAD_ARGUMENT;
  if (topic == REPORT_HANDLERS) handlersReport(out, emitReportLine);
  else if (topic == REPORT_MEMORY) memoryReport(slot);
  else if (topic == REPORT_LOG) logReport(slot, option == 0 ? LEVEL_INFO : <u8>option);
  else if (topic == REPORT_PROGRAMS) programsReport(slot, out);
  else if (topic == REPORT_UPTIME) uptimeReport(slot);
  else if (topic == REPORT_CAPABILITIES) capabilitiesReport(slot);
  else if (topic == REPORT_DISKS) disksReport(out, emitReportLine);
  else if (topic == REPORT_NETWORK) networkReport(out, emitReportLine);
  else return ERROR_NOT_FOUND;
  return 0;
}

function memoryReport(slot: i32): void {
  const allocator = pageAllocator();
  const free = allocator.freePages * PAGE_BYTES;
  out.clear().string("memory: ").size(memoryTotalBytes).string(" total, ").size(memoryTotalBytes - memoryUnmanagedBytes - free)
    .string(" used, ").size(free).string(" free");
  if (memoryUnmanagedBytes > 0) out.string(", ").size(memoryUnmanagedBytes).string(" unmanaged (above the identity-mapped 4 GiB)");
  consoleLine(slot, out.string(" (4 KiB pages: ").grouped(allocator.freePages).string(" free)"));
  // The kernel's heap only grows (its runtime never frees, asconfig.json): where its top is now
  // shows a leak. An empty allocation is the top (and costs this report a few bytes).
  const top = <u64>changetype<usize>(new ArrayBuffer(0));
  consoleLine(slot, out.clear().string("kernel: heap ").grouped(top).string(" bytes (").size(top).string(") of ")
    .size(<u64>memory.size() << 16).string(" wasm memory (it only grows)"));
}

/** The kernel log's lines at `level` or more important, oldest first; then what input refused. */
function logReport(slot: i32, level: u8): void {
  let hidden = 0;
  for (let cursor = logRing.first(); logRing.lines > 0 && cursor != logRing.end(); cursor = logRing.next(cursor)) {
    if (logRing.lineLevel(cursor) > level) {
      hidden++;
      continue;
    }
    out.clear();
    const length = logRing.lineLength(cursor);
    for (let i = 0; i < length; i++) out.char(logRing.lineByte(cursor, i));
    consoleLine(slot, out);
  }
  if (hidden > 0 && level < LEVEL_DEBUG) consoleLine(slot, out.clear().string("(").decimal(hidden).string(hidden == 1 ? " line" : " lines")
    .string(" at debug level not shown: log debug shows them)"));
  inputReport(out, emitReportLine); // after the log: each console's entered and refused lines
}

function uptimeReport(slot: i32): void {
  const milliseconds = clockNanoseconds(readTsc()) / 1_000_000;
  const seconds = milliseconds / 1000;
  out.clear().string("up ");
  if (seconds >= 3600) out.decimal(seconds / 3600).string("h ");
  if (seconds >= 60) out.decimal(seconds / 60 % 60).string("m ");
  out.decimal(seconds % 60).string("s (").fixed(milliseconds, 1000, 3).string(" s since boot), ")
    .decimal(handlers.length).string(" handlers");
  consoleLine(slot, out);
}

/** Every handler and running program with what it was granted. */
function capabilitiesReport(slot: i32): void {
  consoleLine(slot, out.clear().string("MODULE        KIND     CAPABILITIES"));
  for (let i = 0; i < handlers.length; i++) moduleGrantsLine(slot, handlers[i].module, "handler  ");
  for (let s = 0; s < programSlots(); s++) if (program(s).module >= 0) moduleGrantsLine(slot, program(s).module, "program  ");
}

/** One line of the capabilities report: the module's name, its kind, what the gate's table grants it. */
function moduleGrantsLine(slot: i32, module: i32, kind: string): void {
  const caller = callerOf(module);
  if (caller != null) consoleLine(slot, describeGrants(out.clear().column(caller.name, 14).string(kind), caller.grants));
}

/** reset(name, length): the handler named in callArgument back to its initial state. */
export function reset(caller: Caller, module: i32, a: u64, b: u64, c: u64, d: u64, e: u64): i64 {
  const slot = caller.index;
  const index = handlerNamed(changetype<usize>(callArgument), callArgumentLength);
  if (index < 0) {
    consoleLine(slot, out.clear().string("reset: no handler called '").escaped(changetype<usize>(callArgument), callArgumentLength)
      .string("' (see: handlers)"));
    return ERROR_NOT_FOUND;
  }
  const trap = handlerReset(index);
  if (trap == 0) {
    stateLogForget(index); // the initial state, written whole: a reset outlives a power cut too
    stateLogCommitted(index);
  }
  out.clear().string("reset: '").string(handlers[index].name).string("'");
  consoleLine(slot, out.string(trap == 0 ? " is back to its initial state" : " trapped while restarting; quarantined"));
  return trap == 0 ? 0 : ERROR_FAILED;
}

const name = new StaticArray<u8>(64);

/**
 * run(name, length, arguments, arguments_length, mode): /bin/<name> with an argument line.
 * RUN_HERE: on the caller's console, the caller waiting until it ends; how it ended (EXIT_).
 * RUN_CONSOLE: on the next free console; its console number.
 */
export function run(caller: Caller, module: i32, address: u64, length: u64, argumentsAddress: u64, argumentsLength: u64,
  mode: u64): i64 {
  const slot = caller.index;
  if (mode != RUN_HERE && mode != RUN_CONSOLE) return ERROR_BAD_ARGUMENT;
  if (length > <u64>name.length || argumentsLength > <u64>LINE_MAX_BYTES) return ERROR_TOO_LONG;
  if (!copyIn(module, changetype<usize>(name), address, length)) return ERROR_BAD_ADDRESS;
  if (!copyIn(module, changetype<usize>(transfer), argumentsAddress, argumentsLength)) return ERROR_BAD_ADDRESS;
  const started = programStart(changetype<usize>(name), <i32>length, changetype<usize>(transfer), <i32>argumentsLength,
    mode == RUN_HERE ? slot : -1);
  if (started < 0) {
    consoleLine(slot, out.clear().string("run: ").text(programError));
    return ERROR_FAILED;
  }
  if (mode == RUN_HERE) return programWaitChild(slot);
  consoleLine(slot, out.clear().string("run: started '").escaped(changetype<usize>(name), <i32>length).string("' on console ")
    .decimal(started + 1).string(" (Alt+F").decimal(started + 1).string(", or ESC ").decimal(started + 1).string(" on serial)"));
  return started + 1;
}

/** arguments(destination, capacity): the program's argument line; its whole length (only capacity bytes are copied). */
export function programArguments(caller: Caller, module: i32, destination: u64, capacity: u64, c: u64, d: u64, e: u64): i64 {
  const text = program(caller.index).arguments;
  const copied = min<u64>(capacity, <u64>text.length);
  if (!copyOut(module, destination, text.pointer, copied)) return ERROR_BAD_ADDRESS;
  return text.length;
}

/** stop(console): the program on console 1-4. */
export function stop(caller: Caller, module: i32, console: u64, b: u64, c: u64, d: u64, e: u64): i64 {
  const slot = caller.index;
  if (console < 1 || console > <u64>programSlots() || !programStop(<i32>console - 1)) {
    consoleLine(slot, out.clear().string("stop: no other program on console ").decimal(console).string(" (see: ps)"));
    return ERROR_NOT_FOUND;
  }
  consoleLine(slot, out.clear().string("stop: stopping the program on console ").decimal(console));
  return 0;
}

/** power(kind): POWER_REBOOT (handler state saved first) or POWER_OFF; returns only when it failed. */
export function power(caller: Caller, module: i32, kind: u64, b: u64, c: u64, d: u64, e: u64): i64 {
  const slot = caller.index;
  if (kind != POWER_OFF && kind != POWER_REBOOT) return ERROR_NOT_FOUND;
  if (kind == POWER_REBOOT) {
    const saved = savedStateSave(handlers);
    if (saved >= 0) consoleLine(slot, out.clear().string("reboot: saved the state of ").decimal(saved)
      .string(saved == 1 ? " handler" : " handlers").string(" for the next boot"));
  }
  const problem = kind == POWER_OFF ? powerOff(bootInformation()) : reboot(bootInformation());
  consoleLine(slot, out.clear().string(kind == POWER_OFF ? "poweroff: " : "reboot: ").string(problem));
  return ERROR_FAILED;
}

/** sync(): the data disk flushed, so every handler state written to it is durable (`sync` in the shell); 0 or ERROR_NO_DATA_DISK. */
export function syncCall(caller: Caller, module: i32, a: u64, b: u64, c: u64, d: u64, e: u64): i64 {
  return stateLogSync() ? 0 : ERROR_NO_DATA_DISK;
}
