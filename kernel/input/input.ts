// Input: keyboard (IRQ 1) and serial (IRQ 4) bytes → the active virtual console's line editor.
//
//   interrupt:   inputKeyboardInterrupt / inputSerialInterrupt read every waiting byte into
//                a ring (nothing else happens with interrupts held up);
//   kernel loop: inputService decodes the rings — scan codes to keys, terminal bytes to keys
//                — and feeds the active console's LineDiscipline, whose echo goes back to
//                that console. Console switching is taken out first: Alt+F1…F4 on the
//                keyboard, ESC 1…4 on serial (what most terminals send for Alt+1…4).
//
// Whole lines or none (docs/input.md, "Input under load"):
//   - a console whose program reads lines (discipline.hasReader) is fed only while its queue
//     has room; otherwise input waits in the rings;
//   - the serial interrupt stops reading the UART when its ring is full and turns the
//     receive interrupt off (the bytes wait in the UART: QEMU stops reading its input, a
//     real UART overruns); inputService turns it back on once the ring is half empty;
//   - where bytes are lost (the keyboard ring full, a UART overrun), the ring hands the
//     editor a loss marker (INPUT_LOST) at that place, and the editor refuses the line
//     they belonged to whole (LineDiscipline.feedLoss);
//   - refused lines are counted per console, logged (1st, 2nd, 4th…) and shown by the
//     `log` report (inputReport).
//
// Keystroke → echo latency is measured from the interrupt that brought a byte to the echo
// written for it, in TSC cycles, and logged at debug level for `make bench` (input_bench.ts).

import { picEndOfInterrupt } from "../arch/x86_64/pic8259";
import { Ps2Keyboard } from "../arch/x86_64/ps2_keyboard";
import { readTsc } from "../arch/x86_64/machine";
import { Uart16550 } from "../arch/x86_64/uart16550";
import { Text } from "../console/text";
import { activeConsole, virtualConsole, virtualConsoleActivate, virtualConsoleCount, virtualConsoleWrite }
  from "../console/virtual_consoles";
import { LEVEL_DEBUG, LEVEL_WARNING, line, log } from "../log/log";
import { INPUT_RING_BYTES } from "../params";
import { KEY_F1, KeyEvent, MODIFIER_ALT } from "./keys";
import { LineDiscipline } from "./line_discipline";
import { ScanCodeDecoder } from "./scan_codes";

const ESCAPE: u8 = 0x1b;
const DIGIT_ONE: u8 = 0x31;
/** Bytes a 16550's receive FIFO holds: after an overrun, the loss sits behind this many. */
const UART_FIFO_BYTES: i32 = 16;

/** What ByteRing.take returns where bytes were dropped: the input around it is not whole. */
export const INPUT_LOST: i32 = 0x100;

/**
 * A ring filled by an interrupt and drained by the kernel loop. A byte that does not fit is
 * dropped and counted, and the place is kept: take() returns INPUT_LOST there, after the
 * bytes that came before the loss and before those that came after.
 */
export class ByteRing {
  private readonly values: StaticArray<u16>;
  private head: i32 = 0;
  length: i32 = 0;
  dropped: u32 = 0;
  /** Bytes were lost after the newest value: the next value stored is INPUT_LOST. */
  private lossPending: bool = false;
  /** TSC when the oldest waiting byte arrived. */
  firstArrival: u64 = 0;

  constructor(readonly capacity: i32) {
    this.values = new StaticArray<u16>(capacity);
  }

  get full(): bool {
    return this.length == this.capacity;
  }

  /** Whether take() has something: a byte or a loss marker. */
  get waiting(): bool {
    return this.length > 0 || this.lossPending;
  }

  /** Stores `byte`; false when the ring is full: the byte is dropped, counted and marked as a loss. */
  push(byte: u8, now: u64): bool {
    if (this.lossPending && !this.full) {
      this.lossPending = false;
      this.store(<u16>INPUT_LOST, now);
    }
    if (this.full) {
      this.dropped++;
      this.lossPending = true;
      return false;
    }
    this.store(<u16>byte, now);
    return true;
  }

  /** Bytes were lost outside the ring (a UART overrun) after the newest one stored. */
  markLoss(): void {
    this.lossPending = true;
  }

  /** The oldest byte (0-255) or INPUT_LOST, removed; -1 when empty. */
  take(): i32 {
    if (this.length == 0) {
      if (!this.lossPending) return -1;
      this.lossPending = false;
      return INPUT_LOST;
    }
    const value = this.values[this.head];
    this.head = (this.head + 1) % this.capacity;
    this.length--;
    return <i32>value;
  }

  private store(value: u16, now: u64): void {
    if (this.length == 0) this.firstArrival = now;
    this.values[(this.head + this.length) % this.capacity] = value;
    this.length++;
  }
}

/**
 * A UART's received bytes, moved by its interrupt into a ring the kernel loop drains. A full
 * ring turns the receive interrupt off, so under QEMU the backend stops reading (flow control,
 * nothing lost) and a real UART overruns, which is counted and marked as a loss in the ring;
 * resume() turns it back on once the ring is half empty. COM1 (the console) and COM2 (the
 * deploy port, handlers/deploy.ts) each have one.
 */
export class SerialReceiver {
  readonly ring: ByteRing;
  private throttled: bool = false;

  constructor(readonly uart: Uart16550, capacity: i32) {
    this.ring = new ByteRing(capacity);
  }

  /** Asks for receive interrupts when a UART answers; false when none does. */
  start(): bool {
    if (!this.uart.present()) return false;
    this.uart.enableReceiveInterrupt();
    return true;
  }

  /** The interrupt: moves what waits in the UART into the ring, until the UART is empty or the ring full. */
  receive(): void {
    const now = readTsc();
    let untilLoss = -1; // after an overrun: bytes still to store before the place of the loss
    while (!this.ring.full) {
      const overruns = this.uart.overruns;
      const byte = this.uart.readByte();
      if (this.uart.overruns != overruns) untilLoss = UART_FIFO_BYTES;
      if (byte < 0) break;
      this.ring.push(<u8>byte, now);
      if (untilLoss > 0 && --untilLoss == 0) this.ring.markLoss();
    }
    if (untilLoss > 0) this.ring.markLoss();
    if (this.ring.full && !this.throttled) {
      this.throttled = true;
      this.uart.disableReceiveInterrupt();
    }
  }

  /** After the loop took bytes: the receive interrupt back on once the ring is half empty. */
  resume(): void {
    if (!this.throttled || this.ring.length > this.ring.capacity / 2) return;
    this.throttled = false;
    this.uart.enableReceiveInterrupt();
    this.receive(); // what waited in the UART: its interrupt may not come again for it
  }
}

const keyboardRing = new ByteRing(INPUT_RING_BYTES);
const keyboard = new Ps2Keyboard();
const serial = new Uart16550();
const serialInput = new SerialReceiver(serial, INPUT_RING_BYTES);
const serialRing = serialInput.ring;
const decoder = new ScanCodeDecoder();
const key = new KeyEvent();
let keyboardReady = false;
let serialAfterEscape = false;
/** Keys whose echo was written (each also logs its latency at debug level). */
export let inputKeysEchoed: u64 = 0;

/** Sets the keyboard controller and COM1 up to interrupt on input; logs what is missing. */
export function inputInitialize(): void {
  const problem = keyboard.initialize();
  keyboardReady = problem.length == 0;
  if (!keyboardReady) log(LEVEL_WARNING, line.clear().string("input: keyboard off: ").string(problem));
  serialInput.start();
}

export function inputKeyboardInterrupt(): void {
  const now = readTsc();
  for (let code = keyboard.readScanCode(); code >= 0; code = keyboard.readScanCode()) keyboardRing.push(<u8>code, now);
  picEndOfInterrupt();
}

export function inputSerialInterrupt(): void {
  serialInput.receive();
  picEndOfInterrupt();
}

/** Input bytes dropped so far because the keyboard's ring was full, plus serial overruns seen. */
export function inputBytesDropped(): u32 {
  return keyboardRing.dropped + serialRing.dropped + serial.overruns;
}

/** Whether the console's editor must not be fed now: its program reads lines and its queue is full. */
function holding(discipline: LineDiscipline): bool {
  return discipline.hasReader && discipline.queueFull();
}

/** Whether inputService has work it can do now (input waiting that is not held back). */
export function inputPending(): bool {
  if (!keyboardRing.waiting && !serialRing.waiting) return false;
  return virtualConsoleCount() == 0 || !holding(virtualConsole(activeConsole()).discipline);
}

/** Decodes what the interrupts collected into the consoles; returns how many bytes it took. */
export function inputService(): i32 {
  let taken = 0;
  if (virtualConsoleCount() == 0) { // no console to type into: drop the bytes, or the loop would spin on them
    while (keyboardRing.take() >= 0 || serialRing.take() >= 0) taken++;
    serialInput.resume();
    return taken;
  }
  const keyboardArrival = keyboardRing.firstArrival;
  while (keyboardRing.waiting && !holding(activeDiscipline())) {
    const code = keyboardRing.take();
    const refused = activeDiscipline().linesRefused;
    taken++;
    if (code == INPUT_LOST) feedLoss();
    else if (decoder.decode(<u8>code, key)) feedKeyboardKey();
    drainEcho(keyboardArrival);
    noteRefusal(refused);
  }
  const serialArrival = serialRing.firstArrival;
  while (serialRing.waiting && !holding(activeDiscipline())) {
    const byte = serialRing.take();
    const refused = activeDiscipline().linesRefused;
    taken++;
    if (byte == INPUT_LOST) feedLoss();
    else feedSerialByte(<u8>byte);
    drainEcho(serialArrival);
    noteRefusal(refused);
  }
  serialInput.resume();
  return taken;
}

/** Once the serial ring is at most half full again, the receive interrupt goes back on (and the UART is read now). */
function activeDiscipline(): LineDiscipline {
  return virtualConsole(activeConsole()).discipline;
}

function feedKeyboardKey(): void {
  if ((key.modifiers & MODIFIER_ALT) != 0 && key.key >= KEY_F1 && key.key < KEY_F1 + 4) {
    virtualConsoleActivate(key.key - KEY_F1);
    return;
  }
  activeDiscipline().feedKey(key.key, key.modifiers);
}

/** Logs a refused line on the active console at its 1st, 2nd, 4th, 8th… (the count is in `log`'s report). */
function noteRefusal(before: u32): void {
  const count = activeDiscipline().linesRefused;
  if (count == before || (count & (count - 1)) != 0) return;
  log(LEVEL_WARNING, line.clear().string("input: console ").decimal(activeConsole() + 1)
    .string(" refused a line whole (its queue was full or bytes of it were lost); ").decimal(count).string(" so far"));
}

/**
 * The input counters for the `log` report: one line per console (lines entered, lines
 * refused whole), then the bytes lost before reaching an editor.
 */
export function inputReport(out: Text, emit: (text: Text) => void): void {
  for (let console = 0; console < virtualConsoleCount(); console++) {
    const discipline = virtualConsole(console).discipline;
    emit(out.clear().string("input: console ").decimal(console + 1).string(": ").decimal(discipline.linesEntered)
      .string(" lines entered, ").decimal(discipline.linesRefused).string(" refused"));
  }
  emit(out.clear().string("input: bytes lost: ").decimal(keyboardRing.dropped).string(" keyboard (ring full), ")
    .decimal(serial.overruns).string(" serial overruns"));
}

function feedLoss(): void {
  serialAfterEscape = false;
  activeDiscipline().feedLoss();
}

function feedSerialByte(byte: u8): void {
  const discipline = virtualConsole(activeConsole()).discipline;
  if (serialAfterEscape) {
    serialAfterEscape = false;
    if (byte >= DIGIT_ONE && byte < DIGIT_ONE + <u8>virtualConsoleCount()) {
      virtualConsoleActivate(<i32>(byte - DIGIT_ONE));
      return;
    }
    discipline.feedByte(ESCAPE); // not a switch: the escape belongs to whatever follows
  } else if (byte == ESCAPE) {
    serialAfterEscape = true;
    return;
  }
  discipline.feedByte(byte);
}

function drainEcho(arrival: u64): void {
  const console = activeConsole();
  const discipline = virtualConsole(console).discipline;
  if (discipline.echoLength == 0) return;
  for (let i = 0; i < discipline.echoLength; i++) virtualConsoleWrite(console, discipline.echoByte(i));
  discipline.clearEcho();
  const cycles = readTsc() - arrival;
  inputKeysEchoed++;
  // `make bench` boots with loglevel=7 and reads these (toolchain/src/bench/input_bench.ts).
  log(LEVEL_DEBUG, line.clear().string("input: echoed ").decimal(cycles).string(" cycles after the interrupt"));
}
