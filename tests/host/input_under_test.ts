// Host-test entry for input: scan codes, line discipline, UART and PS/2 input.
//
// Driven by tests/host/input.test.ts on fake_machine.ts. Text results land in `result`;
// bytes from JavaScript arrive in `input`.

import { keyboardByteWaiting, keyboardConfiguration, Ps2Keyboard } from "../../kernel/arch/x86_64/ps2_keyboard";
import { receivedByteWaiting, Uart16550 } from "../../kernel/arch/x86_64/uart16550";
import { Text } from "../../kernel/console/text";
import { KeyEvent, keyName } from "../../kernel/input/keys";
import { LineDiscipline } from "../../kernel/input/line_discipline";
import { ScanCodeDecoder } from "../../kernel/input/scan_codes";
import { INPUT_HISTORY_LINES, INPUT_LINE_MAX_BYTES, INPUT_QUEUE_LINES } from "../../kernel/params";
import { inputBytesDropped, inputKeyboardInterrupt, inputKeysEchoed, inputPending, inputReport, inputSerialInterrupt, inputService }
  from "../../kernel/input/input";
import { activeConsole, virtualConsole, virtualConsolesCreate } from "../../kernel/console/virtual_consoles";
import { consoleAddOutput } from "../../kernel/console/console";

const result = new Text();
const input = new StaticArray<u8>(4096);

export function resultPointer(): usize { return result.pointer; }
export function resultLength(): i32 { return result.length; }
export function inputPointer(): usize { return changetype<usize>(input); }

// ---- Scan codes ----
let decoder = new ScanCodeDecoder();
const event = new KeyEvent();
export function decoderReset(): void { decoder = new ScanCodeDecoder(); }
/** Feeds one byte; true when it completed a key press (then see eventKey/eventModifiers). */
export function decoderFeed(code: u8): bool { return decoder.decode(code, event); }
export function eventKey(): i32 { return event.key; }
export function eventModifiers(): u8 { return event.modifiers; }
export function decoderCapsLock(): bool { return decoder.capsLock; }
export function decoderModifiers(): u8 { return decoder.modifiers(); }
export function nameOfKey(key: i32): void { result.clear().string(keyName(key)); }

// ---- Line discipline ----
let discipline = new LineDiscipline(INPUT_LINE_MAX_BYTES, INPUT_HISTORY_LINES, INPUT_QUEUE_LINES);
const taken = new StaticArray<u8>(1024);
export function lineCreate(lineMax: i32, historyLines: i32, queueLines: i32): void {
  discipline = new LineDiscipline(lineMax, historyLines, queueLines);
}
export function lineDefaults(): void { discipline = new LineDiscipline(INPUT_LINE_MAX_BYTES, INPUT_HISTORY_LINES, INPUT_QUEUE_LINES); }
/** Feeds `length` bytes of `input` as serial bytes, one call each. */
export function lineFeedBytes(length: i32): void {
  for (let i = 0; i < length; i++) discipline.feedByte(input[i]);
}
export function lineFeedKey(key: i32, modifiers: u8): void { discipline.feedKey(key, modifiers); }
/** Feeds `length` bytes of `input` as scan codes through the decoder into the discipline. */
export function lineFeedScanCodes(length: i32): void {
  for (let i = 0; i < length; i++) {
    if (decoder.decode(input[i], event)) discipline.feedKey(event.key, event.modifiers);
  }
}
/** The pending echo into `result` (raw bytes), then clears it. */
export function lineTakeEcho(): void {
  result.clear();
  for (let i = 0; i < discipline.echoLength; i++) result.char(discipline.echoByte(i));
  discipline.clearEcho();
}
/** The line being edited into `result`; returns the cursor. */
export function lineEditing(): i32 {
  result.clear();
  for (let i = 0; i < discipline.length; i++) result.char(discipline.lineByte(i));
  return discipline.cursor;
}
/** The oldest completed line into `result`; returns takeLine's answer. */
export function lineTake(): i32 {
  const length = discipline.takeLine(taken);
  result.clear();
  for (let i = 0; i < length; i++) result.char(taken[i]);
  return length;
}
export function lineTakeInto(capacity: i32): i32 { return discipline.takeLine(new StaticArray<u8>(capacity)); }
export function lineWaiting(): i32 { return discipline.linesWaiting; }
export function lineRefused(): u32 { return discipline.linesRefused; }
export function lineEntered(): u32 { return discipline.linesEntered; }
export function lineFeedLoss(): void { discipline.feedLoss(); }
export function lineInterrupts(): u32 { return discipline.interrupts; }
export function lineEchoDropped(): u32 { return discipline.echoDropped; }

// ---- UART input ----
const serial = new Uart16550();
export function uartReceivedByteWaiting(status: u8): bool { return receivedByteWaiting(status); }
export function uartReadByte(): i32 { return serial.readByte(); }
export function uartEnableReceiveInterrupt(): void { serial.enableReceiveInterrupt(); }
export function uartInitialize(): void { serial.initialize(); }
export function uartWriteInput(length: i32): void {
  const line = new Text();
  for (let i = 0; i < length; i++) line.char(input[i]);
  serial.writeLine(line);
}

// ---- PS/2 controller ----
const keyboard = new Ps2Keyboard();
export function ps2ByteWaiting(status: u8): bool { return keyboardByteWaiting(status); }
export function ps2Configuration(configuration: u8): u8 { return keyboardConfiguration(configuration); }
export function ps2Initialize(): void { result.clear().string(keyboard.initialize()); }
export function ps2ReadScanCode(): i32 { return keyboard.readScanCode(); }

// ---- Routing: interrupts → rings → the active virtual console (kernel/input/input.ts) ----
export function routingCreateConsoles(count: i32): void {
  consoleAddOutput(serial); // echo and redraws go to the fake COM1
  virtualConsolesCreate(count);
}
export function routingSerialInterrupt(): void { inputSerialInterrupt(); }
export function routingKeyboardInterrupt(): void { inputKeyboardInterrupt(); }
export function routingService(): i32 { return inputService(); }
export function routingPending(): bool { return inputPending(); }
export function routingActive(): i32 { return activeConsole(); }
/** Takes console `index`'s next line into `result`; its length, or -1 when none waits. */
export function routingTakeLine(index: i32): i32 {
  const line = new StaticArray<u8>(INPUT_LINE_MAX_BYTES);
  const length = virtualConsole(index).discipline.takeLine(line);
  result.clear();
  for (let i = 0; i < length; i++) result.char(line[i]);
  return length;
}
export function routingLatencyCount(): u64 { return inputKeysEchoed; }
export function routingDropped(): u32 { return inputBytesDropped(); }
/** Marks console `index` as read by a program (programs.ts does so on its first read). */
export function routingSetReader(index: i32, reads: bool): void { virtualConsole(index).discipline.hasReader = reads; }
export function routingEntered(index: i32): u32 { return virtualConsole(index).discipline.linesEntered; }
export function routingRefused(index: i32): u32 { return virtualConsole(index).discipline.linesRefused; }
/** The `log` report's input lines into `result`, one per line. */
export function routingReport(): void {
  report.clear();
  inputReport(new Text(), appendReportLine);
}
const report = new Text(1024);
function appendReportLine(text: Text): void {
  report.text(text).char(0x0a);
  result.clear().text(report);
}
