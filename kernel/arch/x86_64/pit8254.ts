// Intel 8254 PIT, channel 2: a known 1.193182 MHz clock to measure the TSC frequency against.

import { TSC_CALIBRATION_MAX_POLLS, TSC_CALIBRATION_PIT_TICKS } from "../../params";
import { portRead8, portWrite8, readTsc } from "./machine";

export const PIT_FREQUENCY_HZ: u64 = 1_193_182;
const CHANNEL_2_DATA: u16 = 0x42;
const MODE_COMMAND: u16 = 0x43;
const SPEAKER_CONTROL: u16 = 0x61; // bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output
const SPEAKER_GATE: u8 = 0x01;
const SPEAKER_ENABLE: u8 = 0x02;
const CHANNEL_2_OUTPUT: u8 = 0x20;
const CHANNEL_2_LOBYTE_HIBYTE_MODE_0: u8 = 0xb0; // interrupt on terminal count: output rises at zero

/** Measurements tried before the least uncertain one is taken as it is. */
const CALIBRATION_ATTEMPTS = 5;
/** A measurement is trusted when what it cannot place in time is at most 1/this of its window (under 1%). */
const UNCERTAINTY_FRACTION: u64 = 128;

// What one measurement found (module state: the kernel has one CPU and calibrates once).
let windowCycles: u64 = 0;
let uncertaintyCycles: u64 = 0;

/**
 * TSC ticks per second, measured over TSC_CALIBRATION_PIT_TICKS of channel 2 with the
 * speaker off; 0 when the PIT never answers (the caller then reports cycles only).
 *
 * Each port access may stall: under QEMU it waits for the emulator's global lock, which its
 * display or disk work can hold for milliseconds. A stall between loading the count and the
 * first TSC reading, or between the output's rise and the poll that sees it, made the window
 * read 100× too short or 2× too long in a third of ISO boots here (TSC "15 MHz" or "5,600 MHz"
 * instead of 2,596, and every time in the system as wrong). So each measurement brackets the
 * load and each poll between two TSC readings, counts what it cannot place (the load's bracket
 * plus the span from the last poll that saw the output low to the one that saw it high), and is
 * trusted only when that is under 1/UNCERTAINTY_FRACTION of the window; otherwise it is taken
 * again, up to CALIBRATION_ATTEMPTS times, and the least uncertain one is used.
 */
export function measureTscHz(): u64 {
  let bestWindow: u64 = 0;
  let bestUncertainty: u64 = 0;
  for (let attempt = 0; attempt < CALIBRATION_ATTEMPTS; attempt++) {
    if (!measureWindow()) return 0;
    if (uncertaintyCycles * UNCERTAINTY_FRACTION <= windowCycles) return hzOf(windowCycles);
    // Less uncertain relative to its window than the best so far (cross-multiplied, no division).
    if (bestWindow == 0 || uncertaintyCycles * bestWindow < bestUncertainty * windowCycles) {
      bestWindow = windowCycles;
      bestUncertainty = uncertaintyCycles;
    }
  }
  return hzOf(bestWindow);
}

function hzOf(cycles: u64): u64 {
  return (cycles * PIT_FREQUENCY_HZ) / <u64>TSC_CALIBRATION_PIT_TICKS;
}

/** One measurement into windowCycles and uncertaintyCycles; false when the PIT never answered. */
function measureWindow(): bool {
  const control = portRead8(SPEAKER_CONTROL);
  portWrite8(SPEAKER_CONTROL, (control & ~SPEAKER_ENABLE) | SPEAKER_GATE);
  portWrite8(MODE_COMMAND, CHANNEL_2_LOBYTE_HIBYTE_MODE_0);
  portWrite8(CHANNEL_2_DATA, <u8>(TSC_CALIBRATION_PIT_TICKS & 0xff));
  const beforeLoad = readTsc();
  portWrite8(CHANNEL_2_DATA, <u8>(TSC_CALIBRATION_PIT_TICKS >> 8)); // the count starts
  const afterLoad = readTsc();
  let lastLow = beforeLoad; // the output was low until at least here
  let polls: u32 = 0;
  while (true) {
    const beforeRead = readTsc();
    const high = (portRead8(SPEAKER_CONTROL) & CHANNEL_2_OUTPUT) != 0;
    const afterRead = readTsc();
    if (high) {
      // The count started within [beforeLoad, afterLoad] and ended within [lastLow, afterRead].
      windowCycles = (lastLow + afterRead) / 2 - (beforeLoad + afterLoad) / 2;
      uncertaintyCycles = (afterLoad - beforeLoad) + (afterRead - lastLow);
      portWrite8(SPEAKER_CONTROL, control);
      return true;
    }
    lastLow = beforeRead;
    if (++polls == TSC_CALIBRATION_MAX_POLLS) {
      portWrite8(SPEAKER_CONTROL, control);
      return false;
    }
  }
}
