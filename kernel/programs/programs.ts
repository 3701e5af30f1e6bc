// Foreground programs: started from /bin on the boot filesystem, one per virtual console.
//
//   run <name> ─► /bin/<name> (a module, read in place) ─► moduleLoad + moduleStart (top level)
//              ─► threadCreate: main() on a stack of its own, in the first free slot
//
// The kernel loop (loop.ts) gives the CPU to programs between rounds of handler work (one
// time slice while handlers have work, else until the next deadline): programsRunNext()
// picks a slot round robin (scheduler.ts), arms the timer for the earlier of that and,
// when another program is runnable too, the end of a time slice, and switches to its
// thread. Any device interrupt while a program runs brings the CPU back to the kernel
// (programsPreempt), which does its work and picks again.
// A program asking for input that has not arrived waits (its slot is skipped) until its
// console has a line. A program that returns, traps or is stopped is reaped: reported in
// the log and on its console, its thread, stack and module given back.

import { readTsc } from "../arch/x86_64/machine";
import { moduleIsProgram, moduleLoad, moduleStart, moduleUnload } from "../arch/x86_64/modules";

import { threadCreate, threadCurrent, threadKill, threadRelease, threadRequestSwitch, threadResult, threadSwitch } from "../arch/x86_64/threads";
import { localApicArm, localApicDisarm } from "../arch/x86_64/local_apic";
import { Text } from "../console/text";
import { virtualConsole, virtualConsoleCount, virtualConsolesCreate, virtualConsoleWrite } from "../console/virtual_consoles";
import { NO_DEADLINE } from "../events/timers";
import { bootFilesystem } from "../fs/boot_filesystem";
import { memoryRefusals, memoryShortage } from "../memory/memory";
import { ENTRY_FILE } from "../fs/cpio";
import { LEVEL_INFO, LEVEL_WARNING, line, log } from "../log/log";
import { SystemDescriptor } from "../config/boot_descriptor";
import { FOREGROUND_MAX, loadErrorText, TRAP_ABORT, trapText } from "../gate/interface";
import { INPUT_LINE_MAX_BYTES, PROGRAM_TIME_SLICE_NANOSECONDS } from "../params";
import { appendMillisecondsNumber, clockNanoseconds } from "../time/clock";
import { admitProgram, forgetCaller, takeFailure } from "../gate/callers";
import { Scheduler, SLOT_ENDED, SLOT_FREE, SLOT_RUNNABLE, SLOT_WAITING } from "./scheduler";

/** thread_result for a program stopped from the shell (boot/threads.c THREAD_KILLED). */
const RESULT_STOPPED: i32 = 101;
const PROGRAM_FOLDER = "/bin/";

export class Program {
  readonly name: Text = new Text(64);
  module: i32 = -1;
  thread: i32 = -1;
  startedAt: u64 = 0;
  /** TSC cycles it has had the CPU. */
  cycles: u64 = 0;
}

let scheduler = new Scheduler(0);
const programs = new Array<Program>();
const lineBuffer = new StaticArray<u8>(INPUT_LINE_MAX_BYTES);
const path = new Text(128);
/** Why the last programStart failed. */
export const programError = new Text();

/** What programs may do: each one's capabilities, from the boot descriptor. */
let system = new SystemDescriptor();

/** One slot and one virtual console per allowed foreground program, as `declared` allows. */
export function programsInitialize(declared: SystemDescriptor): void {
  system = declared;
  const slots = declared.foregroundMax;
  scheduler = new Scheduler(slots);
  virtualConsolesCreate(slots);
  for (let i = programs.length; i < slots; i++) programs.push(new Program());
}

export function programSlots(): i32 {
  return scheduler.slots;
}

export function programScheduler(): Scheduler {
  return scheduler;
}

export function program(slot: i32): Program {
  return programs[slot];
}

/**
 * Starts /bin/<name> in the first free slot (its console); returns the slot, or -1 with
 * programError saying why. The name is `length` bytes at `address` in kernel memory.
 */
export function programStart(address: usize, length: i32): i32 {
  programError.clear();
  const slot = scheduler.freeSlot();
  if (slot < 0) {
    programError.string("all ").decimal(scheduler.slots).string(" foreground slots are in use ([foreground] max = ")
      .decimal(scheduler.slots).string(" in /etc/system.toml); stop one first");
    return -1;
  }
  const name = String.UTF8.decodeUnsafe(address, length);
  const settings = system.program(name);
  if (settings == null) {
    programError.string("'").string(name).string("' is not a program of this system (see: ls /bin)");
    return -1;
  }
  const filesystem = bootFilesystem();
  path.clear().string(PROGRAM_FOLDER).raw(address, length);
  const entry = filesystem != null ? filesystem.lookupBytes(path.pointer, path.length) : null;
  if (entry == null || entry.kind != ENTRY_FILE || length == 0) {
    programError.string("no program ").text(path).string(" on the boot filesystem (see: ls /bin)");
    return -1;
  }
  const refusals = memoryRefusals;
  const module = moduleLoad(entry.address, entry.size);
  if (module < 0) {
    if (memoryShortage(refusals).length > 0) return shortOfMemory(path, refusals);
    programError.text(path).string(" is not a loadable module (").string(loadErrorText(module)).string(")");
    return -1;
  }
  if (!moduleIsProgram(module)) {
    moduleUnload(module);
    programError.text(path).string(" is a handler module, not a program (it has no main)");
    return -1;
  }
  admitProgram(module, slot, settings.name, settings.grants); // its start code may call the gate
  const trap = moduleStart(module);
  if (trap != 0) {
    forgetCaller(module);
    moduleUnload(module);
    if (memoryShortage(refusals).length > 0) return shortOfMemory(path, refusals);
    programError.text(path).string(" trapped while starting (").string(trapText(trap)).string(")");
    return -1;
  }
  const thread = threadCreate(module);
  if (thread < 0) {
    forgetCaller(module);
    moduleUnload(module);
    if (memoryShortage(refusals).length > 0) return shortOfMemory(path, refusals);
    programError.string("no thread or stack left for ").text(path);
    return -1;
  }
  const started = programs[slot];
  started.name.clear().raw(address, length);
  started.module = module;
  started.thread = thread;
  started.startedAt = clockNanoseconds(readTsc());
  started.cycles = 0;
  scheduler.occupy(slot);
  log(LEVEL_INFO, line.clear().string("programs: started '").text(started.name).string("' on console ").decimal(slot + 1));
  return slot;
}

/** Starts a program named by a string (the boot configuration's list); logs failures. */
/** programError for a start that failed because a page request was refused since `refusals`; returns -1. */
function shortOfMemory(path: Text, refusals: u32): i32 {
  programError.clear().text(path).string(": ").string(memoryShortage(refusals));
  return -1;
}

/** Starts /bin/<name> (programStart); logs why when it cannot, and returns whether it started. */
export function programStartNamed(name: string): bool {
  const nameBytes = new Text(64).string(name);
  if (programStart(nameBytes.pointer, nameBytes.length) >= 0) return true;
  log(LEVEL_WARNING, line.clear().string("programs: cannot start '").string(name).string("': ").text(programError));
  return false;
}

/** Stops the program in `slot` (not the one calling); false when there is none to stop. */
export function programStop(slot: i32): bool {
  if (slot < 0 || slot >= scheduler.slots) return false;
  const state = scheduler.state(slot);
  if (state == SLOT_FREE || state == SLOT_ENDED || programs[slot].thread == threadCurrent()) return false;
  threadKill(programs[slot].thread);
  scheduler.end(slot);
  return true;
}

/** Each console's Ctrl-C count already acted on. */
const interruptsSeen = new StaticArray<u32>(FOREGROUND_MAX);

/**
 * Ctrl-C: a program busy on its console (not waiting for a line) is stopped, with a line on
 * its console; a program at its prompt only sees its line discarded (the line discipline's
 * part), so Ctrl-C at the shell's prompt never ends the shell.
 */
export function programsInterrupt(): void {
  for (let slot = 0; slot < scheduler.slots; slot++) {
    const interrupts = virtualConsole(slot).discipline.interrupts;
    if (interrupts == interruptsSeen[slot]) continue;
    interruptsSeen[slot] = interrupts;
    if (scheduler.state(slot) != SLOT_RUNNABLE || !programStop(slot)) continue;
    consoleLine(slot, line.clear().string("^C: stopping '").text(programs[slot].name).string("'"));
  }
}

/** Reaps every program whose thread has ended: reported, and everything it held given back. */
export function programsReap(): void {
  for (let slot = 0; slot < scheduler.slots; slot++) {
    if (scheduler.state(slot) == SLOT_FREE) continue;
    const ended = programs[slot];
    const result = threadResult(ended.thread);
    if (result < 0) continue;
    line.clear().string("programs: '").text(ended.name).string("' on console ").decimal(slot + 1);
    if (result == 0) line.string(" ended");
    else if (result == RESULT_STOPPED) line.string(" was stopped");
    else if (result == <i32>TRAP_ABORT) line.string(" aborted (").string(takeFailure(ended.module)).string(") and was ended");
    else line.string(" trapped (").string(trapText(<u32>result)).string(") and was ended");
    log(result == 0 || result == RESULT_STOPPED ? LEVEL_INFO : LEVEL_WARNING, line);
    consoleLine(slot, line);
    threadRelease(ended.thread);
    forgetCaller(ended.module);
    moduleUnload(ended.module);
    ended.module = -1;
    ended.thread = -1;
    virtualConsole(slot).discipline.hasReader = false; // no one reads now: a full queue refuses lines again
    scheduler.reap(slot);
  }
}

/** Wakes programs waiting for input whose console now has a line. */
export function programsWake(): void {
  for (let slot = 0; slot < scheduler.slots; slot++) {
    if (scheduler.state(slot) == SLOT_WAITING && virtualConsole(slot).discipline.linesWaiting > 0) scheduler.wake(slot);
  }
}

/**
 * Runs the next runnable program until an interrupt, its input or its end brings the CPU
 * back; `untilWake` is how long until handler work is due (NO_DEADLINE: none). Returns
 * false when no program is runnable.
 */
export function programsRunNext(untilWake: u64): bool {
  const slot = scheduler.pickNext();
  if (slot < 0) return false;
  let deadline = untilWake;
  if (scheduler.needsTimeSlice() && PROGRAM_TIME_SLICE_NANOSECONDS < deadline) deadline = PROGRAM_TIME_SLICE_NANOSECONDS;
  if (deadline == NO_DEADLINE) localApicDisarm();
  else localApicArm(deadline);
  const running = programs[slot];
  const start = readTsc();
  threadSwitch(running.thread);
  running.cycles += readTsc() - start;
  return true;
}

/** From the interrupt path: a program was interrupted, so the kernel takes the CPU back. */
export function programsPreempt(): void {
  if (threadCurrent() != 0) threadRequestSwitch(0);
}

/** The slot of the program whose thread is running, or -1 (the kernel's own thread). */
export function callingSlot(): i32 {
  const thread = threadCurrent();
  if (thread == 0) return -1;
  for (let slot = 0; slot < scheduler.slots; slot++) if (programs[slot].thread == thread) return slot;
  return -1;
}

/**
 * A program's read: the next line its console's editor completed, copied into `destination`
 * (kernel memory, `capacity` bytes). With none yet, the program waits: the kernel runs
 * others and wakes it when a line arrives. Returns the line's length (it may exceed capacity:
 * the rest is cut).
 */
export function programReadLine(slot: i32, destination: usize, capacity: i32): i32 {
  const discipline = virtualConsole(slot).discipline;
  discipline.hasReader = true; // from now on a full queue holds input back rather than refusing lines
  while (true) {
    const length = discipline.takeLine(lineBuffer);
    if (length >= 0) {
      memory.copy(destination, changetype<usize>(lineBuffer), <usize>min<i32>(length, capacity));
      return length;
    }
    scheduler.wait(slot);
    threadSwitch(0);
  }
}

/** Writes `length` terminal bytes at `address` (kernel memory) to the console of `slot`. */
export function programWrite(slot: i32, address: usize, length: i32): void {
  for (let i = 0; i < length; i++) virtualConsoleWrite(slot, load<u8>(address + i));
}

/** Writes a line of kernel text to the console of `slot`. */
export function consoleLine(slot: i32, text: Text): void {
  if (slot < 0 || slot >= virtualConsoleCount()) return;
  programWrite(slot, text.pointer, text.length);
  virtualConsoleWrite(slot, 0x0a);
}

/** `ps`: one line per occupied slot, written to the console of `slot`. */
export function programsReport(slot: i32, out: Text): void {
  consoleLine(slot, out.clear().string("CONSOLE  PROGRAM          STATE     TURNS      CPU ms   UPTIME s"));
  const now = clockNanoseconds(readTsc());
  for (let s = 0; s < scheduler.slots; s++) {
    const state = scheduler.state(s);
    if (state == SLOT_FREE) continue;
    const entry = programs[s];
    out.clear().decimal(s + 1).padTo(9).text(entry.name).padTo(26)
      .string(state == SLOT_RUNNABLE ? "running" : state == SLOT_WAITING ? "waiting" : "ended").padTo(36)
      .decimal(scheduler.turns[s]).padTo(47);
    appendMillisecondsNumber(out, entry.cycles).padTo(56)
      .decimal((now - entry.startedAt) / 1_000_000_000);
    consoleLine(slot, out);
  }
}
