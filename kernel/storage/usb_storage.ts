// USB mass storage: a USB stick or disk behind an xHCI controller (usb/xhci.ts), read, written
// and flushed with SCSI commands over the bulk-only transport (USB Mass Storage Class Bulk-Only
// Transport 1.0; SCSI Block Commands). The stick a PC boots OptiOS from can so hold the data
// partition of `optios build --data` (docs/storage.md).
//
//   a command: CBW (31 bytes) on bulk OUT ─► its data on bulk IN or OUT ─► CSW (13 bytes) on bulk IN
//   a stall on the data stage is cleared and the CSW read; a stall on the CSW is cleared and it is read again
//   set-up: the first device on the controller whose interface is class 08, protocol 50 (bulk-only), LUN 0:
//     INQUIRY (a disk? vendor, product) ─► TEST UNIT READY until ready ─► READ CAPACITY(10) (512-byte blocks)
//     ─► MODE SENSE(6) (write-protected?) ─► SYNCHRONIZE CACHE(10) (can its cache be flushed?)
//   requests: READ(10), WRITE(10) of at most 64 KiB each; SYNCHRONIZE CACHE(10) for flush()
//
// One disk per controller: the first mass-storage device found (a second is left alone).

import { physicalCopyIn, physicalFill32, physicalRead32, physicalRead8, physicalWrite32, physicalWrite8, readTsc } from "../arch/x86_64/machine";
import { picUnmask } from "../arch/x86_64/pic8259";
import { PciDevice } from "../arch/x86_64/pci";
import { clockNanoseconds } from "../time/clock";
import { BulkPipe, COMPLETION_SHORT_PACKET, COMPLETION_STALL, COMPLETION_SUCCESS, SCRATCH_PAGE, Xhci, codeText } from "../usb/xhci";
import { BlockDevice, SECTOR_BYTES } from "./block_device";

const CBW_SIGNATURE: u32 = 0x43425355; // "USBC"
const CSW_SIGNATURE: u32 = 0x53425355; // "USBS"
const CBW_BYTES: u32 = 31;
const CSW_BYTES: u32 = 13;
const CSW_PASSED: u32 = 0;
const CSW_FAILED: u32 = 1;

const SCSI_TEST_UNIT_READY: u8 = 0x00;
const SCSI_REQUEST_SENSE: u8 = 0x03;
const SCSI_INQUIRY: u8 = 0x12;
const SCSI_MODE_SENSE_6: u8 = 0x1a;
const SCSI_READ_CAPACITY_10: u8 = 0x25;
const SCSI_READ_10: u8 = 0x28;
const SCSI_WRITE_10: u8 = 0x2a;
const SCSI_SYNCHRONIZE_CACHE_10: u8 = 0x35;
const SENSE_ILLEGAL_REQUEST: u32 = 5;

const CLASS_MASS_STORAGE: u8 = 0x08;
const PROTOCOL_BULK_ONLY: u8 = 0x50;
/** Sectors per READ(10)/WRITE(10): 64 KiB, which every bulk-only device takes. */
const SECTORS_PER_COMMAND: u32 = 128;
/** How long a device may take to become ready (TEST UNIT READY) at set-up. */
const READY_NANOSECONDS: u64 = 2_000_000_000;

// The scratch page: the CBW, the CSW, then answers (descriptors, INQUIRY, sense, capacity).
const CBW_OFFSET: u64 = 0;
const CSW_OFFSET: u64 = 64;
const ANSWER_OFFSET: u64 = 512;
const ANSWER_BYTES: u32 = 512;

/** Result of a SCSI command: passed, failed (CHECK CONDITION: the sense says why), or lost in transport (`problem`). */
const SCSI_PASSED: i32 = 0;
const SCSI_FAILED: i32 = 1;
const SCSI_TRANSPORT: i32 = -1;

export class UsbDisk extends BlockDevice {
  private tag: u32 = 0;
  /** What went wrong in the transport of the last command (SCSI_TRANSPORT). */
  private transport: string = "";
  /** "QEMU QEMU HARDDISK, high speed": INQUIRY's vendor and product, and the link. */
  description: string = "";

  constructor(readonly host: Xhci) {
    super();
    host.waiter = this;
  }

  get name(): string {
    return "usb " + this.host.pci.location + " port " + this.host.port.toString();
  }

  get interruptLine(): u8 {
    return this.host.pci.interruptLine;
  }

  interrupt(): void {
    this.host.interrupt();
    this.interrupts++;
  }

  completed(): bool {
    return this.host.eventArrived();
  }

  /** The disk for the xHCI controller at `pci`, its controller taken and running; null with the reason in why[0]. Then start(). */
  static create(pci: PciDevice, why: StaticArray<string>): UsbDisk | null {
    const host = Xhci.create(pci, why);
    return host == null ? null : new UsbDisk(host);
  }

  /**
   * Finds the first mass-storage device on the controller's ports and sets it up; false with
   * the reason in why[0]. Its interrupts must reach interrupt() by then (the caller lists it).
   */
  start(why: StaticArray<string>): bool {
    picUnmask(this.interruptLine);
    this.host.awaitPorts();
    why[0] = "no device on its " + this.host.ports.toString() + " ports";
    for (let port: u32 = 1; port <= this.host.ports; port++) {
      if (!this.host.connected(port)) continue;
      let problem = this.host.addressDevice(port);
      if (problem.length == 0) problem = this.setUp();
      if (problem.length == 0) return true;
      this.host.releaseDevice();
      why[0] = "port " + port.toString() + ": " + problem;
    }
    this.host.halt();
    return false;
  }

  /** The addressed device's descriptors, configuration and SCSI set-up; "" or why it is not used. */
  private setUp(): string {
    const host = this.host;
    const answer = host.page(SCRATCH_PAGE) + ANSWER_OFFSET;
    physicalFill32(answer, 0, ANSWER_BYTES / 4);
    let code = host.controlTransfer(0x80, 6, 0x0100, 0, 18, answer); // GET_DESCRIPTOR: device
    if (code != COMPLETION_SUCCESS && code != COMPLETION_SHORT_PACKET) return "GET_DESCRIPTOR (device) failed" + codeText(code);
    code = host.controlTransfer(0x80, 6, 0x0200, 0, ANSWER_BYTES, answer); // the configuration, its interfaces and endpoints
    if (code != COMPLETION_SUCCESS && code != COMPLETION_SHORT_PACKET) return "GET_DESCRIPTOR (configuration) failed" + codeText(code);
    const total = min<u32>(<u32>physicalRead8(answer + 2) | (<u32>physicalRead8(answer + 3) << 8), ANSWER_BYTES - host.lastResidue);
    const configuration = <u32>physicalRead8(answer + 5);
    // The first bulk-only interface (alternate setting 0) and its bulk endpoints.
    let inside = false;
    let found = false;
    let inAddress: u8 = 0, inPacket: u32 = 0, outAddress: u8 = 0, outPacket: u32 = 0;
    let firstClass: i32 = -1;
    for (let at: u32 = 0; at + 2 <= total;) {
      const length = <u32>physicalRead8(answer + at);
      const type = physicalRead8(answer + at + 1);
      if (length < 2 || at + length > total) break;
      if (type == 4 && length >= 9) { // an interface
        const interfaceClass = physicalRead8(answer + at + 5);
        if (firstClass < 0) firstClass = interfaceClass;
        if (found && inside) break;
        inside = physicalRead8(answer + at + 3) == 0 && interfaceClass == CLASS_MASS_STORAGE && physicalRead8(answer + at + 7) == PROTOCOL_BULK_ONLY;
        found = found || inside;
      } else if (type == 5 && length >= 7 && inside && (physicalRead8(answer + at + 3) & 3) == 2) { // a bulk endpoint
        const address = physicalRead8(answer + at + 2);
        const packet = (<u32>physicalRead8(answer + at + 4) | (<u32>physicalRead8(answer + at + 5) << 8)) & 0x7ff;
        if ((address & 0x80) != 0) { inAddress = address; inPacket = packet; } else { outAddress = address; outPacket = packet; }
      }
      at += length;
    }
    if (!found) return "not a bulk-only mass-storage device (interface class " + (firstClass < 0 ? "none" : "0x" + firstClass.toString(16)) + ")";
    if (inAddress == 0 || outAddress == 0 || inPacket == 0 || outPacket == 0) return "its mass-storage interface lacks a bulk endpoint";
    const configured = host.configure(configuration, inAddress, inPacket, outAddress, outPacket);
    return configured.length > 0 ? configured : this.setUpScsi(answer);
  }

  /** INQUIRY, TEST UNIT READY, READ CAPACITY, MODE SENSE, SYNCHRONIZE CACHE; "" or why the disk is not used. */
  private setUpScsi(answer: u64): string {
    if (this.scsi(SCSI_INQUIRY, 0, 36, true, answer, 36) != SCSI_PASSED) return "INQUIRY failed" + this.failure();
    if ((physicalRead8(answer) & 0x1f) != 0) return "not a disk (SCSI device type " + (physicalRead8(answer) & 0x1f).toString() + ")";
    this.description = (text(answer + 8, 8) + " " + text(answer + 16, 16)).trim() + ", " + this.host.speedName;
    const deadline = clockNanoseconds(readTsc()) + READY_NANOSECONDS;
    let ready = this.scsi(SCSI_TEST_UNIT_READY, 0, 0, false, 0, 0);
    while (ready == SCSI_FAILED && clockNanoseconds(readTsc()) < deadline) {
      this.failure(); // REQUEST SENSE takes the condition (a unit attention after reset) off the device
      ready = this.scsi(SCSI_TEST_UNIT_READY, 0, 0, false, 0, 0);
    }
    if (ready != SCSI_PASSED) return "it did not become ready" + this.failure();
    if (this.scsi(SCSI_READ_CAPACITY_10, 0, 0, true, answer, 8) != SCSI_PASSED) return "READ CAPACITY failed" + this.failure();
    const last = bigEndian32(answer);
    const blockBytes = bigEndian32(answer + 4);
    if (blockBytes != SECTOR_BYTES) return "its blocks are " + blockBytes.toString() + " bytes; only 512 are read";
    this.sectors = <u64>last + 1; // READ(10) reaches the first 2 TiB; a larger disk reports 0xffffffff here
    if (this.scsi(SCSI_MODE_SENSE_6, 0x3f, 4, true, answer, 4) == SCSI_PASSED) this.readOnly = (physicalRead8(answer + 2) & 0x80) != 0;
    else if (this.transport.length > 0) return "MODE SENSE failed" + this.failure();
    this.flushes = true;
    if (this.scsi(SCSI_SYNCHRONIZE_CACHE_10, 0, 0, false, 0, 0) != SCSI_PASSED) {
      if (this.transport.length > 0) return "SYNCHRONIZE CACHE failed" + this.failure();
      this.flushes = false; // the device refuses it (ILLEGAL REQUEST): it has no cache it lets us flush
    }
    return "";
  }

  read(sector: u64, count: u32, buffer: u64): string {
    const refused = this.refusal(sector, count, false);
    return refused.length > 0 ? refused : this.transfer(SCSI_READ_10, sector, count, buffer);
  }

  write(sector: u64, count: u32, buffer: u64): string {
    const refused = this.refusal(sector, count, true);
    return refused.length > 0 ? refused : this.transfer(SCSI_WRITE_10, sector, count, buffer);
  }

  flush(): string {
    if (this.broken) return this.problem;
    if (!this.flushes) return "";
    if (this.scsi(SCSI_SYNCHRONIZE_CACHE_10, 0, 0, false, 0, 0) != SCSI_PASSED) return "SYNCHRONIZE CACHE failed" + this.failure();
    this.requests++;
    return "";
  }

  /** READ(10) or WRITE(10) of `count` sectors, SECTORS_PER_COMMAND at a time. */
  private transfer(opcode: u8, sector: u64, count: u32, buffer: u64): string {
    for (let done: u32 = 0; done < count;) {
      const part = min<u32>(SECTORS_PER_COMMAND, count - done);
      const result = this.scsi(opcode, sector + <u64>done, part, opcode == SCSI_READ_10, buffer + <u64>done * SECTOR_BYTES, part * SECTOR_BYTES);
      if (result != SCSI_PASSED) return (opcode == SCSI_READ_10 ? "READ" : "WRITE") + " of sectors " + (sector + <u64>done).toString() + "+" + part.toString() + " failed" + this.failure();
      done += part;
    }
    this.requests++;
    return "";
  }

  /**
   * One SCSI command through the bulk-only transport, its data `bytes` at `buffer`. For the
   * block commands `argument` is the block address and `count` the blocks; for INQUIRY,
   * REQUEST SENSE and MODE SENSE `count` is the allocation length (and `argument` MODE SENSE's page).
   */
  private scsi(opcode: u8, argument: u64, count: u32, into: bool, buffer: u64, bytes: u32): i32 {
    const host = this.host;
    this.transport = "";
    if (this.broken) {
      this.transport = this.problem;
      return SCSI_TRANSPORT;
    }
    const cbw = host.page(SCRATCH_PAGE) + CBW_OFFSET;
    physicalFill32(cbw, 0, 8);
    physicalWrite32(cbw, CBW_SIGNATURE);
    physicalWrite32(cbw + 4, ++this.tag);
    physicalWrite32(cbw + 8, bytes);
    physicalWrite8(cbw + 12, into ? 0x80 : 0);
    const block = opcode == SCSI_READ_10 || opcode == SCSI_WRITE_10 || opcode == SCSI_READ_CAPACITY_10 || opcode == SCSI_SYNCHRONIZE_CACHE_10;
    physicalWrite8(cbw + 14, block ? 10 : 6); // the command block's length
    const command = cbw + 15;
    physicalWrite8(command, opcode);
    if (opcode == SCSI_READ_10 || opcode == SCSI_WRITE_10) {
      for (let i: u64 = 0; i < 4; i++) physicalWrite8(command + 2 + i, <u8>(argument >> (24 - 8 * i)));
      physicalWrite8(command + 7, <u8>(count >> 8));
      physicalWrite8(command + 8, <u8>count);
    } else if (opcode == SCSI_MODE_SENSE_6) {
      physicalWrite8(command + 2, <u8>argument);
      physicalWrite8(command + 4, <u8>count);
    } else if (opcode == SCSI_INQUIRY || opcode == SCSI_REQUEST_SENSE) {
      physicalWrite8(command + 4, <u8>count);
    }
    const bulkIn = host.bulkIn!;
    const bulkOut = host.bulkOut!;
    let code = host.bulkTransfer(bulkOut, cbw, CBW_BYTES);
    if (code != COMPLETION_SUCCESS) return this.lost("sending the command", code, bulkOut);
    if (bytes > 0) {
      const pipe = into ? bulkIn : bulkOut;
      code = host.bulkTransfer(pipe, buffer, bytes);
      if (code == COMPLETION_STALL) code = host.clearStall(pipe); // the device ends the data early; the CSW says how it went
      if (code != COMPLETION_SUCCESS && code != COMPLETION_SHORT_PACKET) return this.lost("moving its data", code, pipe);
    }
    const csw = host.page(SCRATCH_PAGE) + CSW_OFFSET;
    physicalWrite32(csw, 0);
    code = host.bulkTransfer(bulkIn, csw, CSW_BYTES);
    if (code == COMPLETION_STALL && host.clearStall(bulkIn) == COMPLETION_SUCCESS) code = host.bulkTransfer(bulkIn, csw, CSW_BYTES);
    if (code != COMPLETION_SUCCESS) return this.lost("reading its status", code, bulkIn);
    const status = <u32>physicalRead8(csw + 12);
    if (physicalRead32(csw) != CSW_SIGNATURE || physicalRead32(csw + 4) != this.tag || status > CSW_FAILED) {
      this.transport = status == 2 ? "the device reported a phase error" : "the device answered with a malformed status";
      return SCSI_TRANSPORT;
    }
    return status == CSW_PASSED ? SCSI_PASSED : SCSI_FAILED;
  }

  /** Records a transport failure: the step, and why (a stalled pipe is cleared for the next command). */
  private lost(step: string, code: u32, pipe: BulkPipe): i32 {
    if (code == COMPLETION_STALL) this.host.clearStall(pipe);
    this.transport = step + codeText(code);
    if (this.host.detached) {
      this.broken = true;
      this.problem = "it was unplugged (port " + this.host.port.toString() + " lost its device)";
    }
    if (this.broken) this.transport = this.problem; // unplugged, or the wait's timeout: the disk is not used again
    return SCSI_TRANSPORT;
  }

  /** ": why", for the command just failed: the transport's problem, or the sense data REQUEST SENSE returns. */
  private failure(): string {
    if (this.transport.length > 0) return ": " + this.transport;
    const sense = this.host.page(SCRATCH_PAGE) + ANSWER_OFFSET;
    physicalFill32(sense, 0, 5);
    if (this.scsi(SCSI_REQUEST_SENSE, 0, 18, true, sense, 18) != SCSI_PASSED) return ": the device failed it and REQUEST SENSE too";
    const key = <u32>physicalRead8(sense + 2) & 0xf;
    return ": the device reported sense key " + key.toString() + ", ASC 0x" + (<u32>physicalRead8(sense + 12)).toString(16) +
      "/0x" + (<u32>physicalRead8(sense + 13)).toString(16) + (key == SENSE_ILLEGAL_REQUEST ? " (illegal request)" : "");
  }
}

function bigEndian32(address: u64): u32 {
  return bswap<u32>(physicalRead32(address));
}

/** `bytes` of ASCII at `address`, trailing spaces dropped. */
function text(address: u64, bytes: u32): string {
  const copy = new StaticArray<u8>(<i32>bytes);
  physicalCopyIn(changetype<usize>(copy), address, bytes);
  return String.UTF8.decodeUnsafe(changetype<usize>(copy), bytes).trimEnd();
}
