// PS/2 keyboard behind the 8042 controller: IRQ 1, scan code set 1 bytes.
//
// Firmware (BIOS, or UEFI's legacy emulation, or QEMU's i8042) leaves the keyboard scanning
// and the controller translating its scan code set 2 into set 1; we keep both as found and
// only turn the first port's interrupt on. The keyboard itself is not reset: a reset takes
// hundreds of milliseconds on real keyboards and gains nothing over what firmware did.
// Decoding the bytes is kernel/input/scan_codes.ts's job; wiring IRQ 1 is the caller's.

import { portRead8, portWrite8 } from "./machine";

// Ports.
const DATA: u16 = 0x60; //    read: output buffer (from keyboard or controller); write: input buffer
const STATUS: u16 = 0x64; //  read
const COMMAND: u16 = 0x64; // write

// Status register bits.
const STATUS_OUTPUT_FULL: u8 = 0x01; //       a byte waits at DATA for us
const STATUS_INPUT_FULL: u8 = 0x02; //        the controller has not taken our last byte yet
const STATUS_SECOND_PORT_DATA: u8 = 0x20; //  the waiting byte came from the mouse port
const STATUS_ABSENT: u8 = 0xff; //            what an empty port reads: no controller

// Controller commands.
const READ_CONFIGURATION: u8 = 0x20;
const WRITE_CONFIGURATION: u8 = 0x60;
const DISABLE_SECOND_PORT: u8 = 0xa7;
const DISABLE_FIRST_PORT: u8 = 0xad;
const ENABLE_FIRST_PORT: u8 = 0xae;

// Configuration byte bits.
const CONFIGURATION_FIRST_PORT_INTERRUPT: u8 = 0x01; //  IRQ 1
const CONFIGURATION_SECOND_PORT_INTERRUPT: u8 = 0x02; // IRQ 12
const CONFIGURATION_FIRST_PORT_CLOCK_OFF: u8 = 0x10;
const CONFIGURATION_TRANSLATION: u8 = 0x40; //           set 2 → set 1 translation

/** Polls of the status register before a controller that does not answer is given up on. */
const CONTROLLER_WAIT_POLLS: i32 = 100_000;
/** Bytes read and dropped when flushing: more than any controller buffers. */
const FLUSH_MAX_BYTES: i32 = 32;

/** True when `status` says a keyboard byte is waiting (not a mouse byte, not an absent controller). */
export function keyboardByteWaiting(status: u8): bool {
  return status != STATUS_ABSENT && (status & (STATUS_OUTPUT_FULL | STATUS_SECOND_PORT_DATA)) == STATUS_OUTPUT_FULL;
}

/**
 * The configuration byte we write, from the one firmware left: the keyboard's interrupt and
 * clock on, the mouse port's interrupt off; translation and the system flag untouched.
 */
export function keyboardConfiguration(configuration: u8): u8 {
  return (configuration | CONFIGURATION_FIRST_PORT_INTERRUPT)
    & ~(CONFIGURATION_SECOND_PORT_INTERRUPT | CONFIGURATION_FIRST_PORT_CLOCK_OFF);
}

export class Ps2Keyboard {
  /** Whether the controller translates to scan code set 1 (what the decoder expects). */
  translated: bool = false;
  /** Bytes dropped by readScanCode because they came from the mouse port. */
  droppedMouseBytes: u32 = 0;

  /**
   * Sets the controller up for keyboard interrupts. Returns "" on success, or what went wrong
   * (no controller, or one that stops answering); the keyboard is then left unused.
   */
  initialize(): string {
    if (portRead8(STATUS) == STATUS_ABSENT) return "no PS/2 controller (its status port reads 0xff)";
    if (!this.command(DISABLE_FIRST_PORT) || !this.command(DISABLE_SECOND_PORT)) return "PS/2 controller does not take commands";
    this.flush();
    if (!this.command(READ_CONFIGURATION)) return "PS/2 controller does not take commands";
    const configuration = this.readControllerByte();
    if (configuration < 0) return "PS/2 controller did not answer the configuration read";
    this.translated = (configuration & CONFIGURATION_TRANSLATION) != 0;
    if (!this.command(WRITE_CONFIGURATION) || !this.write(DATA, keyboardConfiguration(<u8>configuration))) {
      return "PS/2 controller refused the configuration byte";
    }
    this.flush();
    if (!this.command(ENABLE_FIRST_PORT)) return "PS/2 controller does not take commands";
    return "";
  }

  /**
   * For the IRQ 1 handler: the next scan code byte (0-255), or -1 when none is waiting.
   * Call until -1; a stray mouse byte is read (so the controller can go on) and dropped.
   */
  readScanCode(): i32 {
    const status = portRead8(STATUS);
    if (keyboardByteWaiting(status)) return <i32>portRead8(DATA);
    if (status != STATUS_ABSENT && (status & STATUS_OUTPUT_FULL) != 0) {
      portRead8(DATA);
      this.droppedMouseBytes++;
    }
    return -1;
  }

  private command(value: u8): bool {
    return this.write(COMMAND, value);
  }

  /** Writes once the controller's input buffer is empty; false if it never empties. */
  private write(port: u16, value: u8): bool {
    for (let i = 0; i < CONTROLLER_WAIT_POLLS; i++) {
      if ((portRead8(STATUS) & STATUS_INPUT_FULL) == 0) {
        portWrite8(port, value);
        return true;
      }
    }
    return false;
  }

  /** The controller's answer to a command, or -1 if none arrives. */
  private readControllerByte(): i32 {
    for (let i = 0; i < CONTROLLER_WAIT_POLLS; i++) {
      if (portRead8(STATUS) & STATUS_OUTPUT_FULL) return <i32>portRead8(DATA);
    }
    return -1;
  }

  /** Drops whatever keystrokes or answers are waiting, so the next byte read is fresh. */
  private flush(): void {
    for (let i = 0; i < FLUSH_MAX_BYTES && (portRead8(STATUS) & STATUS_OUTPUT_FULL) != 0; i++) portRead8(DATA);
  }
}
