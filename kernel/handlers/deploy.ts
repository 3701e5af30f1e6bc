// The deploy port: new versions of running handlers, sent by `optios deploy` (docs/upgrade.md).
//
//   optios deploy ─► QEMU's COM2 (a unix socket) ─IRQ 3─► SerialReceiver's ring (input.ts)
//   kernel loop: deployService() feeds the bytes to DeployTransfer:
//     seek DEPLOY_MAGIC ─► DeployHeader ─► name ─► descriptor (kernel memory) ─► module (physical pages)
//   a whole transfer ─► upgrade.ts swaps the handler between two runs ─► one answer line back on
//   COM2 ("deploy: 'name': upgraded …" or "… refused: …"), the same line in the log.
//
// The port listens only when the system asks for it ([system] deploy = true) and a UART
// answers at COM2: whoever can write to it can replace handlers (within the capabilities
// they run with), as whoever holds the console can reset them. A transfer that breaks off
// is abandoned when a byte comes after DEPLOY_IDLE_NANOSECONDS of silence: that byte then
// starts a search for the next transfer's magic, so the port is never stuck.

import { memoryAllocatePages, memoryRefusals, memoryShortage, pageAllocator } from "../memory/memory";
import { physicalCopyOut, readTsc } from "../arch/x86_64/machine";
import { picEndOfInterrupt, picUnmask, IRQ_COM2 } from "../arch/x86_64/pic8259";
import { COM2, Uart16550 } from "../arch/x86_64/uart16550";
import { DESCRIPTOR_MAX_BYTES } from "../config/boot_descriptor";
import { Text } from "../console/text";
import { DEPLOY_HEADER_BYTES, DEPLOY_MAGIC, DEPLOY_MODULE_MAX_BYTES, DEPLOY_VERSION, DeployHeader, NAME_MAX_BYTES } from "../gate/interface";
import { INPUT_LOST, SerialReceiver } from "../input/input";
import { LEVEL_INFO, LEVEL_WARNING, line, log } from "../log/log";
import { PAGE_BYTES } from "../params";
import { clockNanoseconds } from "../time/clock";
import { upgradeHandler } from "./upgrade";
import { handlerNamed, handlers } from "./registry";

/** Silence after which a transfer that stopped halfway is given up. */
export const DEPLOY_IDLE_NANOSECONDS: u64 = 2_000_000_000;
const RING_BYTES: i32 = 4096;

export const TRANSFER_MORE: i32 = 0;
export const TRANSFER_COMPLETE: i32 = 1;
export const TRANSFER_FAILED: i32 = 2;

const STAGE_SEEK: i32 = 0;
const STAGE_HEADER: i32 = 1;
const STAGE_NAME: i32 = 2;
const STAGE_DESCRIPTOR: i32 = 3;
const STAGE_MODULE: i32 = 4;

/** One transfer at a time, taken a byte at a time; its parts stay until the next one starts. */
export class DeployTransfer {
  private stage: i32 = STAGE_SEEK;
  /** Bytes of the current part received so far. */
  private filled: u32 = 0;
  private readonly header: StaticArray<u8> = new StaticArray<u8>(<i32>DEPLOY_HEADER_BYTES);
  private readonly nameBytes: StaticArray<u8> = new StaticArray<u8>(NAME_MAX_BYTES);
  /** DESCRIPTOR_MAX_BYTES of kernel memory, made for the first transfer and reused. */
  private descriptorBytes: StaticArray<u8> | null = null;
  /** The module's physical pages (0: none held) and a block of it on its way there. */
  module: u64 = 0;
  private modulePages: u64 = 0;
  private readonly block: StaticArray<u8> = new StaticArray<u8>(256);
  private blockFill: i32 = 0;
  /** Why the last transfer failed. */
  error: string = "";

  get started(): bool {
    return this.stage != STAGE_SEEK;
  }

  /** The handler's name: the running handler's own string when there is one (no string made: the kernel's runtime never frees). */
  get name(): string {
    const length = <i32>this.headerField().nameBytes;
    const running = handlerNamed(changetype<usize>(this.nameBytes), length);
    return running >= 0 ? handlers[running].name : String.UTF8.decodeUnsafe(changetype<usize>(this.nameBytes), length);
  }

  get descriptor(): usize {
    return changetype<usize>(this.descriptorBytes);
  }

  get descriptorLength(): u32 {
    return this.headerField().descriptorBytes;
  }

  get moduleLength(): u32 {
    return this.headerField().moduleBytes;
  }

  /** Bytes of this transfer received so far, and its whole size once its header came. */
  get received(): u64 {
    const header = this.headerField();
    if (this.stage <= STAGE_HEADER) return this.filled;
    let done = <u64>DEPLOY_HEADER_BYTES + this.filled;
    if (this.stage > STAGE_NAME) done += header.nameBytes;
    if (this.stage > STAGE_DESCRIPTOR) done += header.descriptorBytes;
    return done;
  }

  get size(): u64 {
    const header = this.headerField();
    return <u64>DEPLOY_HEADER_BYTES + header.nameBytes + header.descriptorBytes + header.moduleBytes;
  }

  /** Takes one byte from the port, or INPUT_LOST; TRANSFER_MORE, TRANSFER_COMPLETE, or TRANSFER_FAILED with `error` set. */
  feed(value: i32): i32 {
    if (this.stage == STAGE_SEEK) return this.seek(value);
    if (value == INPUT_LOST) {
      return this.fail("bytes were lost on the way (a UART overrun) after " + this.received.toString() + " of its bytes; send it again");
    }
    const byte = <u8>value;
    if (this.stage == STAGE_HEADER) {
      this.header[this.filled++] = byte;
      if (this.filled == DEPLOY_HEADER_BYTES) return this.beginParts();
    } else if (this.stage == STAGE_NAME) {
      this.nameBytes[this.filled++] = byte;
      if (this.filled == this.headerField().nameBytes) this.next(STAGE_DESCRIPTOR);
    } else if (this.stage == STAGE_DESCRIPTOR) {
      this.descriptorBytes![this.filled++] = byte;
      if (this.filled == this.headerField().descriptorBytes) this.next(STAGE_MODULE);
    } else {
      this.block[this.blockFill++] = byte;
      this.filled++;
      if (this.blockFill == this.block.length || this.filled == this.moduleLength) this.flushBlock();
      if (this.filled == this.moduleLength) {
        this.next(STAGE_SEEK);
        return TRANSFER_COMPLETE;
      }
    }
    return TRANSFER_MORE;
  }

  /** Gives the module's pages back (after the upgrade copied what it needs, or when a transfer fails). */
  release(): void {
    if (this.modulePages > 0) pageAllocator().free(this.module, this.modulePages);
    this.module = 0;
    this.modulePages = 0;
  }

  /** Gives up the transfer under way, saying why; the next byte starts a search for the magic. */
  fail(why: string): i32 {
    this.error = why;
    this.release();
    this.next(STAGE_SEEK);
    return TRANSFER_FAILED;
  }

  /** The magic, byte by byte (little-endian); anything else before it is skipped. */
  private seek(value: i32): i32 {
    if (value == INPUT_LOST) return TRANSFER_MORE;
    if (value == <i32>((DEPLOY_MAGIC >> (this.filled * 8)) & 0xff)) this.header[this.filled++] = <u8>value;
    else this.filled = value == <i32>(DEPLOY_MAGIC & 0xff) ? 1 : 0;
    if (this.filled == 4) this.stage = STAGE_HEADER;
    return TRANSFER_MORE;
  }

  private beginParts(): i32 {
    const header = this.headerField();
    if (header.version != DEPLOY_VERSION) {
      return this.fail("transfer format " + header.version.toString() + ", but this kernel reads format " + DEPLOY_VERSION.toString() +
        " (deploy with the toolchain the kernel was built with)");
    }
    if (header.nameBytes == 0 || header.nameBytes > <u32>NAME_MAX_BYTES) {
      return this.fail("a name of " + header.nameBytes.toString() + " bytes (1 to " + NAME_MAX_BYTES.toString() + ")");
    }
    if (header.descriptorBytes == 0 || header.descriptorBytes > DESCRIPTOR_MAX_BYTES) {
      return this.fail("a descriptor of " + header.descriptorBytes.toString() + " bytes (1 to " + DESCRIPTOR_MAX_BYTES.toString() + ")");
    }
    if (header.moduleBytes == 0 || header.moduleBytes > <u32>DEPLOY_MODULE_MAX_BYTES) {
      return this.fail("a module of " + header.moduleBytes.toString() + " bytes (1 to " + DEPLOY_MODULE_MAX_BYTES.toString() + ")");
    }
    const refusals = memoryRefusals;
    const pages = (<u64>header.moduleBytes + PAGE_BYTES - 1) / PAGE_BYTES;
    this.module = memoryAllocatePages(pages);
    if (this.module == 0) return this.fail("no room for its module: " + memoryShortage(refusals));
    this.modulePages = pages;
    if (this.descriptorBytes == null) this.descriptorBytes = new StaticArray<u8>(<i32>DESCRIPTOR_MAX_BYTES);
    this.next(STAGE_NAME);
    return TRANSFER_MORE;
  }

  private next(stage: i32): void {
    this.stage = stage;
    this.filled = 0;
    this.blockFill = 0;
  }

  private flushBlock(): void {
    physicalCopyOut(this.module + this.filled - <u64>this.blockFill, changetype<usize>(this.block), <u32>this.blockFill);
    this.blockFill = 0;
  }

  private headerField(): DeployHeader {
    return changetype<DeployHeader>(changetype<usize>(this.header));
  }
}

let port: SerialReceiver | null = null;
const transfer = new DeployTransfer();
const answer = new Text();
let lastByteAt: u64 = 0;

/** Opens the deploy port when the system asks for it and COM2 answers; logs which. */
export function deployInitialize(wanted: bool): void {
  if (!wanted) return;
  const uart = new Uart16550(COM2);
  if (!uart.present()) {
    log(LEVEL_WARNING, line.clear().string("deploy: the system takes live deploys, but no UART answers at COM2; deploys are off"));
    return;
  }
  uart.initialize();
  port = new SerialReceiver(uart, RING_BYTES);
  port!.start();
  picUnmask(IRQ_COM2);
  log(LEVEL_INFO, line.clear().string("deploy: taking new handler versions on COM2 (optios deploy)"));
}

export function deployInterrupt(): void {
  if (port != null) port!.receive();
  picEndOfInterrupt();
}

/** The kernel loop, between rounds: feeds what the port received to the transfer; a whole one is deployed. */
export function deployService(): void {
  if (port == null) return;
  const ring = port!.ring;
  while (ring.waiting) {
    const now = clockNanoseconds(readTsc());
    if (transfer.started && now - lastByteAt > DEPLOY_IDLE_NANOSECONDS) {
      transfer.fail("it stopped after " + transfer.received.toString() + " of " + transfer.size.toString() + " bytes");
      finish(false, answer.clear().string("abandoned a transfer: ").string(transfer.error));
    }
    lastByteAt = now;
    const state = transfer.feed(ring.take());
    if (state == TRANSFER_FAILED) finish(false, answer.clear().string("refused a transfer: ").string(transfer.error));
    else if (state == TRANSFER_COMPLETE) {
      const upgraded = upgradeHandler(transfer.name, transfer.descriptor, transfer.descriptorLength, transfer.module,
        transfer.moduleLength, answer);
      transfer.release();
      finish(upgraded, answer);
    }
  }
  port!.resume();
}

/** The outcome: in the log, and as one line back to the sender. */
function finish(upgraded: bool, outcome: Text): void {
  log(upgraded ? LEVEL_INFO : LEVEL_WARNING, line.clear().string("deploy: ").text(outcome));
  port!.uart.writeLine(line);
}
