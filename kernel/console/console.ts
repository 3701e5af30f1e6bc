// Console: hands each finished line to every enabled output (serial, VGA text, framebuffer).
//
// Outputs receive whole lines without the newline and add their own line ending (the UART
// sends \r\n, screens move to the next row). Which outputs exist is decided once at boot
// from the hardware found and the `console=` option.

import { Text } from "./text";

export abstract class ConsoleOutput {
  abstract get name(): string;
  /** Writes one line (no newline in `line`) and ends it. */
  abstract writeLine(line: Text): void;
}

const outputs = new Array<ConsoleOutput>();

export function consoleAddOutput(output: ConsoleOutput): void {
  outputs.push(output);
}

export function consoleOutputCount(): i32 {
  return outputs.length;
}

export function consoleOutputName(index: i32): string {
  return outputs[index].name;
}

export function consoleWriteLine(line: Text): void {
  for (let i = 0; i < outputs.length; i++) outputs[i].writeLine(line);
}

export function consoleRemoveAllOutputs(): void {
  outputs.length = 0;
}
