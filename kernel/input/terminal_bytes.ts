// TerminalByteDecoder: bytes from a serial terminal → the keyboard's keys.
//
//   printable ASCII 0x20-0x7e   the character
//   0x7f (DEL) and 0x08 (BS)    Backspace (terminals differ in which they send)
//   CR, LF, CR LF               one Enter each (LF right after CR is swallowed)
//   ESC [ A/B/C/D, ESC O A…D    Up, Down, Right, Left
//   ESC [ H/F, ESC [ 1~/7~      Home;  ESC [ 4~/8~ End;  ESC [ 3~ Delete
//   other control bytes         as characters 0x01-0x1f (Ctrl-C is 3, Ctrl-U is 21)
//
// Sequences may arrive split across any number of calls; the state lives here. An unknown
// sequence is swallowed up to its final byte; a lone ESC followed by something that starts
// no sequence is dropped and that byte is decoded normally. Bytes above 0x7e are ignored.

import { KEY_BACKSPACE, KEY_DELETE, KEY_DOWN, KEY_END, KEY_ENTER, KEY_HOME, KEY_LEFT, KEY_RIGHT, KEY_UP } from "./keys";

/** What decode() returns for a byte that completes no key. */
export const NO_KEY: i32 = -1;

const ESCAPE: u8 = 0x1b;
const CARRIAGE_RETURN: u8 = 0x0d;
const LINE_FEED: u8 = 0x0a;
const BACKSPACE: u8 = 0x08;
const DELETE: u8 = 0x7f;
const CONTROL_SEQUENCE_INTRODUCER: u8 = 0x5b; // '['
const SINGLE_SHIFT_THREE: u8 = 0x4f; //          'O'
const PARAMETER_SEPARATOR: u8 = 0x3b; //         ';'
const PARAMETER_LIMIT: i32 = 9999;

const STATE_GROUND: u8 = 0;
const STATE_ESCAPE: u8 = 1; //    after ESC
const STATE_SEQUENCE: u8 = 2; //  after ESC [
const STATE_SHIFT: u8 = 3; //     after ESC O

export class TerminalByteDecoder {
  private state: u8 = STATE_GROUND;
  private afterCarriageReturn: bool = false;
  private parameter: i32 = 0;
  private parameterDone: bool = false;

  /** Forgets a sequence in progress (its rest was lost). */
  reset(): void {
    this.state = STATE_GROUND;
  }

  /** Feeds one byte; returns the key it completes (character or KEY_ name) or NO_KEY. */
  decode(byte: u8): i32 {
    const afterCarriageReturn = this.afterCarriageReturn;
    this.afterCarriageReturn = false;
    if (this.state == STATE_ESCAPE) {
      if (byte == CONTROL_SEQUENCE_INTRODUCER) return this.enter(STATE_SEQUENCE);
      if (byte == SINGLE_SHIFT_THREE) return this.enter(STATE_SHIFT);
      this.state = STATE_GROUND; // a lone ESC: drop it, decode this byte on its own
    } else if (this.state == STATE_SHIFT) {
      this.state = STATE_GROUND;
      return cursorKey(byte);
    } else if (this.state == STATE_SEQUENCE) {
      if (byte >= 0x20) return this.sequenceByte(byte);
      this.state = STATE_GROUND; // a control byte aborts the sequence and counts on its own
    }
    if (byte == ESCAPE) return this.enter(STATE_ESCAPE);
    if (byte == CARRIAGE_RETURN) {
      this.afterCarriageReturn = true;
      return KEY_ENTER;
    }
    if (byte == LINE_FEED) return afterCarriageReturn ? NO_KEY : KEY_ENTER;
    if (byte == DELETE || byte == BACKSPACE) return KEY_BACKSPACE;
    if (byte > DELETE || byte == 0) return NO_KEY;
    return <i32>byte;
  }

  private enter(state: u8): i32 {
    this.state = state;
    this.parameter = 0;
    this.parameterDone = false;
    return NO_KEY;
  }

  /** One byte inside ESC [ …: parameters and intermediates collect, a final byte decides. */
  private sequenceByte(byte: u8): i32 {
    if (byte >= 0x30 && byte <= 0x39) {
      if (!this.parameterDone && this.parameter < PARAMETER_LIMIT) this.parameter = this.parameter * 10 + <i32>(byte - 0x30);
      return NO_KEY;
    }
    if (byte == PARAMETER_SEPARATOR) {
      this.parameterDone = true; // only the first parameter matters (ESC [ 1 ; 5 C is Ctrl-Right)
      return NO_KEY;
    }
    if (byte < 0x40) return NO_KEY; // other parameter and intermediate bytes
    this.state = STATE_GROUND;
    if (byte != 0x7e) return cursorKey(byte); // '~' ends the numbered keys
    switch (this.parameter) {
      case 1: case 7: return KEY_HOME;
      case 4: case 8: return KEY_END;
      case 3: return KEY_DELETE;
      default: return NO_KEY; // Insert, Page Up/Down, function keys
    }
  }
}

/** The final byte of ESC [ x or ESC O x for the cursor keys; NO_KEY for anything else. */
function cursorKey(byte: u8): i32 {
  switch (byte) {
    case 0x41: return KEY_UP; //    A
    case 0x42: return KEY_DOWN; //  B
    case 0x43: return KEY_RIGHT; // C
    case 0x44: return KEY_LEFT; //  D
    case 0x48: return KEY_HOME; //  H
    case 0x46: return KEY_END; //   F
    default: return NO_KEY;
  }
}
