// Input: keyboard (IRQ 1) and serial (IRQ 4) bytes → the active virtual console's line editor.
//
//   interrupt:   inputKeyboardInterrupt / inputSerialInterrupt read every waiting byte into
//                a small ring (nothing else happens with interrupts held up);
//   kernel loop: inputService decodes the rings — scan codes to keys, terminal bytes to keys
//                — and feeds the active console's LineDiscipline, whose echo goes back to
//                that console. Console switching is taken out first: Alt+F1…F4 on the
//                keyboard, ESC 1…4 on serial (what most terminals send for Alt+1…4).
//
// Keystroke → echo latency is measured from the interrupt that brought a byte to the echo
// written for it, in TSC cycles, and logged at debug level for `make bench` (input_bench.ts).

import { picEndOfInterrupt } from "../arch/x86_64/pic8259";
import { Ps2Keyboard } from "../arch/x86_64/ps2_keyboard";
import { readTsc } from "../arch/x86_64/machine";
import { Uart16550 } from "../arch/x86_64/uart16550";
import { activeConsole, virtualConsole, virtualConsoleActivate, virtualConsoleCount, virtualConsoleWrite }
  from "../console/virtual_consoles";
import { LEVEL_DEBUG, LEVEL_WARNING, line, log } from "../log/log";
import { INPUT_RING_BYTES } from "../params";
import { KEY_F1, KeyEvent, MODIFIER_ALT } from "./keys";
import { ScanCodeDecoder } from "./scan_codes";

const ESCAPE: u8 = 0x1b;
const DIGIT_ONE: u8 = 0x31;

/** A byte ring filled by an interrupt and drained by the kernel loop; full means the byte is dropped and counted. */
export class ByteRing {
  private readonly bytes: StaticArray<u8>;
  private head: i32 = 0;
  length: i32 = 0;
  dropped: u32 = 0;
  /** TSC when the oldest waiting byte arrived. */
  firstArrival: u64 = 0;

  constructor(readonly capacity: i32) {
    this.bytes = new StaticArray<u8>(capacity);
  }

  push(byte: u8, now: u64): void {
    if (this.length == this.capacity) {
      this.dropped++;
      return;
    }
    if (this.length == 0) this.firstArrival = now;
    this.bytes[(this.head + this.length) % this.capacity] = byte;
    this.length++;
  }

  /** The oldest byte, removed; -1 when empty. */
  take(): i32 {
    if (this.length == 0) return -1;
    const byte = this.bytes[this.head];
    this.head = (this.head + 1) % this.capacity;
    this.length--;
    return <i32>byte;
  }
}

const keyboardRing = new ByteRing(INPUT_RING_BYTES);
const serialRing = new ByteRing(INPUT_RING_BYTES);
const keyboard = new Ps2Keyboard();
const serial = new Uart16550();
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
  if (serial.present()) serial.enableReceiveInterrupt();
}

export function inputKeyboardInterrupt(): void {
  const now = readTsc();
  for (let code = keyboard.readScanCode(); code >= 0; code = keyboard.readScanCode()) keyboardRing.push(<u8>code, now);
  picEndOfInterrupt();
}

export function inputSerialInterrupt(): void {
  const now = readTsc();
  for (let byte = serial.readByte(); byte >= 0; byte = serial.readByte()) serialRing.push(<u8>byte, now);
  picEndOfInterrupt();
}

/** Input bytes dropped so far because a ring was full (keyboard and serial). */
export function inputBytesDropped(): u32 {
  return keyboardRing.dropped + serialRing.dropped;
}

/** Whether bytes wait for inputService. */
export function inputPending(): bool {
  return keyboardRing.length > 0 || serialRing.length > 0;
}

/** Decodes what the interrupts collected into the consoles; returns how many bytes it took. */
export function inputService(): i32 {
  let taken = 0;
  if (virtualConsoleCount() == 0) { // no console to type into: drop the bytes, or the loop would spin on them
    while (keyboardRing.take() >= 0 || serialRing.take() >= 0) taken++;
    return taken;
  }
  const keyboardArrival = keyboardRing.firstArrival;
  for (let code = keyboardRing.take(); code >= 0; code = keyboardRing.take()) {
    taken++;
    if (!decoder.decode(<u8>code, key)) continue;
    if ((key.modifiers & MODIFIER_ALT) != 0 && key.key >= KEY_F1 && key.key < KEY_F1 + 4) {
      virtualConsoleActivate(key.key - KEY_F1);
      continue;
    }
    virtualConsole(activeConsole()).discipline.feedKey(key.key, key.modifiers);
    drainEcho(keyboardArrival);
  }
  const serialArrival = serialRing.firstArrival;
  for (let byte = serialRing.take(); byte >= 0; byte = serialRing.take()) {
    taken++;
    feedSerialByte(<u8>byte);
    drainEcho(serialArrival);
  }
  return taken;
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
