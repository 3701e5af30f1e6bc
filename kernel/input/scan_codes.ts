// ScanCodeDecoder: scan code set 1 (8042-translated) → key events, US layout.
//
// Set 1 sends one byte per key press ("make", bit 7 clear) and the same byte with bit 7 set
// when the key is released ("break"). Some keys are prefixed by 0xE0 (arrows, Home/End,
// Delete, right Ctrl/Alt, keypad Enter and slash). Two sequences are not keys and are
// swallowed whole:
//
//   Pause        E1 1D 45 E1 9D C5   (make only; each E1 is followed by two bytes to skip)
//   PrintScreen  E0 2A E0 37 / E0 B7 E0 AA   (E0 2A and E0 AA are "fake shifts", ignored)
//
// State: which modifier keys are held (left and right separately, so releasing one side
// keeps the other), Caps Lock and Num Lock (toggled on the first make, not on typematic
// repeats), and where we are in a prefixed sequence. Nothing is allocated per byte.

import {
  KEY_BACKSPACE, KEY_DELETE, KEY_DOWN, KEY_END, KEY_ENTER, KEY_ESCAPE, KEY_F1, KEY_HOME, KEY_INSERT,
  KEY_LEFT, KEY_PAGE_DOWN, KEY_PAGE_UP, KEY_RIGHT, KEY_TAB, KEY_UP, KeyEvent,
  MODIFIER_ALT, MODIFIER_CAPS_LOCK, MODIFIER_CONTROL, MODIFIER_SHIFT,
} from "./keys";

const PREFIX_EXTENDED: u8 = 0xe0;
const PREFIX_PAUSE: u8 = 0xe1;
const BREAK_BIT: u8 = 0x80;
const PAUSE_BYTES_AFTER_PREFIX: i32 = 2;

// Make codes (set 1) with a meaning beyond the character tables.
const CODE_ESCAPE: u8 = 0x01;
const CODE_BACKSPACE: u8 = 0x0e;
const CODE_TAB: u8 = 0x0f;
const CODE_ENTER: u8 = 0x1c;
const CODE_CONTROL: u8 = 0x1d; //        right Ctrl with 0xE0
const CODE_LEFT_SHIFT: u8 = 0x2a; //     with 0xE0: PrintScreen's fake shift
const CODE_SLASH: u8 = 0x35; //          keypad / with 0xE0
const CODE_RIGHT_SHIFT: u8 = 0x36; //    with 0xE0: a fake shift
const CODE_ALT: u8 = 0x38; //            right Alt with 0xE0
const CODE_CAPS_LOCK: u8 = 0x3a;
const CODE_F1: u8 = 0x3b; //             F1 … F10 are 0x3b … 0x44
const CODE_F10: u8 = 0x44;
const CODE_NUM_LOCK: u8 = 0x45;
const CODE_KEYPAD_FIRST: u8 = 0x47; //   keypad 7 … keypad . are 0x47 … 0x53
const CODE_KEYPAD_LAST: u8 = 0x53;
const CODE_F11: u8 = 0x57;
const CODE_F12: u8 = 0x58;

// Held-modifier bits (internal).
const HELD_LEFT_SHIFT: u8 = 0x01;
const HELD_RIGHT_SHIFT: u8 = 0x02;
const HELD_LEFT_CONTROL: u8 = 0x04;
const HELD_RIGHT_CONTROL: u8 = 0x08;
const HELD_LEFT_ALT: u8 = 0x10;
const HELD_RIGHT_ALT: u8 = 0x20;
const HELD_CAPS_LOCK_KEY: u8 = 0x40;
const HELD_NUM_LOCK_KEY: u8 = 0x80;

// US layout, make codes 0x00 … 0x39; "\0" where the key is not a character.
const US_PLAIN = "\0\x001234567890-=\0\0qwertyuiop[]\0\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
const US_SHIFTED = "\0\0!@#$%^&*()_+\0\0QWERTYUIOP{}\0\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";
// Keypad 0x47 … 0x53 with Num Lock on (characters) and off (keys; 0 for keypad 5).
const KEYPAD_NUMBERS = "789-456+1230.";
const KEYPAD_KEYS: StaticArray<i32> = [
  KEY_HOME, KEY_UP, KEY_PAGE_UP, 0x2d, KEY_LEFT, 0, KEY_RIGHT, 0x2b, KEY_END, KEY_DOWN,
  KEY_PAGE_DOWN, KEY_INSERT, KEY_DELETE,
];

export class ScanCodeDecoder {
  private held: u8 = 0;
  private extended: bool = false;
  private pauseBytesLeft: i32 = 0;
  capsLock: bool = false;
  /** Firmware usually leaves Num Lock on; the controller cannot tell us, so we assume it. */
  numLock: bool = true;

  /**
   * Feeds one byte from the keyboard. True when it completed a key press, described in
   * `event`; false for releases, modifiers, prefixes, ignored sequences and unknown codes.
   */
  decode(code: u8, event: KeyEvent): bool {
    if (this.pauseBytesLeft > 0) {
      this.pauseBytesLeft--;
      return false;
    }
    if (code == PREFIX_PAUSE) {
      this.pauseBytesLeft = PAUSE_BYTES_AFTER_PREFIX;
      this.extended = false;
      return false;
    }
    if (code == PREFIX_EXTENDED) {
      this.extended = true;
      return false;
    }
    const extended = this.extended;
    this.extended = false;
    const released = (code & BREAK_BIT) != 0;
    const make = code & ~BREAK_BIT;
    if (this.updateModifiers(make, extended, released) || released) return false;
    const key = extended ? extendedKey(make) : this.plainKey(make);
    if (key == 0) return false;
    event.key = key;
    event.modifiers = this.modifiers();
    return true;
  }

  /** The MODIFIER_ flags now in force. */
  modifiers(): u8 {
    let flags: u8 = 0;
    if (this.held & (HELD_LEFT_SHIFT | HELD_RIGHT_SHIFT)) flags |= MODIFIER_SHIFT;
    if (this.held & (HELD_LEFT_CONTROL | HELD_RIGHT_CONTROL)) flags |= MODIFIER_CONTROL;
    if (this.held & (HELD_LEFT_ALT | HELD_RIGHT_ALT)) flags |= MODIFIER_ALT;
    if (this.capsLock) flags |= MODIFIER_CAPS_LOCK;
    return flags;
  }

  /** True when `make` is a modifier or lock key (its state is now updated). */
  private updateModifiers(make: u8, extended: bool, released: bool): bool {
    let bit: u8 = 0;
    if (make == CODE_LEFT_SHIFT || make == CODE_RIGHT_SHIFT) {
      if (extended) return true; // a fake shift inside PrintScreen and similar sequences
      bit = make == CODE_LEFT_SHIFT ? HELD_LEFT_SHIFT : HELD_RIGHT_SHIFT;
    } else if (make == CODE_CONTROL) {
      bit = extended ? HELD_RIGHT_CONTROL : HELD_LEFT_CONTROL;
    } else if (make == CODE_ALT) {
      bit = extended ? HELD_RIGHT_ALT : HELD_LEFT_ALT;
    } else if (make == CODE_CAPS_LOCK && !extended) {
      bit = HELD_CAPS_LOCK_KEY;
      if (!released && (this.held & bit) == 0) this.capsLock = !this.capsLock;
    } else if (make == CODE_NUM_LOCK && !extended) {
      bit = HELD_NUM_LOCK_KEY;
      if (!released && (this.held & bit) == 0) this.numLock = !this.numLock;
    } else {
      return false;
    }
    this.held = released ? this.held & ~bit : this.held | bit;
    return true;
  }

  /** The key for an unprefixed make code, 0 when it has none. */
  private plainKey(make: u8): i32 {
    if (make == CODE_ESCAPE) return KEY_ESCAPE;
    if (make == CODE_BACKSPACE) return KEY_BACKSPACE;
    if (make == CODE_TAB) return KEY_TAB;
    if (make == CODE_ENTER) return KEY_ENTER;
    if (make >= CODE_F1 && make <= CODE_F10) return KEY_F1 + <i32>(make - CODE_F1);
    if (make == CODE_F11) return KEY_F1 + 10;
    if (make == CODE_F12) return KEY_F1 + 11;
    if (make >= CODE_KEYPAD_FIRST && make <= CODE_KEYPAD_LAST) {
      const index = <i32>(make - CODE_KEYPAD_FIRST);
      return this.numLock ? KEYPAD_NUMBERS.charCodeAt(index) : KEYPAD_KEYS[index];
    }
    if (<i32>make >= US_PLAIN.length) return 0;
    return this.character(make);
  }

  /** A character from the US tables with Shift, Caps Lock (letters only) and Ctrl applied. */
  private character(make: u8): i32 {
    const plain = US_PLAIN.charCodeAt(make);
    if (plain == 0) return 0;
    const letter = plain >= 0x61 && plain <= 0x7a;
    const shift = (this.held & (HELD_LEFT_SHIFT | HELD_RIGHT_SHIFT)) != 0;
    const control = (this.held & (HELD_LEFT_CONTROL | HELD_RIGHT_CONTROL)) != 0;
    if (letter && control) return plain & 0x1f; // Ctrl-A … Ctrl-Z → 1 … 26
    const upper = letter ? shift != this.capsLock : shift;
    return upper ? US_SHIFTED.charCodeAt(make) : plain;
  }
}

/** The key for a make code that followed 0xE0, 0 when it has none (or is ignored). */
function extendedKey(make: u8): i32 {
  switch (make) {
    case CODE_ENTER: return KEY_ENTER; //           keypad Enter
    case CODE_SLASH: return 0x2f; //                keypad /
    case 0x47: return KEY_HOME;
    case 0x48: return KEY_UP;
    case 0x49: return KEY_PAGE_UP;
    case 0x4b: return KEY_LEFT;
    case 0x4d: return KEY_RIGHT;
    case 0x4f: return KEY_END;
    case 0x50: return KEY_DOWN;
    case 0x51: return KEY_PAGE_DOWN;
    case 0x52: return KEY_INSERT;
    case 0x53: return KEY_DELETE;
    default: return 0; // PrintScreen (0x37), Ctrl+Break (0x46), Windows and menu keys, media keys
  }
}
