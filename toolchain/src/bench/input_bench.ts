// `make bench`, input: keystroke → echo latency inside the guest, typed over the serial port.
//
// Boots the default system with loglevel=7 (so the kernel logs each echo's latency, see
// kernel/input/input.ts), types KEYS characters at the shell one at a time — each after the
// previous one's echo — and reads the `input: echoed <cycles> cycles after the interrupt`
// lines: from the interrupt that brought the byte to the echo written to the console, with
// the shell waiting for input as it normally is.
//
// Line rate: a second build of the default system at the usual log level (so no debug line
// per echo) is booted, and `uptime`, FLOOD_LINES `echo` lines and `uptime` again are written
// to the serial port in one write. The two uptimes (guest clock) bracket the flood; the
// `log` report's input counters say how many of the lines ran and how many were refused.
import { buildSystemInScratch } from "../build/scratch.ts";
import { paths } from "../project.ts";
import { startMachine, stopAllMachines } from "./machine.ts";
import { summarize, type Statistics } from "./report.ts";

const KEYS = 100;
const FLOOD_LINES = 2000;
const PROMPT = "optios$ ";
const BUILD_TIMEOUT_MILLISECONDS = 600_000;
const WAIT_MILLISECONDS = 60_000;

export interface InputFigures {
  /** Cycles from the serial interrupt to the echo, one sample per key. */
  echoCycles: Statistics;
  keys: number;
  /** The sustained rate at which the shell ran lines written all at once (guest clock). */
  lineRate: LineRate;
}

export interface LineRate {
  lines: number;
  ran: number;
  refused: number;
  seconds: number;
  linesPerSecond: number;
}

export async function measureInput(): Promise<InputFigures> {
  const scratch = await buildSystemInScratch(paths.system, "console=serial loglevel=7", BUILD_TIMEOUT_MILLISECONDS);
  try {
    const machine = startMachine({ iso: scratch.iso, memory: "128M" });
    await machine.waitFor("optios$ ", WAIT_MILLISECONDS);
    const from = machine.output.length;
    for (let key = 0; key < KEYS; key++) {
      const character = String.fromCharCode(0x61 + (key % 26));
      const before = machine.output.length;
      await machine.type(character);
      await machine.waitFor(/input: echoed \d+ cycles after the interrupt/, WAIT_MILLISECONDS, before);
    }
    const samples = [...machine.output.slice(from).matchAll(/input: echoed (\d+) cycles after the interrupt/g)].map((match) => Number(match[1]));
    if (samples.length < KEYS) throw new Error(`only ${samples.length} of ${KEYS} keys were echoed`);
    await stopAllMachines();
    return { echoCycles: summarize(samples), keys: samples.length, lineRate: await measureLineRate() };
  } finally {
    await stopAllMachines();
    scratch.remove();
  }
}

/** Writes FLOOD_LINES `echo` lines at once between two `uptime`s and counts what ran. */
async function measureLineRate(): Promise<LineRate> {
  const scratch = await buildSystemInScratch(paths.system, "console=serial", BUILD_TIMEOUT_MILLISECONDS);
  try {
    const machine = startMachine({ iso: scratch.iso, memory: "128M" });
    await machine.waitFor(PROMPT, WAIT_MILLISECONDS);
    const from = machine.output.length;
    const lines = Array.from({ length: FLOOD_LINES }, (_, n) => `echo  rate  ${n}\r`).join("");
    await machine.type(`uptime\r${lines}uptime\rlog\r`);
    await machine.waitFor(/input: bytes lost: .*\r?\n/, WAIT_MILLISECONDS * 10, from);
    const output = machine.output.slice(from);
    const uptimes = [...output.matchAll(/\(([\d.]+) s since boot\)/g)].map((match) => Number(match[1]));
    if (uptimes.length < 2) throw new Error("the two uptime answers are missing");
    const ran = new Set([...output.matchAll(/rate (\d+)\r?\n/g)].map((match) => match[1])).size;
    const counters = /input: console 1: (\d+) lines entered, (\d+) refused/.exec(output);
    const seconds = uptimes[1] - uptimes[0];
    return { lines: FLOOD_LINES, ran, refused: counters ? Number(counters[2]) : -1, seconds, linesPerSecond: ran / seconds };
  } finally {
    await stopAllMachines();
    scratch.remove();
  }
}
