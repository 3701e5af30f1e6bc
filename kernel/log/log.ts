// The kernel log: every line goes into the ring; lines at or below `loglevel` also reach the consoles.

import { consoleWriteLine } from "../console/console";
import { Text } from "../console/text";
import { LOG_RING_BYTES } from "../params";
import { LogRing } from "./ring";

// Levels as in syslog: lower is more important.
export const LEVEL_EMERGENCY: u8 = 0;
export const LEVEL_ERROR: u8 = 3;
export const LEVEL_WARNING: u8 = 4;
export const LEVEL_NOTICE: u8 = 5;
export const LEVEL_INFO: u8 = 6;
export const LEVEL_DEBUG: u8 = 7;
export const DEFAULT_CONSOLE_LEVEL: u8 = LEVEL_INFO;

export const logRing = new LogRing(LOG_RING_BYTES);
let consoleLevel: u8 = DEFAULT_CONSOLE_LEVEL;

/** One reusable line for callers that build a message and log it straight away. */
export const line = new Text();

export function logSetConsoleLevel(level: u8): void {
  consoleLevel = level;
}

/** Whether a line at `level` reaches the consoles (loglevel=): for lines worth making only then. */
export function logShows(level: u8): bool {
  return level <= consoleLevel;
}

export function log(level: u8, text: Text): void {
  logRing.append(level, text.pointer, text.length);
  if (level <= consoleLevel) consoleWriteLine(text);
}

/** Always shown, whatever the log level: the banner, exception reports, panics. */
export function logAlways(text: Text): void {
  logRing.append(LEVEL_EMERGENCY, text.pointer, text.length);
  consoleWriteLine(text);
}
