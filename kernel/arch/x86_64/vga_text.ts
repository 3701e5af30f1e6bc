// VGA text mode console: 80×25 cells of (character, attribute) at 0xB8000, as BIOS leaves it.

import { ConsoleOutput } from "../../console/console";
import { Text } from "../../console/text";
import { physicalFill32, physicalMove, physicalWrite16, portWrite8 } from "./hardware";

export const VGA_TEXT_ADDRESS: u64 = 0xb8000;
const CRT_INDEX: u16 = 0x3d4;
const CRT_DATA: u16 = 0x3d5;
const CRT_CURSOR_HIGH: u8 = 0x0e;
const CRT_CURSOR_LOW: u8 = 0x0f;
const ATTRIBUTE_LIGHT_GREY_ON_BLACK: u16 = 0x07;
const BLANK_CELL: u16 = (ATTRIBUTE_LIGHT_GREY_ON_BLACK << 8) | 0x20;

export class VgaText extends ConsoleOutput {
  private row: u32 = 0;

  constructor(readonly address: u64 = VGA_TEXT_ADDRESS, readonly columns: u32 = 80, readonly rows: u32 = 25) {
    super();
  }

  get name(): string {
    return "vga";
  }

  clear(): void {
    const cells = <u64>(this.columns * this.rows);
    physicalFill32(this.address, (BLANK_CELL << 16) | BLANK_CELL, cells / 2);
    this.row = 0;
    this.moveCursor(0);
  }

  writeLine(line: Text): void {
    if (this.row == this.rows) this.scroll();
    const rowAddress = this.address + <u64>(this.row * this.columns * 2);
    physicalFill32(rowAddress, (BLANK_CELL << 16) | BLANK_CELL, this.columns / 2);
    const visible = min<u32>(<u32>line.length, this.columns);
    for (let column: u32 = 0; column < visible; column++) {
      physicalWrite16(rowAddress + column * 2, (ATTRIBUTE_LIGHT_GREY_ON_BLACK << 8) | line.byteAt(column));
    }
    this.row++;
    this.moveCursor(min<u32>(this.row, this.rows - 1) * this.columns);
  }

  private scroll(): void {
    const rowBytes = <u64>(this.columns * 2);
    physicalMove(this.address, this.address + rowBytes, rowBytes * (this.rows - 1));
    physicalFill32(this.address + rowBytes * (this.rows - 1), (BLANK_CELL << 16) | BLANK_CELL, this.columns / 2);
    this.row = this.rows - 1;
  }

  private moveCursor(cell: u32): void {
    portWrite8(CRT_INDEX, CRT_CURSOR_HIGH);
    portWrite8(CRT_DATA, <u8>(cell >> 8));
    portWrite8(CRT_INDEX, CRT_CURSOR_LOW);
    portWrite8(CRT_DATA, <u8>(cell & 0xff));
  }
}
