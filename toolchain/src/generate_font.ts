// Generates kernel/console/font_8x16.ts from a PSF console font (the framebuffer console's glyphs).
//
// Usage: npx tsx toolchain/src/generate_font.ts <font.psf.gz> > kernel/console/font_8x16.ts
// The committed font comes from Debian's console-setup-linux, Lat15-Fixed16.psf.gz: the
// "Fixed" glyphs derive from the public-domain X11 misc-fixed fonts. Only printable ASCII
// (0x20-0x7e) is kept; the font's Unicode table maps code points to glyph indices.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const PSF1_MAGIC = 0x0436;
const PSF1_MODE_512_GLYPHS = 0x01;
const PSF1_MODE_HAS_UNICODE_TABLE = 0x02;
const PSF1_SEPARATOR = 0xffff;
const PSF1_SEQUENCE_START = 0xfffe;
const PSF2_MAGIC = 0x864ab572;
const PSF2_HAS_UNICODE_TABLE = 0x01;
const SEPARATOR = 0xff;
const SEQUENCE_START = 0xfe;

export interface PsfFont {
  width: number;
  height: number;
  glyphBytes: number;
  glyphs: Buffer;
  glyphForCodePoint: Map<number, number>;
}

/** Reads a PC Screen Font, version 1 or 2 (the formats of Linux console fonts). */
export function parsePsf(data: Buffer, name: string): PsfFont {
  if (data.length >= 4 && data.readUInt16LE(0) === PSF1_MAGIC) return parsePsf1(data, name);
  if (data.length >= 32 && data.readUInt32LE(0) === PSF2_MAGIC) return parsePsf2(data, name);
  throw new Error(`${name}: not a PSF font (expected magic 36 04 or 72 b5 4a 86 at offset 0)`);
}

function parsePsf1(data: Buffer, name: string): PsfFont {
  const mode = data[2];
  const height = data[3];
  const glyphCount = mode & PSF1_MODE_512_GLYPHS ? 512 : 256;
  const tableStart = 4 + glyphCount * height;
  if (tableStart > data.length) throw new Error(`${name}: truncated glyph data (${glyphCount} glyphs of ${height} bytes)`);
  const glyphForCodePoint = new Map<number, number>();
  if (mode & PSF1_MODE_HAS_UNICODE_TABLE) {
    let position = tableStart;
    for (let glyph = 0; glyph < glyphCount && position + 1 < data.length; glyph++) {
      let inSequence = false;
      for (let value = data.readUInt16LE(position); value !== PSF1_SEPARATOR; value = data.readUInt16LE(position)) {
        if (value === PSF1_SEQUENCE_START) inSequence = true;
        else if (!inSequence && !glyphForCodePoint.has(value)) glyphForCodePoint.set(value, glyph);
        position += 2;
      }
      position += 2;
    }
  } else {
    for (let glyph = 0; glyph < glyphCount; glyph++) glyphForCodePoint.set(glyph, glyph);
  }
  return { width: 8, height, glyphBytes: height, glyphs: data.subarray(4, tableStart), glyphForCodePoint };
}

function parsePsf2(data: Buffer, name: string): PsfFont {
  const headerBytes = data.readUInt32LE(8);
  const flags = data.readUInt32LE(12);
  const glyphCount = data.readUInt32LE(16);
  const glyphBytes = data.readUInt32LE(20);
  const height = data.readUInt32LE(24);
  const width = data.readUInt32LE(28);
  const tableStart = headerBytes + glyphCount * glyphBytes;
  if (tableStart > data.length) throw new Error(`${name}: truncated glyph data (${glyphCount} glyphs of ${glyphBytes} bytes)`);
  const glyphForCodePoint = new Map<number, number>();
  if (flags & PSF2_HAS_UNICODE_TABLE) {
    let position = tableStart;
    for (let glyph = 0; glyph < glyphCount && position < data.length; glyph++) {
      let inSequence = false;
      while (position < data.length && data[position] !== SEPARATOR) {
        if (data[position] === SEQUENCE_START) {
          inSequence = true;
          position++;
          continue;
        }
        const { codePoint, length } = decodeUtf8(data, position);
        if (!inSequence && !glyphForCodePoint.has(codePoint)) glyphForCodePoint.set(codePoint, glyph);
        position += length;
      }
      position++;
    }
  } else {
    for (let glyph = 0; glyph < glyphCount; glyph++) glyphForCodePoint.set(glyph, glyph);
  }
  return { width, height, glyphBytes, glyphs: data.subarray(headerBytes, tableStart), glyphForCodePoint };
}

function decodeUtf8(data: Buffer, position: number): { codePoint: number; length: number } {
  const first = data[position];
  if (first < 0x80) return { codePoint: first, length: 1 };
  const length = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : 2;
  let codePoint = first & (0x7f >> length);
  for (let i = 1; i < length; i++) codePoint = (codePoint << 6) | (data[position + i] & 0x3f);
  return { codePoint, length };
}

/** The 128 ASCII glyphs as 16 row bytes each (most significant bit = leftmost pixel). */
export function asciiGlyphs(font: PsfFont, name: string): number[] {
  if (font.width !== 8 || font.height !== 16) throw new Error(`${name}: expected an 8x16 font, found ${font.width}x${font.height}`);
  const rows: number[] = [];
  for (let code = 0; code < 128; code++) {
    const glyph = code >= 0x20 && code < 0x7f ? font.glyphForCodePoint.get(code) : undefined;
    for (let row = 0; row < 16; row++) rows.push(glyph === undefined ? 0 : font.glyphs[glyph * font.glyphBytes + row]);
  }
  return rows;
}

function main(path: string | undefined): void {
  if (!path) throw new Error("usage: generate_font.ts <font.psf.gz>");
  const raw = readFileSync(path);
  const font = parsePsf(path.endsWith(".gz") ? gunzipSync(raw) : raw, path);
  const rows = asciiGlyphs(font, path);
  const lines = [];
  for (let code = 0; code < 128; code++) {
    const bytes = rows.slice(code * 16, code * 16 + 16).map((value) => "0x" + value.toString(16).padStart(2, "0"));
    const label = code >= 0x20 && code < 0x7f ? JSON.stringify(String.fromCharCode(code)) : `0x${code.toString(16)}`;
    lines.push(`  ${bytes.join(", ")}, // ${label}`);
  }
  process.stdout.write(
    `// Generated by toolchain/src/generate_font.ts from ${path.split("/").pop()}; do not edit.\n` +
      `//\n// 8x16 glyphs for ASCII 0x00-0x7f, 16 row bytes each, most significant bit = leftmost pixel;\n` +
      `// control characters are blank. Glyphs: the console-setup "Fixed" font, from the\n` +
      `// public-domain X11 misc-fixed fonts.\n\n` +
      `export const FONT_WIDTH: u32 = 8;\nexport const FONT_HEIGHT: u32 = 16;\n\n` +
      `export const FONT_8X16: StaticArray<u8> = [\n${lines.join("\n")}\n];\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv[2]);
