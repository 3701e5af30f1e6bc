// Host-test entry: drives the kernel's own modules from JavaScript (tests/host/*.test.ts).
//
// Compiled by global_setup.ts with the kernel's runtime settings and run in Node against
// fake_machine.ts. Results that are text land in `result`; JavaScript reads them through
// resultPointer()/resultLength(). Strings from JavaScript arrive as bytes in `input`.

import { reportException } from "../../kernel/arch/x86_64/exceptions";
import { measureTscHz } from "../../kernel/arch/x86_64/pit8254";
import { parseDuration } from "../../kernel/events/duration";
import { Delivery, EventQueue } from "../../kernel/events/event_queue";
import { backoffDelay, HandlerHealth, recordFailure, recordSuccess, restart, runnable, SupervisionPolicy }
  from "../../kernel/events/supervision";
import { TimerSet } from "../../kernel/events/timers";
import { Uart16550 } from "../../kernel/arch/x86_64/uart16550";
import { VgaText } from "../../kernel/arch/x86_64/vga_text";
import { BootInformation } from "../../kernel/boot/boot_information";
import { KernelOptions, parseCommandLine } from "../../kernel/boot/command_line";
import { parseMultiboot2, readMultiboot2 } from "../../kernel/boot/multiboot2";
import { readPvh } from "../../kernel/boot/pvh";
import { consoleAddOutput, consoleRemoveAllOutputs } from "../../kernel/console/console";
import { Framebuffer, FRAMEBUFFER_KIND_RGB, FramebufferConsole } from "../../kernel/console/framebuffer_console";
import { Text } from "../../kernel/console/text";
import { logAlways } from "../../kernel/log/log";
import { LogRing } from "../../kernel/log/ring";
import { memoryAllocatePages, memoryInitialize, memoryUseSmallPages, memoryNeededBytes, memoryRefusals, memoryShortage, memoryTotalBytes, memoryUnmanagedBytes,
  pageAllocator } from "../../kernel/memory/memory";
import { checksum, savedStateLoad, savedStateReserve } from "../../kernel/handlers/saved_state";
import { PageAllocator } from "../../kernel/memory/page_allocator";
import { panic, setTestBoot } from "../../kernel/panic";

const result = new Text();
const input = new StaticArray<u8>(4096);

export function resultPointer(): usize { return result.pointer; }
export function resultLength(): i32 { return result.length; }
export function inputPointer(): usize { return changetype<usize>(input); }

function inputString(length: i32): string {
  return String.UTF8.decodeUnsafe(changetype<usize>(input), length);
}

// ---- Text formatting ----
export function formatDecimal(value: u64): void { result.clear().decimal(value); }
export function formatSigned(value: i64): void { result.clear().signed(value); }
export function formatGrouped(value: u64): void { result.clear().grouped(value); }
export function formatHex(value: u64, width: i32): void { result.clear().hex(value, width); }
export function formatFixed(numerator: u64, denominator: u64, decimals: i32): void { result.clear().fixed(numerator, denominator, decimals); }
export function formatSize(bytes: u64): void { result.clear().size(bytes); }
export function formatInput(length: i32): void { result.clear().string(inputString(length)); }
export function formatPadded(length: i32, column: i32): void { result.clear().string(inputString(length)).padTo(column).char(0x7c); }

// ---- Boot information ----
let information = new BootInformation();
export function bootReadMultiboot2(address: u64): void { information = readMultiboot2(address, new BootInformation()); }
export function bootParseMultiboot2Input(length: u32): void {
  information = parseMultiboot2(changetype<usize>(input), length, 0x10000, new BootInformation());
}
export function bootReadPvh(address: u64): void { information = readPvh(address, new BootInformation()); }
export function bootError(): void { result.clear().string(information.error); }
export function bootProtocol(): void { result.clear().string(information.protocol); }
export function bootLoaderName(): void { result.clear().string(information.loaderName); }
export function bootCommandLine(): void { result.clear().string(information.commandLine); }
export function bootCommandLineLength(): i32 { return String.UTF8.byteLength(information.commandLine); }
export function bootWarningCount(): i32 { return information.warnings.length; }
export function bootWarning(index: i32): void { result.clear().string(information.warnings[index]); }
export function bootRegionCount(): i32 { return information.regions.length; }
export function bootRegionBase(index: i32): u64 { return information.regions[index].base; }
export function bootRegionLength(index: i32): u64 { return information.regions[index].length; }
export function bootRegionKind(index: i32): u32 { return information.regions[index].kind; }
export function bootModuleCount(): i32 { return information.modules.length; }
export function bootModuleStart(index: i32): u64 { return information.modules[index].start; }
export function bootModuleEnd(index: i32): u64 { return information.modules[index].end; }
export function bootModuleName(index: i32): void { result.clear().string(information.modules[index].name); }
export function bootHasFramebuffer(): bool { return information.framebuffer != null; }
export function bootFramebufferAddress(): u64 { return information.framebuffer!.address; }
export function bootFramebufferWidth(): u32 { return information.framebuffer!.width; }
export function bootFramebufferHeight(): u32 { return information.framebuffer!.height; }
export function bootFramebufferPitch(): u32 { return information.framebuffer!.pitch; }
export function bootFramebufferBitsPerPixel(): u8 { return information.framebuffer!.bitsPerPixel; }
export function bootFramebufferKind(): u8 { return information.framebuffer!.kind; }
export function bootFramebufferRedPosition(): u8 { return information.framebuffer!.redPosition; }
export function bootRsdpAddress(): u64 { return information.rsdpAddress; }
export function bootRsdpRevision(): u8 { return information.rsdpRevision; }
export function bootAvailableBytes(): u64 { return information.availableBytes(); }

// ---- Memory ----
export function memorySetUp(): void { result.clear().string(memoryInitialize(information)); }
export function memorySmallPages(): void { memoryUseSmallPages(information); }
export function memoryTotal(): u64 { return memoryTotalBytes; }
export function memoryUnmanaged(): u64 { return memoryUnmanagedBytes; }
export function memoryAllocate(pages: u64): u64 { return memoryAllocatePages(pages); }
export function memoryRefusalCount(): u32 { return memoryRefusals; }
export function memoryShortageSince(refusals: u32): void { result.clear().string(memoryShortage(refusals)); }
export function memoryNeeded(): u64 { return memoryNeededBytes(); }
export function memoryFreePages(): u64 { return pageAllocator().freePages; }
export function memoryPageIsUsed(address: u64): bool { return pageAllocator().isUsed(address / 4096); }
/** Reserves the saved-state area and reads it (kernel/handlers/saved_state.ts); the newest log line lands in `result`. */
export function savedStateBoot(): void {
  savedStateReserve(information);
  savedStateLoad();
}
export function savedStateChecksum(address: u64, length: u64): u64 { return checksum(address, length); }

let pages = new PageAllocator(0);
export function allocatorCreate(limit: u64): void { pages = new PageAllocator(limit); }
export function allocatorMarkFree(base: u64, length: u64): void { pages.markFree(base, length); }
export function allocatorMarkUsed(base: u64, length: u64): void { pages.markUsed(base, length); }
export function allocatorAllocate(): u64 { return pages.allocate(); }
export function allocatorAllocateContiguous(count: u64): u64 { return pages.allocateContiguous(count); }
export function allocatorFree(address: u64, count: u64): bool { return pages.free(address, count); }
export function allocatorFreePages(): u64 { return pages.freePages; }
export function allocatorPageCount(): u64 { return pages.pageCount; }
export function allocatorIsUsed(page: u64): bool { return pages.isUsed(page); }

// ---- Command line ----
let options = new KernelOptions();
export function commandLineParse(length: i32): void { options = parseCommandLine(inputString(length)); }
export function commandLineConsoles(): u32 { return options.consoles; }
export function commandLineLogLevel(): u8 { return options.logLevel; }
export function commandLineTest(): u32 { return options.test; }
export function commandLineWarningCount(): i32 { return options.warnings.length; }
export function commandLineWarning(index: i32): void { result.clear().string(options.warnings[index]); }

// ---- Log ring ----
let ring = new LogRing(64);
export function ringCreate(capacity: i32): void { ring = new LogRing(capacity); }
export function ringAppendInput(level: u8, length: i32): void { ring.append(level, changetype<usize>(input), length); }
export function ringLines(): i32 { return ring.lines; }
export function ringDropped(): u32 { return ring.dropped; }
/** The newest line into `result`; returns false when the ring is empty. */
export function ringNewest(): bool {
  const cursor = ring.last();
  result.clear();
  if (cursor < 0) return false;
  for (let i = 0; i < ring.lineLength(cursor); i++) result.char(ring.lineByte(cursor, i));
  return true;
}
/** The index-th oldest line into `result`; returns its level. */
export function ringLine(index: i32): u8 {
  let cursor = ring.first();
  for (let i = 0; i < index; i++) cursor = ring.next(cursor);
  result.clear();
  for (let i = 0; i < ring.lineLength(cursor); i++) result.char(ring.lineByte(cursor, i));
  return ring.lineLevel(cursor);
}

// ---- Consoles ----
const serial = new Uart16550();
export function serialPresent(): bool { return serial.present(); }
export function serialInitialize(): void { serial.initialize(); }
export function serialWriteInput(length: i32): void { serial.writeLine(new Text().string(inputString(length))); }

let vga = new VgaText();
export function vgaCreate(address: u64, columns: u32, rows: u32): void { vga = new VgaText(address, columns, rows); vga.clear(); }
export function vgaWriteInput(length: i32): void { vga.writeLine(new Text().string(inputString(length))); }
/** Feeds `length` bytes of the input buffer to the VGA console as terminal bytes. */
export function vgaWriteBytes(length: i32): void { for (let i = 0; i < length; i++) vga.writeByte(input[i]); }
export function serialWriteBytes(length: i32): void { for (let i = 0; i < length; i++) serial.writeByte(input[i]); }

let screen: FramebufferConsole | null = null;
export function framebufferCreate(address: u64, width: u32, height: u32, pitch: u32): bool {
  const framebuffer = new Framebuffer();
  framebuffer.address = address;
  framebuffer.width = width;
  framebuffer.height = height;
  framebuffer.pitch = pitch;
  framebuffer.bitsPerPixel = 32;
  framebuffer.kind = FRAMEBUFFER_KIND_RGB;
  if (!FramebufferConsole.supports(framebuffer)) return false;
  screen = new FramebufferConsole(framebuffer);
  screen!.clear();
  return true;
}
export function framebufferWriteInput(length: i32): void { screen!.writeLine(new Text().string(inputString(length))); }

// ---- Exceptions, panics, clock ----
export function useSerialConsoleOnly(): void {
  consoleRemoveAllOutputs();
  consoleAddOutput(serial);
}
export function exceptionReport(vector: u32, errorCode: u64, rip: u64): void { reportException(vector, errorCode, rip); }
export function panicWithInput(length: i32, testBoot: bool): void {
  setTestBoot(testBoot);
  panic("host test", inputString(length));
}
export function logAlwaysInput(length: i32): void { logAlways(new Text().string(inputString(length))); }
export function clockMeasureTscHz(): u64 { return measureTscHz(); }

// ---- Events: durations, queue, timers, supervision ----
export function durationParseInput(length: i32): i64 { return parseDuration(inputString(length)); }

let queue = new EventQueue(4, 16);
const taken = new Delivery();
const takenPayload = new StaticArray<u8>(256);
export function queueCreate(capacity: i32, payloadMax: i32): void { queue = new EventQueue(capacity, payloadMax); }
export function queuePostInput(handler: i32, kind: u8, source: u32, name: u32, timestamp: u64, length: i32): bool {
  return queue.post(handler, kind, source, name, timestamp, changetype<usize>(input), length);
}
export function queueCount(): i32 { return queue.count; }
export function queueCountFor(handler: i32): i32 { return queue.countFor(handler); }
export function queueDropped(): u64 { return queue.dropped; }
export function queueDiscardFor(handler: i32): i32 { return queue.discardFor(handler); }
export function queueNextSequence(): u64 { return queue.nextSequence; }
export function queueDiscardPostedSince(sequence: u64): i32 { return queue.discardPostedSince(sequence); }
/** Takes the oldest delivery and puts it straight back at the front. */
export function queueTakeAndPushFront(): bool {
  return queue.take(-1, taken, changetype<usize>(takenPayload)) && queue.pushFront(taken, changetype<usize>(takenPayload));
}
/** Takes the oldest delivery for `handler` (-1: any) and puts "handler kind source name timestamp payload" in `result`. */
export function queueTake(handler: i32): bool {
  if (!queue.take(handler, taken, changetype<usize>(takenPayload))) return false;
  result.clear().signed(taken.handler).char(0x20).decimal(taken.kind).char(0x20).decimal(taken.source).char(0x20)
    .decimal(taken.name).char(0x20).decimal(taken.timestamp).char(0x20).raw(changetype<usize>(takenPayload), taken.payloadLength);
  return true;
}

let timers = new TimerSet(4);
export function timersCreate(capacity: i32): void { timers = new TimerSet(capacity); }
export function timersAdd(handler: i32, now: u64, delay: u64, period: u64): i32 { return timers.add(handler, now, delay, period); }
export function timersNextDeadline(): u64 { return timers.nextDeadline(); }
export function timersTakeDue(now: u64): i32 { return timers.takeDue(now); }
export function timersMissed(index: i32): u64 { return timers.timer(index).missed; }
export function timersFired(index: i32): u64 { return timers.timer(index).fired; }
export function timersStopFor(handler: i32): i32 { return timers.stopFor(handler); }

const policy = new SupervisionPolicy();
let health = new HandlerHealth();
export function supervisionSetPolicy(maximumFailures: u32, base: u64, maximum: u64): void {
  policy.maximumFailures = maximumFailures;
  policy.backoffBase = base;
  policy.backoffMaximum = maximum;
  health = new HandlerHealth();
}
export function supervisionSuccess(): void { recordSuccess(health); }
export function supervisionFailure(now: u64, trap: u32): bool { return recordFailure(health, policy, now, trap); }
export function supervisionRunnable(now: u64): bool { return runnable(health, now); }
export function supervisionRestart(): void { restart(health); }
export function supervisionBackoff(consecutive: u32): u64 { return backoffDelay(policy, consecutive); }
export function supervisionRetryAt(): u64 { return health.retryAt; }
export function supervisionRuns(): u64 { return health.runs; }
export function supervisionFailures(): u64 { return health.failures; }
export function supervisionConsecutive(): u32 { return health.consecutiveFailures; }
export function supervisionRestarts(): u64 { return health.restarts; }
export function supervisionLastTrap(): u32 { return health.lastTrap; }
