// Console: hands kernel log lines and program output to every enabled output (serial, VGA text, framebuffer).
//
// Two ways in:
//   consoleWriteLine(text)   a whole line (the kernel log); outputs end it themselves (the
//                            UART sends \r\n, screens move to the next row);
//   consoleWriteByte(byte)   terminal bytes from a program or the line editor's echo:
//                            printable ASCII, "\n" (new line), "\r", "\b" (cursor left, no
//                            erase) and 0x07 (bell); other bytes are not shown.
// A log line arriving while program output has left the cursor mid-line starts on a new
// line, so the two never run together. Which outputs exist is decided once at boot from the
// hardware found and the `console=` option.

import { Text } from "./text";

export const BYTE_NEW_LINE: u8 = 0x0a;
export const BYTE_CARRIAGE_RETURN: u8 = 0x0d;
export const BYTE_BACKSPACE: u8 = 0x08;
export const BYTE_BELL: u8 = 0x07;

export abstract class ConsoleOutput {
  abstract get name(): string;
  /** Writes one line (no newline in `line`) and ends it. */
  abstract writeLine(line: Text): void;
  /** Writes one terminal byte (see the top of this file). */
  abstract writeByte(byte: u8): void;
  /** Blanks the whole output, cursor home (a serial terminal just starts a new line). */
  abstract clear(): void;
}

const outputs = new Array<ConsoleOutput>();
let midLine = false;

export function consoleAddOutput(output: ConsoleOutput): void {
  outputs.push(output);
}

export function consoleOutputCount(): i32 {
  return outputs.length;
}

export function consoleOutputName(index: i32): string {
  return outputs[index].name;
}

export function consoleWriteLine(line: Text): void {
  if (midLine) consoleWriteByte(BYTE_NEW_LINE);
  for (let i = 0; i < outputs.length; i++) outputs[i].writeLine(line);
}

export function consoleWriteByte(byte: u8): void {
  for (let i = 0; i < outputs.length; i++) outputs[i].writeByte(byte);
  if (byte == BYTE_NEW_LINE) midLine = false;
  else if (byte >= 0x20 && byte < 0x7f) midLine = true;
}

export function consoleClear(): void {
  for (let i = 0; i < outputs.length; i++) outputs[i].clear();
  midLine = false;
}

export function consoleRemoveAllOutputs(): void {
  outputs.length = 0;
}

/**
 * A screen of character cells with a cursor: the terminal-byte rules once, for every screen
 * (VGA text cells, framebuffer glyphs). Subclasses draw one cell, blank one row and scroll.
 */
export abstract class CellScreen extends ConsoleOutput {
  protected row: u32 = 0;
  protected column: u32 = 0;

  constructor(readonly columns: u32, readonly rows: u32) {
    super();
  }

  protected abstract drawCell(row: u32, column: u32, character: u8): void;
  protected abstract blankRow(row: u32): void;
  /** Moves every row up by one; the bottom row is blanked. */
  protected abstract scrollUp(): void;
  protected abstract blankAll(): void;
  /** Shows the cursor at the current cell (hardware cursor, or nothing). */
  protected showCursor(): void {}

  clear(): void {
    this.blankAll();
    this.row = 0;
    this.column = 0;
    this.showCursor();
  }

  writeLine(line: Text): void {
    if (this.column != 0) this.newLine();
    const visible = min<u32>(<u32>line.length, this.columns);
    for (let column: u32 = 0; column < visible; column++) this.drawCell(this.row, column, line.byteAt(column));
    this.newLine();
    this.showCursor();
  }

  writeByte(byte: u8): void {
    if (byte == BYTE_NEW_LINE) this.newLine();
    else if (byte == BYTE_CARRIAGE_RETURN) this.column = 0;
    else if (byte == BYTE_BACKSPACE) {
      if (this.column > 0) this.column--;
    } else if (byte >= 0x20 && byte < 0x7f) {
      if (this.column == this.columns) this.newLine();
      this.drawCell(this.row, this.column, byte);
      this.column++;
    } else return;
    this.showCursor();
  }

  private newLine(): void {
    this.column = 0;
    if (this.row + 1 == this.rows) this.scrollUp();
    else {
      this.row++;
      this.blankRow(this.row);
    }
  }
}
