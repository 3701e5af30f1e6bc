// The TOML reader's byte classes, escapes and UTF-8 encoding, as functions of one byte.
//
// Bytes are i32 so that END (-1, what the reader's byteAt gives past the text) is one more
// value every test here can see: END is never a digit, key or token byte, and is a line end.
// Nothing here reads the text; encodeUtf8 writes only the 1 to 4 bytes it returns.

export const END: i32 = -1;
export const CHARACTER_TAB: i32 = 0x09;
export const CHARACTER_LINE_FEED: i32 = 0x0a;
export const CHARACTER_CARRIAGE_RETURN: i32 = 0x0d;
export const CHARACTER_SPACE: i32 = 0x20;
export const CHARACTER_QUOTE: i32 = 0x22;
export const CHARACTER_HASH: i32 = 0x23;
export const CHARACTER_PLUS: i32 = 0x2b;
export const CHARACTER_COMMA: i32 = 0x2c;
export const CHARACTER_MINUS: i32 = 0x2d;
export const CHARACTER_ZERO: i32 = 0x30;
export const CHARACTER_EQUALS: i32 = 0x3d;
export const CHARACTER_BRACKET_OPEN: i32 = 0x5b;
export const CHARACTER_BACKSLASH: i32 = 0x5c;
export const CHARACTER_BRACKET_CLOSE: i32 = 0x5d;
export const CHARACTER_UNDERSCORE: i32 = 0x5f;
export const CHARACTER_DELETE: i32 = 0x7f;

export function isDigit(byte: i32): bool {
  return byte >= CHARACTER_ZERO && byte <= 0x39;
}

export function isBareKeyByte(byte: i32): bool {
  return isDigit(byte) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) ||
    byte == CHARACTER_UNDERSCORE || byte == CHARACTER_MINUS;
}

/** Bytes of a word value (true, 42, or a mistake to quote): all but spaces, ',', ']', '#' and line ends. */
export function isTokenByte(byte: i32): bool {
  return byte != END && byte != CHARACTER_SPACE && byte != CHARACTER_TAB && byte != CHARACTER_COMMA &&
    byte != CHARACTER_BRACKET_CLOSE && byte != CHARACTER_HASH && !isLineEnd(byte) &&
    byte != CHARACTER_QUOTE && byte != CHARACTER_BRACKET_OPEN;
}

export function isLineEnd(byte: i32): bool {
  return byte == END || byte == CHARACTER_LINE_FEED || byte == CHARACTER_CARRIAGE_RETURN;
}

/** Whether a word starting with `first`, `second` is meant as a number: a digit, or a sign and a digit. */
export function looksNumeric(first: i32, second: i32): bool {
  return isDigit(first) || ((first == CHARACTER_PLUS || first == CHARACTER_MINUS) && isDigit(second));
}

/** The character a one-letter escape stands for, or -1 (u and U are read apart). */
export function simpleEscape(escape: i32): i32 {
  if (escape == 0x62) return 0x08; // \b
  if (escape == 0x74) return 0x09; // \t
  if (escape == 0x6e) return 0x0a; // \n
  if (escape == 0x66) return 0x0c; // \f
  if (escape == 0x72) return 0x0d; // \r
  if (escape == CHARACTER_QUOTE || escape == CHARACTER_BACKSLASH) return escape;
  return -1;
}

export function hexDigit(byte: i32): i32 {
  if (isDigit(byte)) return byte - CHARACTER_ZERO;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  return -1;
}

/** Writes the scalar value `code` as UTF-8 at `output`; returns the bytes written (1 to 4). */
export function encodeUtf8(output: usize, code: i32): i32 {
  if (code < 0x80) {
    store<u8>(output, <u8>code);
    return 1;
  }
  if (code < 0x800) {
    store<u8>(output, <u8>(0xc0 | (code >> 6)));
    store<u8>(output + 1, <u8>(0x80 | (code & 0x3f)));
    return 2;
  }
  if (code < 0x10000) {
    store<u8>(output, <u8>(0xe0 | (code >> 12)));
    store<u8>(output + 1, <u8>(0x80 | ((code >> 6) & 0x3f)));
    store<u8>(output + 2, <u8>(0x80 | (code & 0x3f)));
    return 3;
  }
  store<u8>(output, <u8>(0xf0 | (code >> 18)));
  store<u8>(output + 1, <u8>(0x80 | ((code >> 12) & 0x3f)));
  store<u8>(output + 2, <u8>(0x80 | ((code >> 6) & 0x3f)));
  store<u8>(output + 3, <u8>(0x80 | (code & 0x3f)));
  return 4;
}

/** `byte` as "0x" and two lowercase hex digits, for messages. */
export function hexByte(byte: i32): string {
  const digits = "0123456789abcdef";
  return "0x" + digits.charAt((byte >> 4) & 0xf) + digits.charAt(byte & 0xf);
}
