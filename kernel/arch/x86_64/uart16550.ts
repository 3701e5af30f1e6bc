// 16550 UART: COM1 is the serial console, COM2 the deploy port (115200 8N1), polled output, bytes in.

import { ConsoleOutput } from "../../console/console";
import { Text } from "../../console/text";
import { portRead8, portWrite8 } from "./machine";

// Registers, as offsets from the port base (DLAB = divisor latch access bit in LINE_CONTROL).
const COM1: u16 = 0x3f8;
/** The second serial port: the deploy port (handlers/deploy.ts), IRQ 3. */
export const COM2: u16 = 0x2f8;
const DATA: u16 = 0; //               read: receive buffer; write: transmit holding (DLAB=0)
const INTERRUPT_ENABLE: u16 = 1; //   DLAB=0
const DIVISOR_LOW: u16 = 0; //        DLAB=1
const DIVISOR_HIGH: u16 = 1; //       DLAB=1
const FIFO_CONTROL: u16 = 2;
const LINE_CONTROL: u16 = 3;
const MODEM_CONTROL: u16 = 4;
const LINE_STATUS: u16 = 5;
const SCRATCH: u16 = 7;

const LINE_CONTROL_8N1: u8 = 0x03;
const LINE_CONTROL_DLAB: u8 = 0x80;
const FIFO_ENABLE_CLEAR_14: u8 = 0xc7; // enable, clear both FIFOs, 14-byte threshold
const MODEM_DTR_RTS_OUT2: u8 = 0x0b;
const LINE_STATUS_DATA_READY: u8 = 0x01;
const LINE_STATUS_OVERRUN: u8 = 0x02; //    a byte arrived with the receive FIFO full and was lost
const LINE_STATUS_TRANSMIT_EMPTY: u8 = 0x20;
const LINE_STATUS_ABSENT: u8 = 0xff; //     what an empty port reads: no UART answers
const INTERRUPT_ON_RECEIVE: u8 = 0x01; //   IRQ 4 for COM1, reaches the interrupt controller through OUT2
const BASE_CLOCK_HZ: u32 = 115200;
const BAUD: u32 = 115200;
const TRANSMIT_WAIT_POLLS: i32 = 100_000;

/**
 * True when the line status `status` says a received byte is waiting. An absent UART reads
 * 0xff, which would claim a byte forever, so it never counts.
 */
export function receivedByteWaiting(status: u8): bool {
  return status != LINE_STATUS_ABSENT && (status & LINE_STATUS_DATA_READY) != 0;
}

export class Uart16550 extends ConsoleOutput {
  private lastByte: u8 = 0;
  /** Overrun errors seen by readByte: received bytes the UART itself lost (its FIFO was full). */
  overruns: u32 = 0;

  constructor(readonly base: u16 = COM1) {
    super();
  }

  get name(): string {
    return "serial";
  }

  /** True when a UART answers at `base` (its scratch register keeps what is written). */
  present(): bool {
    portWrite8(this.base + SCRATCH, 0x5a);
    return portRead8(this.base + SCRATCH) == 0x5a;
  }

  initialize(): void {
    const divisor = BASE_CLOCK_HZ / BAUD;
    portWrite8(this.base + INTERRUPT_ENABLE, 0);
    portWrite8(this.base + LINE_CONTROL, LINE_CONTROL_DLAB);
    portWrite8(this.base + DIVISOR_LOW, <u8>(divisor & 0xff));
    portWrite8(this.base + DIVISOR_HIGH, <u8>(divisor >> 8));
    portWrite8(this.base + LINE_CONTROL, LINE_CONTROL_8N1);
    portWrite8(this.base + FIFO_CONTROL, FIFO_ENABLE_CLEAR_14);
    portWrite8(this.base + MODEM_CONTROL, MODEM_DTR_RTS_OUT2);
  }

  transmit(value: u8): void {
    for (let i = 0; i < TRANSMIT_WAIT_POLLS; i++) {
      if (portRead8(this.base + LINE_STATUS) & LINE_STATUS_TRANSMIT_EMPTY) break;
    }
    portWrite8(this.base + DATA, value);
  }

  /**
   * The next received byte (0-255), or -1 when none is waiting. The interrupt path calls it
   * until -1: with the 14-byte FIFO threshold the UART interrupts when 14 bytes arrived or
   * when the line has been quiet for four character times, whichever comes first.
   * Reading the line status clears its overrun bit, so an overrun it shows is counted here
   * (`overruns`): the caller compares the count to know that bytes were lost before this one.
   */
  readByte(): i32 {
    const status = portRead8(this.base + LINE_STATUS);
    if (status != LINE_STATUS_ABSENT && (status & LINE_STATUS_OVERRUN) != 0) this.overruns++;
    if (!receivedByteWaiting(status)) return -1;
    return <i32>portRead8(this.base + DATA);
  }

  /** Asks for an interrupt (IRQ 4 on COM1) when received data is waiting; call after initialize(). */
  enableReceiveInterrupt(): void {
    portWrite8(this.base + INTERRUPT_ENABLE, INTERRUPT_ON_RECEIVE);
  }

  /**
   * Stops the receive interrupt: what arrives waits in the UART's FIFO. Under QEMU the
   * serial backend then stops reading its input (flow control, nothing is lost); a real
   * UART overruns once its 16-byte FIFO is full, which readByte counts.
   */
  disableReceiveInterrupt(): void {
    portWrite8(this.base + INTERRUPT_ENABLE, 0);
  }

  writeLine(line: Text): void {
    for (let i = 0; i < line.length; i++) this.transmit(line.byteAt(i));
    this.transmit(0x0d);
    this.transmit(0x0a);
  }

  /** A terminal byte: a "\n" not already after "\r" becomes \r\n, as terminals expect; the rest go as they are. */
  writeByte(value: u8): void {
    if (value == 0x0a && this.lastByte != 0x0d) this.transmit(0x0d);
    this.transmit(value);
    this.lastByte = value;
  }

  /** A serial terminal keeps its scrollback: clearing just starts a fresh line. */
  clear(): void {
    this.transmit(0x0d);
    this.transmit(0x0a);
  }
}
