// `make bench`'s Linux comparison: OptiOS and the Linux guest booted alternately in one run, as ratios.
//
// Both boot the same way: QEMU's arguments from toolchain/src/qemu.ts (TCG, -no-reboot,
// serial on stdout, isa-debug-exit) plus -snapshot, a kernel ELF through its PVH note with
// an initrd, and the same -m. OptiOS is build/kernel.elf with the build's initrd and is timed
// to its shell's prompt (its first program ready); Linux is linux_guest.ts's vmlinux and
// initramfs with `console=ttyS0 quiet loglevel=0`, timed to its /init's marker, after which
// the same boot runs the pipe ping-pong. One warm-up boot of each is not counted. Then the
// smallest -m at which each gets there: OptiOS to a working shell, Linux to the marker.
//
// Round trips are compared in guest TSC cycles, which under TCG run at the host's rate in
// both guests: the Linux pipe ping-pong against OptiOS's synchronous handler call (the
// issue's comparison), and beside it the event and context-switch round trips.

import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { initrdArchive } from "../build/initrd.ts";
import { BANNER_FIRST_LINE } from "./banner.ts";
import type { HandlerFigures } from "./handlers_bench.ts";
import { prepareLinuxGuest, type LinuxGuest } from "./linux_guest.ts";
import { startMachine, type Machine, type MachineOptions } from "./machine.ts";
import { BOOT_TIMEOUT_MILLISECONDS, findSmallestMemory, PROBE_TIMEOUT_MILLISECONDS, SHELL_PROMPT, shellGoal, type MemoryGoal, type MemoryProbe } from "./measure.ts";
import { formatNumber, formatTable, summarize, type Statistics } from "./report.ts";

/** The kernel command line the Linux guest boots with: serial console, no boot messages. */
export const LINUX_COMMAND_LINE = "console=ttyS0 quiet loglevel=0";
/** Guest RAM for both guests: Linux + busybox needs 83 MB here (DESIGN.md §5). */
export const COMPARISON_MEMORY = "128M";
/** Where to bisect for the smallest -m: Linux + busybox needed 83 MB here (DESIGN.md §5). */
const LINUX_MEMORY_SEARCH_MEBIBYTES = { smallest: 32, largest: 128 };
/** Where to bisect for OptiOS's: the default system's shell needed 5 MiB through PVH (docs/benchmarks.md). */
const OPTIOS_MEMORY_SEARCH_MEBIBYTES = { smallest: 1, largest: 64 };
/** Longest the ping-pong may take once userspace has started. */
const PING_PONG_TIMEOUT_MILLISECONDS = 120_000;

const MARKER_LINE = /^linux-guest: userspace at tsc (\d+)\r?$/m;
const PING_PONG_LINE = /^pingpong: (\d+) round trips p50 (\d+) p99 (\d+) cycles, mean (\d+) ns, tsc (\d+) MHz\r?$/m;
const DONE_LINE = /^linux-guest: done\r?$/m;
/** A Linux panic, or a helper that failed; with loglevel=0 a panic prints nothing, so a boot that hangs ends at its timeout. */
const LINUX_FAILURE = /Kernel panic|^pingpong: (usage|round trip:|fork:)/m;

export interface PingPong {
  roundTrips: number;
  p50Cycles: number;
  p99Cycles: number;
  meanNanoseconds: number;
  tscMegahertz: number;
}

export interface LinuxRun {
  /** Host milliseconds from spawn to the marker line. */
  wallMilliseconds: number;
  /** Guest: machine start (TSC ≈ 0 under TCG) to the marker, at the TSC rate the ping-pong measured. */
  userspaceMilliseconds: number;
  pingPong: PingPong;
}

export interface OptiosRun {
  /** Host milliseconds from spawn to the banner's first line. */
  bannerMilliseconds: number;
  /** Host milliseconds from spawn to the shell's first prompt. */
  shellMilliseconds: number;
}

/** Reads the Linux guest's marker and ping-pong lines; throws naming the line that is missing. */
export function parseLinuxGuestOutput(output: string): { userspaceTsc: number; pingPong: PingPong } {
  const marker = MARKER_LINE.exec(output);
  if (!marker) throw new Error(`the Linux guest printed no marker line ("linux-guest: userspace at tsc N"):\n${output}`);
  const pingPong = PING_PONG_LINE.exec(output);
  if (!pingPong) throw new Error(`the Linux guest printed no ping-pong line ("pingpong: N round trips p50 …"):\n${output}`);
  const [roundTrips, p50Cycles, p99Cycles, meanNanoseconds, tscMegahertz] = pingPong.slice(1).map(Number);
  return { userspaceTsc: Number(marker[1]), pingPong: { roundTrips, p50Cycles, p99Cycles, meanNanoseconds, tscMegahertz } };
}

/** The machine options that boot the Linux guest. */
export function linuxGuestMachine(guest: LinuxGuest, memory = COMPARISON_MEMORY): MachineOptions {
  return { kernel: guest.vmlinux, initrd: guest.initramfs, append: LINUX_COMMAND_LINE, memory, failOn: LINUX_FAILURE };
}

/** Boots the Linux guest once: the marker's time, then the ping-pong's figures. */
export async function runLinuxGuest(guest: LinuxGuest, memory = COMPARISON_MEMORY): Promise<LinuxRun> {
  return withMachine(linuxGuestMachine(guest, memory), async (machine) => {
    const marker = await machine.waitFor(MARKER_LINE, BOOT_TIMEOUT_MILLISECONDS);
    await machine.waitFor(DONE_LINE, PING_PONG_TIMEOUT_MILLISECONDS);
    const { userspaceTsc, pingPong } = parseLinuxGuestOutput(machine.output);
    return { wallMilliseconds: marker.at, userspaceMilliseconds: userspaceTsc / pingPong.tscMegahertz / 1000, pingPong };
  });
}

/** Boots OptiOS (kernel ELF and initrd, PVH) once, to its shell's first prompt. */
export async function runOptios(kernel: string, initrd: string, memory = COMPARISON_MEMORY): Promise<OptiosRun> {
  return withMachine({ kernel, initrd, memory }, async (machine) => {
    const banner = await machine.waitFor(BANNER_FIRST_LINE, BOOT_TIMEOUT_MILLISECONDS);
    const shell = await machine.waitFor(SHELL_PROMPT, BOOT_TIMEOUT_MILLISECONDS);
    return { bannerMilliseconds: banner.at, shellMilliseconds: shell.at };
  });
}

async function withMachine<T>(options: MachineOptions, use: (machine: Machine) => Promise<T>): Promise<T> {
  const machine = startMachine(options);
  try {
    return await use(machine);
  } finally {
    machine.kill();
    await machine.exited;
  }
}

export interface SmallestMemory {
  /** Whole MiB; undefined when even the largest probe failed. */
  mebibytes?: number;
  probes: MemoryProbe[];
}

export interface LinuxComparison {
  guest: { key: string; packages: string[]; memory: string; built: boolean };
  rounds: number;
  /** The smallest -m at which OptiOS (PVH, with its initrd) reaches a working shell and Linux its /init marker. */
  smallestMemory: { optios: SmallestMemory; linux: SmallestMemory };
  optios: { banner: Statistics; shell: Statistics };
  linux: { userspace: Statistics; userspaceGuest: Statistics; pingPongP50: Statistics; pingPongP99: Statistics; pingPongMeanNanoseconds: Statistics; roundTrips: number };
}

/** One warm-up boot of each, then `rounds` rounds of OptiOS then Linux. */
export async function compareWithLinux(
  guest: LinuxGuest, optios: { kernel: string; initrd: string }, rounds: number,
  log: (line: string) => void = () => undefined,
): Promise<LinuxComparison> {
  await runOptios(optios.kernel, optios.initrd);
  await runLinuxGuest(guest);
  const optiosRuns: OptiosRun[] = [];
  const linuxRuns: LinuxRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    optiosRuns.push(await runOptios(optios.kernel, optios.initrd));
    linuxRuns.push(await runLinuxGuest(guest));
    const [last, lastLinux] = [optiosRuns.at(-1)!, linuxRuns.at(-1)!];
    log(`  Linux comparison round ${round}/${rounds}: OptiOS shell after ${last.shellMilliseconds.toFixed(1)} ms, ` +
      `Linux userspace after ${lastLinux.wallMilliseconds.toFixed(1)} ms, pipe round trip p50 ${lastLinux.pingPong.p50Cycles} cycles`);
  }
  const smallestMemory = {
    optios: await bisectMemory(shellGoal({ kernel: optios.kernel, initrd: optios.initrd }), OPTIOS_MEMORY_SEARCH_MEBIBYTES),
    linux: await bisectMemory(linuxMemoryGoal(guest), LINUX_MEMORY_SEARCH_MEBIBYTES),
  };
  return {
    guest: { key: guest.key, packages: guest.packages, memory: COMPARISON_MEMORY, built: guest.built },
    rounds,
    smallestMemory,
    optios: { banner: summarize(optiosRuns.map((run) => run.bannerMilliseconds)), shell: summarize(optiosRuns.map((run) => run.shellMilliseconds)) },
    linux: {
      userspace: summarize(linuxRuns.map((run) => run.wallMilliseconds)),
      userspaceGuest: summarize(linuxRuns.map((run) => run.userspaceMilliseconds)),
      pingPongP50: summarize(linuxRuns.map((run) => run.pingPong.p50Cycles)),
      pingPongP99: summarize(linuxRuns.map((run) => run.pingPong.p99Cycles)),
      pingPongMeanNanoseconds: summarize(linuxRuns.map((run) => run.pingPong.meanNanoseconds)),
      roundTrips: linuxRuns[0].pingPong.roundTrips,
    },
  };
}

/**
 * Linux booted to its /init marker. `panic=-1` makes a kernel that runs out of memory reboot,
 * which -no-reboot turns into QEMU's exit: with loglevel=0 a panic prints nothing, and
 * without it a failing probe would wait for its whole timeout.
 */
export function linuxMemoryGoal(guest: LinuxGuest): MemoryGoal {
  const { memory: _, ...boot } = linuxGuestMachine(guest);
  return {
    boot: { ...boot, append: `${LINUX_COMMAND_LINE} panic=-1` },
    reach: async (machine) => void (await machine.waitFor(MARKER_LINE, PROBE_TIMEOUT_MILLISECONDS)),
  };
}

async function bisectMemory(goal: MemoryGoal, range: { smallest: number; largest: number }): Promise<SmallestMemory> {
  const probes: MemoryProbe[] = [];
  return { mebibytes: await findSmallestMemory(goal, probes, range), probes };
}

/** An OptiOS figure set beside a Linux one: "Linux ÷ OptiOS" above 1 means OptiOS is cheaper. */
export interface ComparisonRow {
  label: string;
  optios?: number;
  linux?: number;
}

/** The round-trip rows, from the handler bench's p50 figures (cycles). */
export function roundTripRows(
  linuxPingPongP50: number | undefined,
  optios: { emptyRunCycles?: number; switchRoundTripCycles?: number; callRoundTripCycles?: number },
): ComparisonRow[] {
  return [
    { label: "synchronous handler call round trip", optios: optios.callRoundTripCycles, linux: linuxPingPongP50 },
    { label: "event posted → handler → committed", optios: optios.emptyRunCycles, linux: linuxPingPongP50 },
    { label: "kernel → waiting program → kernel", optios: optios.switchRoundTripCycles, linux: linuxPingPongP50 },
  ];
}

function probeList(smallest: SmallestMemory): string {
  return smallest.probes.map((probe) => `${probe.mebibytes} ${probe.booted ? "ok" : "no"}`).join(", ");
}

/** Linux ÷ OptiOS, or undefined when either side is missing. */
export function ratio(row: ComparisonRow): number | undefined {
  return row.optios && row.linux !== undefined ? row.linux / row.optios : undefined;
}

/** Builds or reuses the guest, then compares; OptiOS boots a copy of the build's kernel and initrd in `scratch`. */
export async function measureLinuxComparison(kernel: string, scratch: string, rounds: number, log: (line: string) => void): Promise<LinuxComparison> {
  const guest = prepareLinuxGuest(undefined, log);
  const initrd = join(scratch, "initrd.cpio");
  copyFileSync(initrdArchive, initrd);
  return compareWithLinux(guest, { kernel, initrd }, rounds, log);
}

/** The section's lines: boots and round trips side by side with Linux ÷ OptiOS. */
export function formatLinuxComparison(comparison: LinuxComparison | undefined, problem: string | undefined, handlers: HandlerFigures | undefined): string[] {
  if (!comparison) return [`  not measured: ${problem}`];
  const { optios, linux } = comparison;
  const shown = (value: number | undefined, decimals: number) => (value === undefined ? "n/a" : formatNumber(value, decimals));
  const row = (label: string, optiosValue: number | undefined, linuxValue: number | undefined, decimals: number): string[] => {
    const quotient = ratio({ label, optios: optiosValue, linux: linuxValue });
    return [label, shown(optiosValue, decimals), shown(linuxValue, decimals), quotient === undefined ? "n/a" : `${formatNumber(quotient)}×`];
  };
  const roundTrips = roundTripRows(linux.pingPongP50.median, {
    emptyRunCycles: handlers?.emptyRunCycles.p50, switchRoundTripCycles: handlers?.programs.switchRoundTripCycles.p50,
    callRoundTripCycles: handlers?.callRoundTripCycles.p50,
  });
  const table = formatTable([
    ["", "OptiOS", "Linux", "Linux ÷ OptiOS"],
    row("boot, ms: spawn → OptiOS shell prompt / Linux /init marker", optios.shell.median, linux.userspace.median, 1),
    row("boot, ms: spawn → OptiOS banner / Linux /init marker", optios.banner.median, linux.userspace.median, 1),
    ...roundTrips.map((trip) => row(`round trip p50, cycles: OptiOS ${trip.label} / Linux pipe`, trip.optios, trip.linux, 0)),
    row("smallest -m, MiB: OptiOS working shell / Linux /init marker",
      comparison.smallestMemory.optios.mebibytes, comparison.smallestMemory.linux.mebibytes, 0),
  ]);
  return [
    ...table.map((line) => `  ${line}`),
    `  Linux: machine start → /init marker (guest) ${formatNumber(linux.userspaceGuest.median)} ms; pipe round trip p99 ` +
      `${formatNumber(linux.pingPongP99.median, 0)} cycles, mean ${formatNumber(linux.pingPongMeanNanoseconds.median / 1000)} µs ` +
      `(${formatNumber(linux.roundTrips, 0)} round trips a boot)`,
    `  smallest -m probes (MiB): OptiOS ${probeList(comparison.smallestMemory.optios)}; Linux ${probeList(comparison.smallestMemory.linux)}`,
    `  guest ${comparison.guest.key} (${comparison.guest.packages.join(", ")}), ${comparison.guest.built ? "built now" : "from the cache"}; ` +
      `OptiOS round trips from the handler bench's boot${handlers ? "" : " (not measured)"}`,
  ];
}
