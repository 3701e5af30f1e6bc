// Framebuffer text console: 8×16 glyphs drawn into a linear RGB framebuffer (as under UEFI).
//
// Each line is rendered one scanline at a time into `scanline` (kernel memory) and copied
// out with one call per scanline, so a line costs 16 copies however long it is. Only 32
// bits per pixel are drawn; other depths are refused by `supports()` and the caller logs it.

import { physicalCopyOut, physicalFill32, physicalMove } from "../arch/x86_64/hardware";
import { ConsoleOutput } from "./console";
import { FONT_8X16, FONT_HEIGHT, FONT_WIDTH } from "./font_8x16";
import { Text } from "./text";

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

export class FramebufferConsole extends ConsoleOutput {
  readonly columns: u32;
  readonly rows: u32;
  private row: u32 = 0;
  private readonly foreground: u32;
  private readonly scanline: StaticArray<u32>;

  static supports(framebuffer: Framebuffer): bool {
    return framebuffer.kind == FRAMEBUFFER_KIND_RGB && framebuffer.bitsPerPixel == 32 &&
      framebuffer.width >= FONT_WIDTH && framebuffer.height >= FONT_HEIGHT;
  }

  constructor(readonly framebuffer: Framebuffer) {
    super();
    this.columns = framebuffer.width / FONT_WIDTH;
    this.rows = framebuffer.height / FONT_HEIGHT;
    this.scanline = new StaticArray<u32>(framebuffer.width);
    this.foreground = channel(framebuffer.redPosition, framebuffer.redSize) |
      channel(framebuffer.greenPosition, framebuffer.greenSize) |
      channel(framebuffer.bluePosition, framebuffer.blueSize);
  }

  get name(): string {
    return "framebuffer";
  }

  clear(): void {
    for (let y: u32 = 0; y < this.framebuffer.height; y++) this.fillScanline(y, 0);
    this.row = 0;
  }

  writeLine(line: Text): void {
    if (this.row == this.rows) this.scroll();
    const visible = min<u32>(<u32>line.length, this.columns);
    const top = this.row * FONT_HEIGHT;
    for (let glyphRow: u32 = 0; glyphRow < FONT_HEIGHT; glyphRow++) {
      for (let x: u32 = 0; x < this.framebuffer.width; x++) unchecked((this.scanline[x] = 0));
      for (let column: u32 = 0; column < visible; column++) {
        const bits = <u32>FONT_8X16[(<i32>line.byteAt(column) & 0x7f) * FONT_HEIGHT + glyphRow];
        for (let bit: u32 = 0; bit < FONT_WIDTH; bit++) {
          if (bits & (0x80 >> bit)) unchecked((this.scanline[column * FONT_WIDTH + bit] = this.foreground));
        }
      }
      physicalCopyOut(this.scanlineAddress(top + glyphRow), changetype<usize>(this.scanline), this.framebuffer.width * 4);
    }
    this.row++;
  }

  private scroll(): void {
    const rowBytes = <u64>this.framebuffer.pitch * FONT_HEIGHT;
    physicalMove(this.framebuffer.address, this.framebuffer.address + rowBytes, rowBytes * (this.rows - 1));
    this.row = this.rows - 1;
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
