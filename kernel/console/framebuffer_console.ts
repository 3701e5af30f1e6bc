// Framebuffer text console: 8×16 glyphs drawn into a linear RGB framebuffer (as under UEFI).
//
// Each character cell is drawn one glyph row at a time into `glyphRow` (kernel memory) and
// copied out with one call per row: 16 copies a character. Only 32 bits per pixel are
// drawn; other depths are refused by `supports()` and the caller logs it. The cursor and
// terminal-byte rules are CellScreen's (console.ts).

import { physicalCopyOut, physicalFill32, physicalMove } from "../arch/x86_64/machine";
import { CellScreen } from "./console";
import { FONT_8X16, FONT_HEIGHT, FONT_WIDTH } from "./font_8x16";

const FOREGROUND_LEVEL: u32 = 0xaa; // light grey, like VGA attribute 7

export class Framebuffer {
  address: u64 = 0;
  pitch: u32 = 0;
  width: u32 = 0;
  height: u32 = 0;
  bitsPerPixel: u8 = 0;
  /** multiboot2: 0 = indexed colour, 1 = direct RGB, 2 = EGA text (width/height in characters). */
  kind: u8 = 0;
  redPosition: u8 = 16;
  redSize: u8 = 8;
  greenPosition: u8 = 8;
  greenSize: u8 = 8;
  bluePosition: u8 = 0;
  blueSize: u8 = 8;
}

export const FRAMEBUFFER_KIND_INDEXED: u8 = 0;
export const FRAMEBUFFER_KIND_RGB: u8 = 1;
export const FRAMEBUFFER_KIND_EGA_TEXT: u8 = 2;

export class FramebufferConsole extends CellScreen {
  private readonly foreground: u32;
  /** One glyph row of pixels, copied out with one call. */
  private readonly glyphRow: StaticArray<u32> = new StaticArray<u32>(FONT_WIDTH);

  static supports(framebuffer: Framebuffer): bool {
    return framebuffer.kind == FRAMEBUFFER_KIND_RGB && framebuffer.bitsPerPixel == 32 &&
      framebuffer.width >= FONT_WIDTH && framebuffer.height >= FONT_HEIGHT;
  }

  constructor(readonly framebuffer: Framebuffer) {
    super(framebuffer.width / FONT_WIDTH, framebuffer.height / FONT_HEIGHT);
    this.foreground = channel(framebuffer.redPosition, framebuffer.redSize) |
      channel(framebuffer.greenPosition, framebuffer.greenSize) |
      channel(framebuffer.bluePosition, framebuffer.blueSize);
  }

  get name(): string {
    return "framebuffer";
  }

  protected drawCell(row: u32, column: u32, character: u8): void {
    const top = row * FONT_HEIGHT;
    for (let glyphRow: u32 = 0; glyphRow < FONT_HEIGHT; glyphRow++) {
      const bits = <u32>FONT_8X16[(<i32>character & 0x7f) * FONT_HEIGHT + glyphRow];
      for (let bit: u32 = 0; bit < FONT_WIDTH; bit++) {
        unchecked((this.glyphRow[bit] = (bits & (0x80 >> bit)) != 0 ? this.foreground : 0));
      }
      physicalCopyOut(this.scanlineAddress(top + glyphRow) + <u64>column * FONT_WIDTH * 4,
        changetype<usize>(this.glyphRow), FONT_WIDTH * 4);
    }
  }

  protected blankRow(row: u32): void {
    for (let y: u32 = 0; y < FONT_HEIGHT; y++) this.fillScanline(row * FONT_HEIGHT + y, 0);
  }

  protected blankAll(): void {
    for (let y: u32 = 0; y < this.framebuffer.height; y++) this.fillScanline(y, 0);
  }

  protected scrollUp(): void {
    const rowBytes = <u64>this.framebuffer.pitch * FONT_HEIGHT;
    physicalMove(this.framebuffer.address, this.framebuffer.address + rowBytes, rowBytes * (this.rows - 1));
    this.blankRow(this.rows - 1);
  }

  private fillScanline(y: u32, value: u32): void {
    physicalFill32(this.scanlineAddress(y), value, this.framebuffer.width);
  }

  private scanlineAddress(y: u32): u64 {
    return this.framebuffer.address + <u64>y * this.framebuffer.pitch;
  }
}

function channel(position: u8, size: u8): u32 {
  const level = size >= 8 ? FOREGROUND_LEVEL << (size - 8) : FOREGROUND_LEVEL >> (8 - size);
  return level << position;
}
