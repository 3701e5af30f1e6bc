// Reads the kernel's four-line boot banner out of serial output.
//
// The kernel prints, on every console on every boot (serial lines end with \r\n):
//   OptiOS 0.1.0 x86_64, booted by <loader> (<protocol>)
//   memory: 63.5 MiB total (65,016 KiB), 60.0 MiB free (61,440 KiB)
//   cmdline: console=all loglevel=6                     (or "cmdline: (empty)")
//   boot: entry at 81.92 ms, banner at entry + 1.92 ms (runtime 0.01, ...); TSC 2,995 MHz
// The patterns below are anchored to line starts, so firmware noise before the banner
// (OVMF's escape sequences, GRUB's menu and messages) does not matter. The first line may
// start with a \r: GRUB writes each newline as \n\r, so after its serial output the
// kernel's first byte follows a \r.

/** The banner's first line; the match is the moment "the banner was seen". */
export const BANNER_FIRST_LINE = /^\r?OptiOS (\S+) x86_64, booted by (.+) \((multiboot2|pvh)\)\r?$/m;
/** The banner's last line: once it is seen, the whole banner has arrived. */
export const BANNER_LAST_LINE = /^boot: entry at .*\r?\n/m;
const MEMORY_LINE = /^memory: ([\d.]+) MiB total \(([\d,]+) KiB\), ([\d.]+) MiB free \(([\d,]+) KiB\)\r?$/m;
const COMMAND_LINE = /^cmdline: (.*?)\r?$/m;
const BOOT_LINE = /^boot: entry at ([\d.,]+) ms, banner at entry \+ ([\d.,]+) ms \((.*)\); TSC ([\d,]+) MHz\r?$/m;

export interface Banner {
  version: string;
  loader: string;
  protocol: "multiboot2" | "pvh";
  memory: { totalMebibytes: number; totalKibibytes: number; freeMebibytes: number; freeKibibytes: number };
  /** The command line as echoed; "" when the kernel printed "(empty)". */
  commandLine: string;
  boot: { entryMilliseconds: number; bannerMilliseconds: number; steps: string; tscMegahertz: number };
}

/** Parses the banner; throws, naming the line, if a line is missing or malformed. */
export function parseBanner(output: string): Banner {
  const first = required(BANNER_FIRST_LINE, output, "first line (OptiOS <version> x86_64, booted by ...)");
  const memory = required(MEMORY_LINE, output, "memory: line");
  const command = required(COMMAND_LINE, output, "cmdline: line");
  const boot = required(BOOT_LINE, output, "boot: line");
  return {
    version: first[1],
    loader: first[2],
    protocol: first[3] as Banner["protocol"],
    memory: {
      totalMebibytes: Number(memory[1]),
      totalKibibytes: parseGrouped(memory[2]),
      freeMebibytes: Number(memory[3]),
      freeKibibytes: parseGrouped(memory[4]),
    },
    commandLine: command[1] === "(empty)" ? "" : command[1],
    boot: {
      entryMilliseconds: parseGrouped(boot[1]),
      bannerMilliseconds: parseGrouped(boot[2]),
      steps: boot[3],
      tscMegahertz: parseGrouped(boot[4]),
    },
  };
}

/** "65,016" → 65016; "1,081.92" → 1081.92. */
export function parseGrouped(text: string): number {
  return Number(text.replace(/,/g, ""));
}

function required(pattern: RegExp, output: string, name: string): RegExpExecArray {
  const match = pattern.exec(output);
  if (!match) throw new Error(`banner ${name} not found in serial output:\n${output.slice(-2000)}`);
  return match;
}
