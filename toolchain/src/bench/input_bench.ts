// `make bench`, input: keystroke → echo latency inside the guest, typed over the serial port.
//
// Boots the default system with loglevel=7 (so the kernel logs each echo's latency, see
// kernel/input/input.ts), types KEYS characters at the shell one at a time — each after the
// previous one's echo — and reads the `input: echoed <cycles> cycles after the interrupt`
// lines: from the interrupt that brought the byte to the echo written to the console, with
// the shell waiting for input as it normally is.
import { buildSystemInScratch } from "../build/scratch.ts";
import { paths } from "../project.ts";
import { startMachine, stopAllMachines } from "./machine.ts";
import { summarize, type Statistics } from "./report.ts";

const KEYS = 100;
const BUILD_TIMEOUT_MILLISECONDS = 600_000;
const WAIT_MILLISECONDS = 60_000;

export interface InputFigures {
  /** Cycles from the serial interrupt to the echo, one sample per key. */
  echoCycles: Statistics;
  keys: number;
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
    return { echoCycles: summarize(samples), keys: samples.length };
  } finally {
    await stopAllMachines();
    scratch.remove();
  }
}
