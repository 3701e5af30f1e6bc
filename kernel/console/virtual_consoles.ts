// Virtual consoles: one text console per foreground program; the active one is shown.
//
//   program ─write─► VirtualConsole.recent (ring) ─if active─► serial + screen
//   keys ─► active console's LineDiscipline ─lines─► its program's read
//
// Each console keeps its recent output, so switching (Alt+F1…F4 on the keyboard, ESC 1…4
// on a serial terminal, see kernel/input/input.ts) clears the screen and redraws what that
// console showed last. Kernel log lines are not part of any console: they go straight to
// the outputs, like a kernel's messages on a physical console.

import { LineDiscipline } from "../input/line_discipline";
import { INPUT_HISTORY_LINES, INPUT_LINE_MAX_BYTES, INPUT_QUEUE_LINES, VIRTUAL_CONSOLE_RECENT_BYTES } from "../params";
import { consoleClear, consoleWriteByte, consoleWriteLine } from "./console";
import { Text } from "./text";

export class VirtualConsole {
  readonly discipline: LineDiscipline = new LineDiscipline(INPUT_LINE_MAX_BYTES, INPUT_HISTORY_LINES, INPUT_QUEUE_LINES);
  private readonly recent: StaticArray<u8> = new StaticArray<u8>(VIRTUAL_CONSOLE_RECENT_BYTES);
  private recentEnd: i32 = 0;
  private recentLength: i32 = 0;

  constructor(readonly number: i32) {}

  /** Remembers an output byte, for redrawing the console when it is switched to. */
  remember(byte: u8): void {
    this.recent[this.recentEnd] = byte;
    this.recentEnd = (this.recentEnd + 1) % VIRTUAL_CONSOLE_RECENT_BYTES;
    if (this.recentLength < VIRTUAL_CONSOLE_RECENT_BYTES) this.recentLength++;
  }

  /** Byte `index` of the remembered output, oldest first (0 … recentBytes - 1). */
  recentByte(index: i32): u8 {
    const start = (this.recentEnd - this.recentLength + VIRTUAL_CONSOLE_RECENT_BYTES) % VIRTUAL_CONSOLE_RECENT_BYTES;
    return this.recent[(start + index) % VIRTUAL_CONSOLE_RECENT_BYTES];
  }

  get recentBytes(): i32 {
    return this.recentLength;
  }
}

const consoles = new Array<VirtualConsole>();
let active: i32 = 0;
const header = new Text();

/** Makes `count` consoles (once, at boot: the configuration's foreground max). */
export function virtualConsolesCreate(count: i32): void {
  for (let i = consoles.length; i < count; i++) consoles.push(new VirtualConsole(i));
}

export function virtualConsoleCount(): i32 {
  return consoles.length;
}

export function virtualConsole(index: i32): VirtualConsole {
  return consoles[index];
}

export function activeConsole(): i32 {
  return active;
}

/** Program output and echo: kept by the console, shown when it is the active one. */
export function virtualConsoleWrite(index: i32, byte: u8): void {
  consoles[index].remember(byte);
  if (index == active) consoleWriteByte(byte);
}

/** Shows console `index`: clears the outputs and redraws its recent output. False if there is no such console. */
export function virtualConsoleActivate(index: i32): bool {
  if (index < 0 || index >= consoles.length) return false;
  if (index == active) return true;
  active = index;
  consoleClear();
  consoleWriteLine(header.clear().string("-- console ").decimal(index + 1).string(" (Alt+F").decimal(index + 1)
    .string(", or ESC ").decimal(index + 1).string(" on serial) --"));
  const console = consoles[index];
  for (let i = 0; i < console.recentBytes; i++) consoleWriteByte(console.recentByte(i));
  return true;
}
