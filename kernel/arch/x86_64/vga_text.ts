// VGA text mode console: 80×25 cells of (character, attribute) at 0xB8000, as BIOS leaves it.

import { CellScreen } from "../../console/console";
import { physicalFill32, physicalMove, physicalWrite16, portWrite8 } from "./machine";

export const VGA_TEXT_ADDRESS: u64 = 0xb8000;
const CRT_INDEX: u16 = 0x3d4;
const CRT_DATA: u16 = 0x3d5;
const CRT_CURSOR_HIGH: u8 = 0x0e;
const CRT_CURSOR_LOW: u8 = 0x0f;
const ATTRIBUTE_LIGHT_GREY_ON_BLACK: u16 = 0x07;
const BLANK_CELL: u16 = (ATTRIBUTE_LIGHT_GREY_ON_BLACK << 8) | 0x20;

export class VgaText extends CellScreen {
  constructor(readonly address: u64 = VGA_TEXT_ADDRESS, columns: u32 = 80, rows: u32 = 25) {
    super(columns, rows);
  }

  get name(): string {
    return "vga";
  }

  protected drawCell(row: u32, column: u32, character: u8): void {
    physicalWrite16(this.cellAddress(row, column), (ATTRIBUTE_LIGHT_GREY_ON_BLACK << 8) | character);
  }

  protected blankRow(row: u32): void {
    physicalFill32(this.cellAddress(row, 0), (<u32>BLANK_CELL << 16) | BLANK_CELL, this.columns / 2);
  }

  protected blankAll(): void {
    physicalFill32(this.address, (<u32>BLANK_CELL << 16) | BLANK_CELL, <u64>(this.columns * this.rows) / 2);
  }

  protected scrollUp(): void {
    const rowBytes = <u64>(this.columns * 2);
    physicalMove(this.address, this.address + rowBytes, rowBytes * (this.rows - 1));
    this.blankRow(this.rows - 1);
  }

  protected showCursor(): void {
    const cell = this.row * this.columns + min<u32>(this.column, this.columns - 1);
    portWrite8(CRT_INDEX, CRT_CURSOR_HIGH);
    portWrite8(CRT_DATA, <u8>(cell >> 8));
    portWrite8(CRT_INDEX, CRT_CURSOR_LOW);
    portWrite8(CRT_DATA, <u8>(cell & 0xff));
  }

  private cellAddress(row: u32, column: u32): u64 {
    return this.address + <u64>((row * this.columns + column) * 2);
  }
}
