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

/**
 * TSC ticks per second, measured over TSC_CALIBRATION_PIT_TICKS of channel 2 with the
 * speaker off; 0 when the PIT never answers (the caller then reports cycles only).
 */
export function measureTscHz(): u64 {
  const control = portRead8(SPEAKER_CONTROL);
  portWrite8(SPEAKER_CONTROL, (control & ~SPEAKER_ENABLE) | SPEAKER_GATE);
  portWrite8(MODE_COMMAND, CHANNEL_2_LOBYTE_HIBYTE_MODE_0);
  portWrite8(CHANNEL_2_DATA, <u8>(TSC_CALIBRATION_PIT_TICKS & 0xff));
  portWrite8(CHANNEL_2_DATA, <u8>(TSC_CALIBRATION_PIT_TICKS >> 8));
  const start = readTsc();
  let polls: u32 = 0;
  while ((portRead8(SPEAKER_CONTROL) & CHANNEL_2_OUTPUT) == 0) {
    if (++polls == TSC_CALIBRATION_MAX_POLLS) {
      portWrite8(SPEAKER_CONTROL, control);
      return 0;
    }
  }
  const elapsed = readTsc() - start;
  portWrite8(SPEAKER_CONTROL, control);
  return (elapsed * PIT_FREQUENCY_HZ) / <u64>TSC_CALIBRATION_PIT_TICKS;
}
