// OptiOS kernel: the boot sequence, one step per line, and the entry points boot/ calls.
// This is the shipped kernel's entry; the test kernel's (kernel/test_main.ts) adds test boots.
//
// boot/main.c instantiates this module and calls, each inside a trap guard:
//   kernel_initialize()                 top-level initialisation (asconfig exportStart)
//   kernel_main(magic, information)     once, with the loader's magic and information address
//   kernel_exception(vector, code, rip) for CPU exceptions 0-31
//   kernel_interrupt(vector)            for device interrupt vectors 32-47
//   kernel_gate_call(module, call, …)   every call a handler or program makes through its gate
//   kernel_allocate_pages / kernel_free_pages   memory for modules, stacks and snapshots
//   kernel_trap(kind)                   when the kernel's own wasm code trapped

import { bootEntryTsc, haltForever, physicalRead64, readTsc } from "./arch/x86_64/machine";
import { runtimeUsePageAllocator } from "./arch/x86_64/modules";
import { reportException } from "./arch/x86_64/exceptions";
import { PHASE_BOOT_INFORMATION, PHASE_CLOCK, PHASE_CONSOLES, PHASE_MEMORY, PHASE_NAMES, PHASE_RUNTIME,
  printBanner } from "./banner";
import { BootInformation } from "./boot/boot_information";
import { parseCommandLine, TEST_BENCH, TEST_FAULT, TEST_NONE, TEST_SELFTEST } from "./boot/command_line";
import { MULTIBOOT2_BOOT_MAGIC, readMultiboot2 } from "./boot/multiboot2";
import { PVH_BOOT_MAGIC, readPvh } from "./boot/pvh";
import { consoleStartOutputs, consoleStartSerial } from "./console/outputs";
import { gateCall } from "./gate/gate";
import { dispatcherTimerInterrupt } from "./handlers/dispatcher";
import { handlersLoad, handlersPostBoot } from "./handlers/registry";
import { deployInitialize, deployInterrupt } from "./handlers/deploy";
import { dataDiskInitialize, disksInterrupt, isDiskVector } from "./storage/data_disk";
import { stateLogRecover } from "./storage/state_log";
import { isNetworkVector, networkInitialize, networkInterrupt, networkStart } from "./net/network";
import { savedStateLoad, savedStateReserve } from "./handlers/saved_state";
import { bootFilesystemMount, bootFilesystemProblem } from "./fs/boot_filesystem";
import { localApicInitialize, SPURIOUS_INTERRUPT_VECTOR, TIMER_VECTOR } from "./arch/x86_64/local_apic";
import { IRQ_COM1, IRQ_COM2, IRQ_KEYBOARD, picAcknowledgeVector47, picEndOfInterrupt, picLine, picMask, picRemapAndMask, picUnmask, picVector } from "./arch/x86_64/pic8259";
import { bootInformationKeep } from "./boot/current";
import { loadDescriptor } from "./config/boot_descriptor";
import { inputInitialize, inputKeyboardInterrupt, inputSerialInterrupt } from "./input/input";
import { kernelLoop } from "./loop";
import { programsInitialize, programsPreempt, programStartNamed } from "./programs/programs";
import { FOREGROUND_MAX, trapText } from "./gate/interface";
import { LEVEL_ERROR, LEVEL_INFO, LEVEL_WARNING, line, log, logSetConsoleLevel } from "./log/log";
import { memoryAllocatePages, memoryInitialize, memoryUseSmallPages, memoryNeededBytes, memoryRefusals, memoryShortage, memoryTotalBytes, memoryUnmanagedBytes,
  pageAllocator } from "./memory/memory";
import { abortKernel, panic, setTestBoot, stopMachine } from "./panic";
import { PAGE_BYTES } from "./params";
import { bench, selfTests, testModeMissing } from "./test_modes";
import { clockCalibrate, clockSetBoot, clockSetWall, clockTscHz } from "./time/clock";
import { rtcUnixSeconds } from "./arch/x86_64/mc146818_rtc";

/** AssemblyScript's abort(): boot/ implements the env.abort import by calling this. */
export function kernel_abort(message: usize, file: usize, line: u32, column: u32): void {
  abortKernel(changetype<string | null>(message), changetype<string | null>(file), line, column);
}

/** test=fault reads here: 256 GiB, far beyond the identity map, so it must page-fault. */
const UNMAPPED_ADDRESS: u64 = 0x40_0000_0000;

export function kernel_main(magic: u32, informationAddress: u64): void {
  const entryTsc = bootEntryTsc();
  const phaseEnds = new StaticArray<u64>(PHASE_NAMES.length);
  phaseEnds[PHASE_RUNTIME] = readTsc();
  consoleStartSerial();                                        // COM1 first: later steps can report
  const information = readBootInformation(magic, informationAddress);
  if (information.error.length > 0) panic("kernel_main", information.error);
  const options = parseCommandLine(information.commandLine);
  const testMissing = testModeMissing(options.test);            // test=selftest|bench: the test kernel's
  if (testMissing.length > 0) { options.warnings.push(testMissing); options.test = TEST_NONE; }
  logSetConsoleLevel(options.logLevel);
  setTestBoot(options.test != TEST_NONE);
  phaseEnds[PHASE_BOOT_INFORMATION] = readTsc();
  consoleStartOutputs(options.consoles, information.framebuffer); // serial and/or the screen
  phaseEnds[PHASE_CONSOLES] = readTsc();
  const memoryError = memoryInitialize(information);           // page allocator over the memory map
  if (memoryError.length > 0) panic("memoryInitialize", memoryError);
  runtimeUsePageAllocator();                                   // module memories come from it now
  memoryUseSmallPages(information);                            // 4 KiB pages for RAM (QEMU's TLB: boot/paging.c)
  savedStateReserve(information);                              // handler state kept over a warm reboot
  savedStateLoad();
  phaseEnds[PHASE_MEMORY] = readTsc();
  clockCalibrate();                                            // TSC frequency, against the PIT
  clockSetBoot(entryTsc);
  clockSetWall(rtcUnixSeconds(), readTsc());                   // the date, from the CMOS clock
  phaseEnds[PHASE_CLOCK] = readTsc();
  printBanner(information, entryTsc, phaseEnds, readTsc(), memoryTotalBytes, pageAllocator().freePages * PAGE_BYTES);
  for (let i = 0; i < information.warnings.length; i++) log(LEVEL_WARNING, line.clear().string(information.warnings[i]));
  for (let i = 0; i < options.warnings.length; i++) log(LEVEL_WARNING, line.clear().string(options.warnings[i]));
  if (options.test == TEST_SELFTEST) stopMachine(selfTests!(information));
  if (options.test == TEST_FAULT) physicalRead64(UNMAPPED_ADDRESS);
  picRemapAndMask();                                           // legacy PICs off the exception vectors
  localApicInitialize(clockTscHz());                           // the one-shot timer for deadlines
  bootInformationKeep(information);
  dataDiskInitialize();                                        // the disk labelled as OptiOS's, if any
  networkInitialize();                                         // the NICs, their receive rings filled
  bootFilesystemMount(information);                            // the initrd, read-only at /
  const system = loadDescriptor();                             // /etc/system.descriptor from it
  if (system.error.length > 0) log(LEVEL_WARNING, line.clear().string("boot descriptor: ").string(system.error)
    .string("; starting a safe system: no handlers, the shell"));
  programsInitialize(system);                                  // one slot and console per program
  handlersLoad(information, system);                           // handler modules GRUB handed over
  networkStart(system);                                        // the stack (handler net) on the first NIC
  stateLogRecover();                                           // each handler's last durable state, from the data disk
  if (options.test == TEST_BENCH) stopMachine(bench!());
  inputInitialize();                                           // keyboard and COM1 interrupt on input
  picUnmask(IRQ_KEYBOARD);
  picUnmask(IRQ_COM1);
  deployInitialize(system.deployPort);                         // COM2, when the system takes live deploys
  handlersPostBoot();                                          // each gets the boot event
  const refusals = memoryRefusals;
  let wanted = 0;
  let started = 0;
  for (let console: u32 = 1; console <= <u32>FOREGROUND_MAX; console++) {  // the programs started at boot
    for (let i = 0; i < system.programs.length; i++) {
      if (system.programs[i].bootConsole != console) continue;
      wanted++;
      if (programStartNamed(system.programs[i].name)) started++;
    }
  }
  if (started < wanted) reportBootProgramsMissing(wanted - started, refusals);
  kernelLoop();                                                // never returns
}

/** One clear line when programs meant to start at boot (the shell) could not: too little memory, or no usable boot filesystem. */
function reportBootProgramsMissing(missing: i32, refusals: u32): void {
  const report = line.clear();
  if (memoryShortage(refusals).length > 0) {
    report.string("memory: this machine needs more memory: it has ").size(memoryTotalBytes - memoryUnmanagedBytes)
      .string(" of usable RAM and its boot programs need more than that (at least ").size(memoryNeededBytes())
      .string("); ").decimal(missing).string(missing == 1 ? " boot program" : " boot programs").string(" could not start (")
      .string(memoryShortage(refusals)).string("); docs/benchmarks.md has the smallest -m for the default system");
  } else if (bootFilesystemProblem().length > 0) {
    report.string("boot: no shell to start: the boot filesystem is missing or damaged (").string(bootFilesystemProblem())
      .string("); the machine stays up with its log on this console; rebuild the initrd or boot another generation");
  } else return;
  log(LEVEL_ERROR, report);
}

function readBootInformation(magic: u32, address: u64): BootInformation {
  const information = new BootInformation();
  if (magic == MULTIBOOT2_BOOT_MAGIC) return readMultiboot2(address, information);
  if (magic == PVH_BOOT_MAGIC) return readPvh(address, information);
  return information.fail("unknown boot magic 0x" + magic.toString(16) +
    ": expected multiboot2 (0x36d76289) or PVH (0x336ec578); was this kernel started by a multiboot2 or PVH loader?");
}

/** Pages for module images, instances and memories (boot/wasm_runtime.c); 0 when none are free. */
export function kernel_allocate_pages(count: u32): u64 {
  return memoryAllocatePages(count);
}

/** Gives back pages from kernel_allocate_pages (module memories, stacks, snapshots). */
export function kernel_free_pages(address: u64, count: u32): void {
  pageAllocator().free(address, count);
}

/** The gate: every call a handler or program makes (boot/handler_gate.c), with the caller's module number. */
export function kernel_gate_call(module: u32, call: u32, a: u64, b: u64, c: u64, d: u64, e: u64): u64 {
  return <u64>gateCall(<i32>module, call, a, b, c, d, e);
}

export function kernel_exception(vector: u32, errorCode: u64, rip: u64): void {
  reportException(vector, errorCode, rip);
  stopMachine(false);
}

export function kernel_interrupt(vector: u32): void {
  if (vector == SPURIOUS_INTERRUPT_VECTOR) { // also the secondary PIC's IRQ 15, and its spurious interrupts
    picAcknowledgeVector47();
    return;
  }
  if (vector == TIMER_VECTOR) dispatcherTimerInterrupt();
  else if (vector == picVector(IRQ_KEYBOARD)) inputKeyboardInterrupt();
  else if (vector == picVector(IRQ_COM1)) inputSerialInterrupt();
  else if (vector == picVector(IRQ_COM2)) deployInterrupt();
  else if (isDiskVector(vector) || isNetworkVector(vector)) {
    // A PCI line may be shared (QEMU routes several devices to IRQ 10 and 11): every device on it
    // acknowledges its own status, then the PIC gets one EOI.
    disksInterrupt(vector);
    networkInterrupt(vector);
    picEndOfInterrupt(<u8>(vector - picVector(0)));
  }
  else unexpectedInterrupt(vector);
  programsPreempt();                                           // a program was running: the kernel has work
}

/**
 * An interrupt no driver claims: a PCI device's line the kernel opened for a device it then
 * stopped using (a USB controller whose stick it did not take). Its line is masked and the
 * PICs are told it is done: without the EOI the primary PIC would keep the cascade in service
 * and hold back every lower line, the serial console's among them.
 */
function unexpectedInterrupt(vector: u32): void {
  const irq = picLine(vector);
  if (irq >= 0) {
    picMask(<u8>irq);
    picEndOfInterrupt(<u8>irq);
  }
  log(LEVEL_WARNING, line.clear().string("interrupt: unexpected vector ").decimal(vector)
    .string(irq >= 0 ? "; its line (IRQ " + irq.toString() + ") is masked" : ""));
}

export function kernel_trap(kind: u32): void {
  panic("the kernel's wasm code", "trap: " + trapText(kind));
}
