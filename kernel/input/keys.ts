// Keys: the events the keyboard decoder produces and the line discipline reads.
//
// A key is one i32: a character code (0x01-0x7f, ASCII; Ctrl-A … Ctrl-Z are 1 … 26) or a
// named special key at KEY_NAMED and above. Modifier flags say which modifiers were held
// when the key went down. Only key presses are events; releases just change decoder state.

/** First named key; everything below is a character code. */
export const KEY_NAMED: i32 = 0x100;
export const KEY_UP: i32 = 0x100;
export const KEY_DOWN: i32 = 0x101;
export const KEY_LEFT: i32 = 0x102;
export const KEY_RIGHT: i32 = 0x103;
export const KEY_HOME: i32 = 0x104;
export const KEY_END: i32 = 0x105;
export const KEY_DELETE: i32 = 0x106;
export const KEY_INSERT: i32 = 0x107;
export const KEY_PAGE_UP: i32 = 0x108;
export const KEY_PAGE_DOWN: i32 = 0x109;
export const KEY_BACKSPACE: i32 = 0x10a;
export const KEY_ENTER: i32 = 0x10b;
export const KEY_TAB: i32 = 0x10c;
export const KEY_ESCAPE: i32 = 0x10d;
/** F1 … F12 are KEY_F1 + 0 … KEY_F1 + 11. */
export const KEY_F1: i32 = 0x110;
export const KEY_F12: i32 = 0x11b;

export const MODIFIER_SHIFT: u8 = 0x01;
export const MODIFIER_CONTROL: u8 = 0x02;
export const MODIFIER_ALT: u8 = 0x04;
/** Caps Lock was on (already applied to letters; reported for completeness). */
export const MODIFIER_CAPS_LOCK: u8 = 0x08;

export class KeyEvent {
  /** A character code below KEY_NAMED, or a KEY_ name. */
  key: i32 = 0;
  /** MODIFIER_ flags held when the key went down. */
  modifiers: u8 = 0;

  isCharacter(): bool {
    return this.key < KEY_NAMED;
  }
}

const NAMES: StaticArray<string> = [
  "Up", "Down", "Left", "Right", "Home", "End", "Delete", "Insert", "PageUp", "PageDown",
  "Backspace", "Enter", "Tab", "Escape", "", "",
  "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12",
];

/** The name of a named key ("Up", "F1"), "" for characters and unknown keys. Never allocates. */
export function keyName(key: i32): string {
  if (key < KEY_NAMED || key > KEY_F12) return "";
  return NAMES[key - KEY_NAMED];
}
