// In-kernel self-tests (test=selftest): checks that need the real machine, reported by name.
//
// Each test returns "" when it passes or says what went wrong. The run prints one line per
// test and a summary `selftest: N passed, M failed`; main.ts then ends QEMU with the
// matching isa-debug-exit status. Host tests cover the pure logic; these cover what only
// the machine can show: real memory, the TSC, SSE state, physical copies.


import { kernelImageEnd, kernelImageStart, physicalCopyIn, physicalCopyOut, physicalRead64, physicalWrite64, readTsc } from "./arch/x86_64/machine";
import { moduleLoad } from "./arch/x86_64/modules";
import { BootInformation, BootModule, MEMORY_AVAILABLE } from "./boot/boot_information";
import { handlers, handlersLoad } from "./handlers/registry";
import { HandlerSettings, SystemDescriptor } from "./config/boot_descriptor";
import { Text } from "./console/text";
import { logAlways, logRing } from "./log/log";
import { LogRing } from "./log/ring";
import { memoryTotalBytes, pageAllocator } from "./memory/memory";
import { LOW_MEMORY_RESERVED_BYTES, PAGE_BYTES } from "./params";
import { clockTscHz } from "./time/clock";

class SelfTest {
  constructor(readonly name: string, readonly run: () => string) {}
}

let information: BootInformation | null = null;

function insideAvailableRam(address: u64, length: u64): bool {
  const regions = information!.regions;
  for (let i = 0; i < regions.length; i++) {
    if (regions[i].kind == MEMORY_AVAILABLE && regions[i].base <= address && regions[i].end >= address + length) return true;
  }
  return false;
}

function testPageAllocation(): string {
  const pages = pageAllocator();
  const freeBefore = pages.freePages;
  const page = pages.allocate();
  if (page == 0) return "allocate() found no free page";
  if (page < LOW_MEMORY_RESERVED_BYTES) return "allocated page 0x" + page.toString(16) + " is in reserved low memory";
  if (page >= kernelImageStart() && page < kernelImageEnd()) return "allocated page lies inside the kernel image";
  if (!insideAvailableRam(page, PAGE_BYTES)) return "allocated page is not in available RAM";
  if (pages.freePages != freeBefore - 1) return "free count did not drop by one";
  physicalWrite64(page, 0x0123456789abcdef);
  physicalWrite64(page + PAGE_BYTES - 8, 0xfedcba9876543210);
  if (physicalRead64(page) != 0x0123456789abcdef || physicalRead64(page + PAGE_BYTES - 8) != 0xfedcba9876543210) {
    return "allocated page does not keep what was written";
  }
  if (!pages.free(page)) return "free() refused a page it handed out";
  if (pages.free(page)) return "free() accepted a double free";
  if (pages.freePages != freeBefore) return "free count not restored";
  return "";
}

function testContiguousAllocation(): string {
  const pages = pageAllocator();
  const run = pages.allocateContiguous(16);
  if (run == 0) return "no run of 16 free pages";
  for (let page: u64 = 0; page < 16; page++) {
    if (!pages.isUsed(run / PAGE_BYTES + page)) return "page " + page.toString() + " of the run is not marked used";
  }
  if (!insideAvailableRam(run, 16 * PAGE_BYTES)) return "run is not in available RAM";
  return pages.free(run, 16) ? "" : "could not free the run";
}

function testKernelImageReserved(): string {
  const pages = pageAllocator();
  for (let address = kernelImageStart(); address < kernelImageEnd(); address += PAGE_BYTES) {
    if (!pages.isUsed(address / PAGE_BYTES)) return "kernel image page 0x" + address.toString(16) + " is free";
  }
  return "";
}

function testMemoryFigures(): string {
  if (memoryTotalBytes == 0) return "no usable RAM counted";
  const freeBytes = pageAllocator().freePages * PAGE_BYTES;
  if (freeBytes == 0 || freeBytes >= memoryTotalBytes) return "free memory is not between 0 and the total";
  return "";
}

function testPhysicalCopies(): string {
  const pages = pageAllocator();
  const page = pages.allocate();
  if (page == 0) return "no page to copy through";
  const out = new StaticArray<u8>(256);
  const back = new StaticArray<u8>(256);
  for (let i = 0; i < 256; i++) out[i] = <u8>(i * 7 + 3);
  physicalCopyOut(page + 100, changetype<usize>(out), 256);
  physicalCopyIn(changetype<usize>(back), page + 100, 256);
  pages.free(page);
  for (let i = 0; i < 256; i++) if (back[i] != out[i]) return "byte " + i.toString() + " differs after the round trip";
  return "";
}

function testClock(): string {
  const first = readTsc();
  const second = readTsc();
  if (second <= first) return "TSC did not advance";
  if (clockTscHz() < 10_000_000) return "TSC frequency " + clockTscHz().toString() + " Hz is implausible";
  return "";
}

function testFloatingPoint(): string {
  // Exercises SSE state set up by entry.S: f64 and f32 arithmetic and square roots.
  let sum: f64 = 0;
  for (let i = 1; i <= 100; i++) sum += Math.sqrt(<f64>i);
  const single = Mathf.sqrt(<f32>2.0) * Mathf.sqrt(<f32>2.0);
  if (Math.abs(sum - 671.4629471031477) > 1e-6) return "sum of square roots is " + sum.toString();
  if (Mathf.abs(single - 2.0) > 1e-5) return "f32 sqrt(2)^2 is " + single.toString();
  return "";
}

function testLogRing(): string {
  const ring = new LogRing(64);
  const text = new Text();
  for (let i = 0; i < 20; i++) ring.append(6, text.clear().string("line ").decimal(i).pointer, text.length);
  if (ring.dropped == 0) return "a full ring dropped nothing";
  const last = ring.last();
  const expected = "line 19";
  if (last < 0 || ring.lineLength(last) != expected.length) return "newest line is missing or cut";
  for (let i = 0; i < expected.length; i++) {
    if (<u32>ring.lineByte(last, i) != <u32>expected.charCodeAt(i)) return "newest line is not the last appended";
  }
  return "";
}

/** A 64-byte ELF header in a fresh page: class 64, little-endian, of the given type and machine. */
function elfHeaderPage(type: u16, machine: u16, sectionHeaderOffset: u64, sectionCount: u16): u64 {
  const page = pageAllocator().allocate();
  const header = new StaticArray<u8>(64);
  store<u32>(changetype<usize>(header), 0x464c457f);
  header[4] = 2; // 64-bit
  header[5] = 1; // little-endian
  store<u16>(changetype<usize>(header), type, 16);
  store<u16>(changetype<usize>(header), machine, 18);
  store<u64>(changetype<usize>(header), sectionHeaderOffset, 40);
  store<u16>(changetype<usize>(header), 64, 58); // section header size
  store<u16>(changetype<usize>(header), sectionCount, 60);
  physicalCopyOut(page, changetype<usize>(header), 64);
  return page;
}

function testModuleLoaderRefusesMalformedImages(): string {
  const pages = pageAllocator();
  const zeros = pages.allocate();
  const executable = elfHeaderPage(2, 62, 0, 0); //          ET_EXEC, x86-64
  const otherMachine = elfHeaderPage(1, 183, 0, 0); //       ET_REL, AArch64
  const truncated = elfHeaderPage(1, 62, 0x100000, 8); //    section headers far past the end
  physicalCopyOut(zeros, changetype<usize>(new StaticArray<u8>(64)), 64);
  let problem = "";
  if (moduleLoad(zeros, 64) != -1) problem = "zeros were not refused as 'not ELF'";
  else if (moduleLoad(executable, 64) != -2) problem = "an executable was not refused as 'not relocatable'";
  else if (moduleLoad(otherMachine, 64) != -2) problem = "an AArch64 object was not refused";
  else if (moduleLoad(truncated, 64) != -3) problem = "section headers past the end were not refused as truncated";
  pages.free(zeros);
  pages.free(executable);
  pages.free(otherMachine);
  pages.free(truncated);
  return problem;
}

function testBadModuleIsLoggedAndSkipped(): string {
  const image = elfHeaderPage(2, 62, 0, 0);
  const boot = new BootInformation();
  boot.modules.push(new BootModule(image, image + 64, "broken"));
  const before = handlers.length;
  const system = new SystemDescriptor();
  const settings = new HandlerSettings();
  settings.name = "broken";
  settings.budgetNanoseconds = 1_000_000;
  system.handlers.push(settings);
  handlersLoad(boot, system);
  pageAllocator().free(image);
  if (handlers.length != before) return "the broken module was registered as a handler";
  const last = logRing.last();
  const expected = "handlers: refusing module 'broken': not a relocatable x86-64 object";
  const text = new Text();
  for (let i = 0; i < logRing.lineLength(last); i++) text.char(logRing.lineByte(last, i));
  return text.equals(expected) ? "" : "the log says '" + String.UTF8.decodeUnsafe(text.pointer, text.length) + "'";
}

function testBootInformation(): string {
  if (information!.protocol != "multiboot2" && information!.protocol != "pvh") return "unknown protocol " + information!.protocol;
  if (information!.regions.length == 0) return "no memory regions";
  return "";
}

const TESTS: StaticArray<SelfTest> = [
  new SelfTest("boot information", testBootInformation),
  new SelfTest("page allocation", testPageAllocation),
  new SelfTest("contiguous allocation", testContiguousAllocation),
  new SelfTest("kernel image reserved", testKernelImageReserved),
  new SelfTest("memory figures", testMemoryFigures),
  new SelfTest("physical copies", testPhysicalCopies),
  new SelfTest("clock", testClock),
  new SelfTest("floating point", testFloatingPoint),
  new SelfTest("log ring", testLogRing),
  new SelfTest("module loader refuses malformed images", testModuleLoaderRefusesMalformedImages),
  new SelfTest("a bad module is logged by name and skipped", testBadModuleIsLoggedAndSkipped),
];

/** Runs every self-test; true when all passed. */
export function runSelfTests(boot: BootInformation): bool {
  information = boot;
  const report = new Text();
  let failed = 0;
  for (let i = 0; i < TESTS.length; i++) {
    const outcome = TESTS[i].run();
    report.clear().string("selftest: ").string(TESTS[i].name).string(" ... ");
    if (outcome.length == 0) report.string("ok");
    else {
      report.string("FAILED (").string(outcome).char(0x29);
      failed++;
    }
    logAlways(report);
  }
  logAlways(report.clear().string("selftest: ").decimal(TESTS.length - failed).string(" passed, ").decimal(failed)
    .string(" failed"));
  return failed == 0;
}
