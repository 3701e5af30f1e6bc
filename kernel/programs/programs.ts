// Foreground programs: started from /bin on the boot filesystem, one running per virtual console.
//
//   run <name> <args> ─► /bin/<name> (a module, read in place) ─► moduleLoad + moduleStart (top level)
//                     ─► threadCreate: main() on a stack of its own
//
// RUN_CONSOLE puts the program in the first free slot (its own console). RUN_HERE puts it
// on the caller's console, above the caller, which waits inside its run call until the
// program ends and then gets how it ended (EXIT_ codes), as a shell waits for a command:
//
//   slot 0:  shell (waits) ◄─parent── greet (runs, reads and writes console 1)
//
// A slot's scheduling state is its top program's; Ctrl-C and stop end the top one.
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

import { preemptionAllowed } from "./preemption";
import { threadCreate, threadCurrent, threadKill, threadRelease, threadRequestSwitch, threadResult, threadSwitch } from "../arch/x86_64/threads";
import { localApicArm, localApicDisarm } from "../arch/x86_64/local_apic";
import { Text } from "../console/text";
import { virtualConsole, virtualConsoleCount, virtualConsolesCreate, virtualConsoleWrite } from "../console/virtual_consoles";
import { NO_DEADLINE } from "../events/timers";
import { bootFilesystem } from "../fs/boot_filesystem";
import { memoryRefusals, memoryShortage } from "../memory/memory";
import { ENTRY_FILE } from "../fs/cpio";
import { LEVEL_DEBUG, LEVEL_INFO, LEVEL_WARNING, line, log } from "../log/log";
import { SystemDescriptor } from "../config/boot_descriptor";
import { EXIT_ENDED, EXIT_FAILED, EXIT_STOPPED, FOREGROUND_MAX, LINE_MAX_BYTES, loadErrorText, TRAP_ABORT, trapText } from "../gate/interface";
import { INPUT_LINE_MAX_BYTES, PROGRAM_TIME_SLICE_NANOSECONDS } from "../params";
import { appendMillisecondsNumber, clockNanoseconds } from "../time/clock";
import { admitProgram, forgetCaller, takeFailure } from "../gate/callers";
import { Scheduler, SLOT_ENDED, SLOT_FREE, SLOT_RUNNABLE, SLOT_WAITING } from "./scheduler";

/** thread_result for a program stopped from the shell (boot/threads.c THREAD_KILLED). */
const RESULT_STOPPED: i32 = 101;
const PROGRAM_FOLDER = "/bin/";

export class Program {
  readonly name: Text = new Text(64);
  /** The argument line it was started with (the arguments call copies it). */
  readonly arguments: Text = new Text(LINE_MAX_BYTES);
  /** The program waiting for this one to end (RUN_HERE), or null. */
  parent: Program | null = null;
  /** How its RUN_HERE child ended (EXIT_ codes), -1 while the child runs. */
  childExit: i32 = -1;
  module: i32 = -1;
  thread: i32 = -1;
  startedAt: u64 = 0;
  /** TSC cycles it has had the CPU. */
  cycles: u64 = 0;
}

let scheduler = new Scheduler(0);
/** Each slot's top program: the one that runs on its console. */
const programs = new Array<Program>();
/** Program records given back by ended RUN_HERE programs, for the next ones. */
const spare = new Array<Program>();
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

/** The system's program settings (names, grants), as the boot descriptor gave them. */
export function programSettings(): SystemDescriptor {
  return system;
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
 * Starts /bin/<name> with an argument line: in `hereSlot` above the program there (which
 * then waits for it: programWaitChild), or in the first free slot when `hereSlot` is -1.
 * Returns the slot, or -1 with programError saying why. Name and arguments are in kernel
 * memory.
 */
export function programStart(address: usize, length: i32, argumentsAddress: usize, argumentsLength: i32, hereSlot: i32): i32 {
  programError.clear();
  const slot = hereSlot >= 0 ? hereSlot : scheduler.freeSlot();
  if (slot < 0) {
    programError.string("all ").decimal(scheduler.slots).string(scheduler.slots == 1 ? " console has" : " consoles have")
      .string(" a program ([foreground] max = ").decimal(scheduler.slots).string("): run it here instead (run NAME), stop one")
      .string(" (stop N), or raise [foreground] max (at most ").decimal(FOREGROUND_MAX).string(") in the system.toml and rebuild");
    return -1;
  }
  const settings = system.programNamed(address, length); // no string made: a start must not grow the kernel's heap
  if (settings == null) {
    programError.string("'").escaped(address, length).string("' is not a program of this system (see: ls /bin)");
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
  const started = hereSlot >= 0 ? spareProgram() : programs[slot];
  started.parent = hereSlot >= 0 ? programs[slot] : null;
  started.childExit = -1;
  programs[slot] = started;
  started.name.clear().raw(address, length);
  started.arguments.clear().raw(argumentsAddress, min<i32>(argumentsLength, LINE_MAX_BYTES));
  started.module = module;
  started.thread = thread;
  started.startedAt = clockNanoseconds(readTsc());
  started.cycles = 0;
  scheduler.occupy(slot);
  log(started.parent != null ? LEVEL_DEBUG : LEVEL_INFO, line.clear().string("programs: started '").text(started.name)
    .string("' on console ").decimal(slot + 1));
  return slot;
}

function spareProgram(): Program {
  return spare.length > 0 ? spare.pop() : new Program();
}

/**
 * The calling program (top of `slot`) waits until the RUN_HERE child it just started ends;
 * returns how it ended (EXIT_ codes). The kernel runs the child meanwhile: the slot's top.
 */
export function programWaitChild(slot: i32): i32 {
  const waiting = programs[slot].parent!;
  while (waiting.childExit < 0) threadSwitch(0);
  const exit = waiting.childExit;
  waiting.childExit = -1;
  return exit;
}

/** Starts a program named by a string (the boot configuration's list); logs failures. */
/** programError for a start that failed because a page request was refused since `refusals`; returns -1. */
function shortOfMemory(path: Text, refusals: u32): i32 {
  programError.clear().text(path).string(": ").string(memoryShortage(refusals));
  return -1;
}

/** Starts /bin/<name> (programStart) without arguments; logs why when it cannot, and returns whether it started. */
export function programStartNamed(name: string): bool {
  const nameBytes = new Text(64).string(name);
  if (programStart(nameBytes.pointer, nameBytes.length, 0, 0, -1) >= 0) return true;
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
 * Ctrl-C: a program started with RUN_HERE is stopped, busy or not, and the one that ran it
 * goes on; a console's first program is stopped when busy (not waiting for a line), and at
 * its prompt only sees its line discarded (the line discipline's part), so Ctrl-C at the
 * shell's prompt never ends the shell. Either way with a line on the console.
 */
export function programsInterrupt(): void {
  for (let slot = 0; slot < scheduler.slots; slot++) {
    const interrupts = virtualConsole(slot).discipline.interrupts;
    if (interrupts == interruptsSeen[slot]) continue;
    interruptsSeen[slot] = interrupts;
    const child = programs[slot].parent != null;
    if ((!child && scheduler.state(slot) != SLOT_RUNNABLE) || !programStop(slot)) continue;
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
    const parent = ended.parent;
    line.clear().string("programs: '").text(ended.name).string("' on console ").decimal(slot + 1);
    if (result == 0) line.string(" ended");
    else if (result == RESULT_STOPPED) line.string(" was stopped");
    else if (result == <i32>TRAP_ABORT) takeFailure(ended.module, line.string(" aborted (")).string(") and was ended");
    else line.string(" trapped (").string(trapText(<u32>result)).string(") and was ended");
    const failed = result != 0 && result != RESULT_STOPPED;
    log(failed ? LEVEL_WARNING : parent != null ? LEVEL_DEBUG : LEVEL_INFO, line);
    // The program that waits for a RUN_HERE one hears how it ended; its console shows only what went wrong.
    if (parent == null || result != 0) consoleLine(slot, line);
    threadRelease(ended.thread);
    forgetCaller(ended.module);
    moduleUnload(ended.module);
    ended.module = -1;
    ended.thread = -1;
    virtualConsole(slot).discipline.hasReader = false; // no one reads now: a full queue refuses lines again
    if (parent == null) {
      scheduler.reap(slot);
      continue;
    }
    parent.childExit = result == 0 ? EXIT_ENDED : result == RESULT_STOPPED ? EXIT_STOPPED : EXIT_FAILED;
    ended.parent = null;
    spare.push(ended);
    programs[slot] = parent;
    scheduler.resume(slot);
  }
}

/** Wakes programs waiting for input whose console now has a line. */
export function programsWake(): void {
  for (let slot = 0; slot < scheduler.slots; slot++) {
    if (scheduler.state(slot) == SLOT_WAITING && virtualConsole(slot).discipline.linesWaiting > 0) scheduler.wake(slot);
  }
}

/** Whether a program is runnable (not waiting for input, not ended). */
export function programsRunnable(): bool {
  return scheduler.runnableCount() > 0;
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
  // Not while the program's call waits for a disk (preemption.ts): the kernel would start another request.
  if (threadCurrent() != 0 && preemptionAllowed()) threadRequestSwitch(0);
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

/** `ps`: one line per program, a console's waiting ones under the one they wait for, written to the console of `slot`. */
export function programsReport(slot: i32, out: Text): void {
  consoleLine(slot, out.clear().string("CONSOLE  PROGRAM          STATE     TURNS      CPU ms   UPTIME s"));
  const now = clockNanoseconds(readTsc());
  for (let s = 0; s < scheduler.slots; s++) {
    const state = scheduler.state(s);
    if (state == SLOT_FREE) continue;
    for (let entry: Program | null = programs[s]; entry != null; entry = entry.parent) {
      const top = entry == programs[s];
      out.clear().decimal(s + 1).padTo(9).text(entry.name).padTo(26)
        .string(!top ? "parent" : state == SLOT_RUNNABLE ? "running" : state == SLOT_WAITING ? "waiting" : "ended").padTo(36)
        .decimal(top ? scheduler.turns[s] : 0).padTo(47);
      appendMillisecondsNumber(out, entry.cycles).padTo(56)
        .decimal((now - entry.startedAt) / 1_000_000_000);
      consoleLine(slot, out);
    }
  }
}
