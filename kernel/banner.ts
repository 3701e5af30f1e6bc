// The boot banner: version, loader, memory, command line and boot-phase timings, on every console.
//
//   OptiOS 0.1.0 x86_64, booted by GRUB 2.06 (multiboot2)
//   memory: 63.5 MiB total (65,016 KiB), 60.0 MiB free (61,440 KiB)
//   cmdline: console=all loglevel=6
//   boot: entry at 81.92 ms, banner at entry + 1.92 ms (runtime 0.01, boot info 0.04, ...); TSC 2,995 MHz
//
// Tests and `make bench` parse these lines: change them together with tests/qemu/.

import { BootInformation } from "./boot/boot_information";
import { Text } from "./console/text";
import { logAlways } from "./log/log";
import { KERNEL_VERSION } from "./params";
import { appendMilliseconds, appendMillisecondsNumber, clockTscHz } from "./time/clock";

/** Boot phases, in order; `phaseEnds[i]` is the TSC when phase i finished. */
export const PHASE_NAMES: StaticArray<string> = ["runtime", "boot info", "consoles", "memory", "clock"];
export const PHASE_RUNTIME = 0;
export const PHASE_BOOT_INFORMATION = 1;
export const PHASE_CONSOLES = 2;
export const PHASE_MEMORY = 3;
export const PHASE_CLOCK = 4;

const banner = new Text();

export function printBanner(information: BootInformation, entryTsc: u64, phaseEnds: StaticArray<u64>, bannerTsc: u64,
  totalBytes: u64, freeBytes: u64): void {
  logAlways(banner.clear().string("OptiOS ").string(KERNEL_VERSION).string(" x86_64, booted by ")
    .string(information.loaderName.length > 0 ? information.loaderName : "an unnamed loader")
    .string(" (").string(information.protocol).char(0x29));
  logAlways(banner.clear().string("memory: ").size(totalBytes).string(" total (").grouped(totalBytes >> 10)
    .string(" KiB), ").size(freeBytes).string(" free (").grouped(freeBytes >> 10).string(" KiB)"));
  logAlways(banner.clear().string("cmdline: ")
    .string(information.commandLine.length > 0 ? information.commandLine : "(empty)"));
  banner.clear().string("boot: entry at ");
  appendMilliseconds(banner, entryTsc).string(", banner at entry + ");
  appendMilliseconds(banner, bannerTsc - entryTsc).string(" (");
  let previous = entryTsc;
  for (let phase = 0; phase < phaseEnds.length; phase++) {
    if (phase > 0) banner.string(", ");
    banner.string(PHASE_NAMES[phase]).char(0x20);
    appendMillisecondsNumber(banner, phaseEnds[phase] - previous);
    previous = phaseEnds[phase];
  }
  banner.string("); TSC ");
  if (clockTscHz() > 0) banner.grouped(clockTscHz() / 1_000_000).string(" MHz");
  else banner.string("frequency unknown");
  logAlways(banner);
}
