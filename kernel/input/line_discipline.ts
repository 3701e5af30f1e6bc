// LineDiscipline: a console's line editor: echo, editing, history, line queue.
//
// Fed key events (feedKey, from the keyboard decoder) or terminal bytes (feedByte, from a
// serial port). Everything is in fixed buffers allocated by the constructor, so a key never
// allocates:
//
//   line     the line being edited: length ≤ lineMax, cursor in 0 … length
//   draft    the edited line, kept while browsing history, restored by Down past the newest
//   history  ring of the last `historyLines` entered lines (empty lines and repeats of the
//            newest entry are not recorded)
//   queue    ring of `queueLines` completed lines waiting for takeLine()
//   echo     bytes to show, in order; the caller drains them (echoByte/clearEcho)
//
// Echo uses printable ASCII, "\b" (cursor one left, no erase), " ", "\r\n" and 0x07 (bell),
// so a serial terminal and the screen console can both show it. A key that cannot act
// (line full, nothing to erase, no older history) echoes a bell and changes nothing.
//
// Whole lines or none: a completed line is queued whole or refused whole, never glued to the
// next one. Enter with a full queue refuses the line: it is discarded, the bell rings and a
// new line starts (echo BELL \r\n), and `linesRefused` counts it. When the caller reports
// lost input (feedLoss: bytes dropped before they reached the editor), the line being edited
// is discarded and so is everything up to the next Enter, which counts one refused line.
// Callers that can wait (input.ts, for a console whose program reads lines) hold input back
// while `queueFull()` instead of feeding it. Echo beyond the echo buffer is dropped and
// counted in `echoDropped`.

import { KEY_BACKSPACE, KEY_DELETE, KEY_DOWN, KEY_END, KEY_ENTER, KEY_HOME, KEY_LEFT, KEY_NAMED, KEY_RIGHT, KEY_UP,
  MODIFIER_ALT } from "./keys";
import { NO_KEY, TerminalByteDecoder } from "./terminal_bytes";

const BELL: u8 = 0x07;
const CURSOR_LEFT: u8 = 0x08;
const SPACE: u8 = 0x20;
const CONTROL_C: i32 = 0x03;
const CONTROL_H: i32 = 0x08;
const CONTROL_U: i32 = 0x15;
/** Echo room per key: back to the start, the new text, blanks over the old tail, back again. */
const ECHO_LINES_PER_KEY: i32 = 4;
const ECHO_SPARE_BYTES: i32 = 16;
const BROWSING_DRAFT: i32 = -1;

export class LineDiscipline {
  private readonly line: StaticArray<u8>;
  length: i32 = 0;
  cursor: i32 = 0;
  private readonly draft: StaticArray<u8>;
  private draftLength: i32 = 0;
  private readonly history: StaticArray<u8>;
  private readonly historyLengths: StaticArray<i32>;
  private historyNewest: i32 = -1;
  historyCount: i32 = 0;
  /** Which history entry is shown: BROWSING_DRAFT, or 0 (newest) … historyCount - 1. */
  private browsing: i32 = BROWSING_DRAFT;
  private readonly queue: StaticArray<u8>;
  private readonly queueLengths: StaticArray<i32>;
  private queueHead: i32 = 0;
  linesWaiting: i32 = 0;
  private readonly echo: StaticArray<u8>;
  echoLength: i32 = 0;
  private readonly terminal: TerminalByteDecoder = new TerminalByteDecoder();
  /** Lines queued for takeLine. */
  linesEntered: u32 = 0;
  /** Lines refused whole: Enter with the queue full, or a line whose bytes were partly lost. */
  linesRefused: u32 = 0;
  /** After feedLoss: keys are dropped until the next Enter, which refuses the line. */
  discarding: bool = false;
  /** A program reads this console's lines, so input.ts holds input back while the queue is full. */
  hasReader: bool = false;
  /** Echo bytes dropped because the caller did not drain the echo buffer in time. */
  echoDropped: u32 = 0;
  /** Ctrl-C presses: the line was discarded; the console may also signal its program. */
  interrupts: u32 = 0;

  constructor(readonly lineMax: i32, readonly historyLines: i32, readonly queueLines: i32) {
    this.line = new StaticArray<u8>(lineMax);
    this.draft = new StaticArray<u8>(lineMax);
    this.history = new StaticArray<u8>(historyLines * lineMax);
    this.historyLengths = new StaticArray<i32>(historyLines);
    this.queue = new StaticArray<u8>(queueLines * lineMax);
    this.queueLengths = new StaticArray<i32>(queueLines);
    this.echo = new StaticArray<u8>(ECHO_LINES_PER_KEY * lineMax + ECHO_SPARE_BYTES);
  }

  /** A byte from a serial terminal (see terminal_bytes.ts for what each byte means). */
  feedByte(byte: u8): void {
    const key = this.terminal.decode(byte);
    if (key != NO_KEY) this.feedKey(key, 0);
  }

  /**
   * Input was lost before it reached the editor (a full ring, a UART overrun): the line being
   * edited cannot be whole, so it is discarded along with everything up to the next Enter.
   */
  feedLoss(): void {
    this.terminal.reset();
    this.startLine();
    this.discarding = true;
  }

  /** True when Enter would be refused now: `queueLines` lines wait for takeLine. */
  queueFull(): bool {
    return this.linesWaiting == this.queueLines;
  }

  /** A key press from the keyboard decoder. Alt combinations are not for the line editor. */
  feedKey(key: i32, modifiers: u8): void {
    if (modifiers & MODIFIER_ALT) return;
    if (this.discarding) return this.discard(key);
    if (key >= KEY_NAMED) this.namedKey(key);
    else if (key >= 0x20 && key < 0x7f) this.insert(<u8>key);
    else if (key == CONTROL_C) this.interrupt();
    else if (key == CONTROL_U) this.replace(this.line, 0, 0);
    else if (key == CONTROL_H) this.backspace();
  }

  /** Byte `index` of the pending echo. */
  echoByte(index: i32): u8 {
    return this.echo[index];
  }

  clearEcho(): void {
    this.echoLength = 0;
  }

  /** Byte `index` of the line being edited. */
  lineByte(index: i32): u8 {
    return this.line[index];
  }

  /**
   * Moves the oldest completed line (without its newline) into `into`. Returns its length;
   * -1 when no line is waiting; -2 when `into` is shorter than the line (it stays queued).
   */
  takeLine(into: StaticArray<u8>): i32 {
    if (this.linesWaiting == 0) return -1;
    const length = this.queueLengths[this.queueHead];
    if (length > into.length) return -2;
    const start = this.queueHead * this.lineMax;
    for (let i = 0; i < length; i++) into[i] = this.queue[start + i];
    this.queueHead = (this.queueHead + 1) % this.queueLines;
    this.linesWaiting--;
    return length;
  }

  private namedKey(key: i32): void {
    switch (key) {
      case KEY_ENTER: this.enter(); break;
      case KEY_BACKSPACE: this.backspace(); break;
      case KEY_DELETE: this.deleteAtCursor(); break;
      case KEY_LEFT: this.moveLeft(); break;
      case KEY_RIGHT: this.moveRight(); break;
      case KEY_HOME: this.moveBack(this.cursor); this.cursor = 0; break;
      case KEY_END: this.showFromCursor(); this.cursor = this.length; break;
      case KEY_UP: this.historyOlder(); break;
      case KEY_DOWN: this.historyNewer(); break;
      default: break; // Tab, Escape, Insert, Page Up/Down, function keys: not line editing
    }
  }

  private insert(character: u8): void {
    if (this.length == this.lineMax) return this.bell();
    for (let i = this.length; i > this.cursor; i--) this.line[i] = this.line[i - 1];
    this.line[this.cursor] = character;
    this.length++;
    this.showFromCursor();
    this.cursor++;
    this.moveBack(this.length - this.cursor);
  }

  private backspace(): void {
    if (this.cursor == 0) return this.bell();
    this.moveLeft();
    this.deleteAtCursor();
  }

  private deleteAtCursor(): void {
    if (this.cursor == this.length) return this.bell();
    for (let i = this.cursor; i < this.length - 1; i++) this.line[i] = this.line[i + 1];
    this.length--;
    this.showFromCursor();
    this.emit(SPACE);
    this.moveBack(this.length - this.cursor + 1);
  }

  private moveLeft(): void {
    if (this.cursor == 0) return this.bell();
    this.cursor--;
    this.emit(CURSOR_LEFT);
  }

  private moveRight(): void {
    if (this.cursor == this.length) return this.bell();
    this.emit(this.line[this.cursor]);
    this.cursor++;
  }

  /** While discarding after a loss: Enter refuses the line, Ctrl-C ends it as usual, the rest is dropped. */
  private discard(key: i32): void {
    if (key == KEY_ENTER) {
      this.discarding = false;
      this.refuse();
    } else if (key == CONTROL_C) {
      this.discarding = false;
      this.interrupt();
    }
  }

  /** The line is dropped whole and counted; the bell and a new line say so on the terminal. */
  private refuse(): void {
    this.linesRefused++;
    this.bell();
    this.emit(0x0d);
    this.emit(0x0a);
    this.startLine();
  }

  private enter(): void {
    if (this.queueFull()) return this.refuse();
    const slot = (this.queueHead + this.linesWaiting) % this.queueLines;
    copyBytes(this.line, 0, this.queue, slot * this.lineMax, this.length);
    this.queueLengths[slot] = this.length;
    this.linesWaiting++;
    this.linesEntered++;
    this.remember();
    this.emit(0x0d);
    this.emit(0x0a);
    this.startLine();
  }

  private interrupt(): void {
    this.interrupts++;
    this.emit(0x5e); // ^C
    this.emit(0x43);
    this.emit(0x0d);
    this.emit(0x0a);
    this.startLine();
  }

  private startLine(): void {
    this.length = 0;
    this.cursor = 0;
    this.browsing = BROWSING_DRAFT;
  }

  /** Records the current line as the newest history entry. */
  private remember(): void {
    if (this.historyLines == 0 || this.length == 0) return;
    if (this.historyCount > 0 && this.sameAsHistory(this.historyNewest)) return;
    this.historyNewest = (this.historyNewest + 1) % this.historyLines;
    copyBytes(this.line, 0, this.history, this.historyNewest * this.lineMax, this.length);
    this.historyLengths[this.historyNewest] = this.length;
    if (this.historyCount < this.historyLines) this.historyCount++;
  }

  private sameAsHistory(slot: i32): bool {
    if (this.historyLengths[slot] != this.length) return false;
    const start = slot * this.lineMax;
    for (let i = 0; i < this.length; i++) if (this.history[start + i] != this.line[i]) return false;
    return true;
  }

  private historyOlder(): void {
    if (this.browsing + 1 >= this.historyCount) return this.bell();
    if (this.browsing == BROWSING_DRAFT) {
      copyBytes(this.line, 0, this.draft, 0, this.length);
      this.draftLength = this.length;
    }
    this.browsing++;
    this.showHistory();
  }

  private historyNewer(): void {
    if (this.browsing == BROWSING_DRAFT) return this.bell();
    this.browsing--;
    if (this.browsing == BROWSING_DRAFT) this.replace(this.draft, 0, this.draftLength);
    else this.showHistory();
  }

  private showHistory(): void {
    const slot = (this.historyNewest - this.browsing + this.historyLines) % this.historyLines;
    this.replace(this.history, slot * this.lineMax, this.historyLengths[slot]);
  }

  /** Replaces the whole line on screen and in the editor with `length` bytes of `source` from `from`. */
  private replace(source: StaticArray<u8>, from: i32, length: i32): void {
    const previousLength = this.length;
    this.moveBack(this.cursor);
    copyBytes(source, from, this.line, 0, length);
    this.length = length;
    this.cursor = 0;
    this.showFromCursor();
    this.cursor = length;
    this.blankTail(previousLength);
  }

  /** With the cursor at the end, blanks what is left on screen of a longer previous line. */
  private blankTail(previousLength: i32): void {
    const extra = previousLength - this.length;
    for (let i = 0; i < extra; i++) this.emit(SPACE);
    this.moveBack(extra);
  }

  private showFromCursor(): void {
    for (let i = this.cursor; i < this.length; i++) this.emit(this.line[i]);
  }

  private moveBack(count: i32): void {
    for (let i = 0; i < count; i++) this.emit(CURSOR_LEFT);
  }

  private bell(): void {
    this.emit(BELL);
  }

  private emit(byte: u8): void {
    if (this.echoLength == this.echo.length) {
      this.echoDropped++;
      return;
    }
    this.echo[this.echoLength++] = byte;
  }
}

function copyBytes(source: StaticArray<u8>, from: i32, destination: StaticArray<u8>, to: i32, length: i32): void {
  for (let i = 0; i < length; i++) destination[to + i] = source[from + i];
}
