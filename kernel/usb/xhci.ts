// xHCI: the USB host controller of PCs since about 2010 (QEMU `-device qemu-xhci`), driven far
// enough for one USB mass-storage device (storage/usb_storage.ts): the stick a PC boots from.
// eXtensible Host Controller Interface for USB, revision 1.2; USB 2.0 chapter 9 for requests.
//
//   PCI class 0C.03.30 ─► BAR 0/1: capability registers, then operational (+CAPLENGTH),
//   runtime (+RTSOFF: interrupter 0) and doorbell (+DBOFF) registers
//     firmware hand-off (USB legacy support capability) ─► stop, HCRST, wait CNR = 0
//     DCBAA (+ scratchpad pages) ─► command ring ─► event ring (ERST of one segment)
//     interrupter 0 enabled, moderation off ─► run
//   a device: port reset (USB 2; USB 3 ports enable themselves) ─► Enable Slot ─► Address
//   Device (slot and EP0 contexts) ─► GET_DESCRIPTOR device, configuration ─►
//   SET_CONFIGURATION ─► Configure Endpoint (its bulk pipes)
//
// Rings are one page each: 255 TRBs and a link TRB back to the start that toggles the cycle
// bit. One thing is in flight at a time (a command, or one transfer's TD); its event is the
// one whose TRB pointer is the TD's last TRB (IOC), or an error on the way. The wait is the
// disk's (BlockDevice.awaitDevice): the CPU halts until interrupter 0's INTx interrupt, which
// interrupt() acknowledges (USBSTS.EINT, IMAN.IP); the events are taken in eventArrived(),
// which moves the dequeue pointer and clears Event Handler Busy.
//
// Taking the controller from the firmware ends any USB keyboard the BIOS emulated as PS/2:
// OptiOS has no USB keyboard driver yet, which is why data_disk.ts looks at USB only when no
// other disk holds the data disk.

import { physicalFill32, physicalRead32, physicalRead64, physicalRead8, physicalWrite32, physicalWrite64, readTsc } from "../arch/x86_64/machine";
import { PciDevice, registerSettles } from "../arch/x86_64/pci";
import { memoryAllocatePages } from "../memory/memory";
import { BlockDevice } from "../storage/block_device";
import { clockNanoseconds } from "../time/clock";

/** Class 0C (serial bus), subclass 03 (USB), interface 30 (xHCI). */
export const XHCI_CLASS: u32 = 0x0c0330;

// Capability registers.
const CAPLENGTH: u64 = 0x00;
const HCSPARAMS1: u64 = 0x04;
const HCSPARAMS2: u64 = 0x08;
const HCCPARAMS1: u64 = 0x10;
const DBOFF: u64 = 0x14;
const RTSOFF: u64 = 0x18;
// Operational registers.
const USBCMD: u64 = 0x00;
const USBSTS: u64 = 0x04;
const CRCR: u64 = 0x18;
const DCBAAP: u64 = 0x30;
const CONFIG: u64 = 0x38;
const PORTSC: u64 = 0x400;
const PORT_BYTES: u64 = 0x10;
// Interrupter 0, in the runtime registers.
const IMAN: u64 = 0x20;
const IMOD: u64 = 0x24;
const ERSTSZ: u64 = 0x28;
const ERSTBA: u64 = 0x30;
const ERDP: u64 = 0x38;

const USBCMD_RUN: u32 = 1 << 0;
const USBCMD_RESET: u32 = 1 << 1;
const USBCMD_INTERRUPTS: u32 = 1 << 2;
const USBSTS_HALTED: u32 = 1 << 0;
const USBSTS_EVENT: u32 = 1 << 3;
const USBSTS_NOT_READY: u32 = 1 << 11;
const IMAN_PENDING: u32 = 1 << 0;
const IMAN_ENABLE: u32 = 1 << 1;
const ERDP_BUSY: u64 = 1 << 3;

const PORT_CONNECTED: u32 = 1 << 0;
const PORT_ENABLED: u32 = 1 << 1;
const PORT_RESET: u32 = 1 << 4;
const PORT_POWER: u32 = 1 << 9;
const PORT_RESET_CHANGE: u32 = 1 << 21;
/** What a write to PORTSC must carry over: power, indicators, wake bits. Change bits and PED are write-1-to-clear. */
const PORT_KEEP: u32 = (1 << 9) | (3 << 14) | (7 << 25);

/** Extended capability 1: USB legacy support, the firmware's and the OS's ownership semaphores. */
const LEGACY_SUPPORT: u32 = 1;
const LEGACY_BIOS_OWNED: u32 = 1 << 16;
const LEGACY_OS_OWNED: u32 = 1 << 24;

const TRB_NORMAL: u32 = 1;
const TRB_SETUP: u32 = 2;
const TRB_DATA: u32 = 3;
const TRB_STATUS: u32 = 4;
const TRB_LINK: u32 = 6;
const TRB_ENABLE_SLOT: u32 = 9;
const TRB_DISABLE_SLOT: u32 = 10;
const TRB_ADDRESS_DEVICE: u32 = 11;
const TRB_CONFIGURE_ENDPOINT: u32 = 12;
const TRB_RESET_ENDPOINT: u32 = 14;
const TRB_SET_DEQUEUE: u32 = 16;
const TRB_TRANSFER_EVENT: u32 = 32;
const TRB_COMMAND_COMPLETION: u32 = 33;
const TRB_PORT_STATUS_CHANGE: u32 = 34;
const TRB_CYCLE: u32 = 1 << 0;
const TRB_TOGGLE: u32 = 1 << 1;
const TRB_CHAIN: u32 = 1 << 4;
const TRB_IOC: u32 = 1 << 5;
const TRB_IMMEDIATE: u32 = 1 << 6;
const TRB_DIRECTION_IN: u32 = 1 << 16;

export const COMPLETION_SUCCESS: u32 = 1;
export const COMPLETION_STALL: u32 = 6;
export const COMPLETION_SHORT_PACKET: u32 = 13;
/** Not a controller code: the wait ended without the event (the controller's `problem` says why). */
export const COMPLETION_NONE: u32 = 0;

const PAGE_BYTES: u64 = 4096;
/** The registers mapped: capability, operational (with 256 ports), runtime and doorbell registers fit in 64 KiB. */
const REGISTER_BYTES: u64 = 0x10000;
const TRB_BYTES: u64 = 16;
/** TRBs in a one-page ring; the last slot of a transfer or command ring is its link TRB. */
const RING_TRBS: u32 = 256;
/** A TRB's buffer may not cross a 64 KiB boundary. */
const TRB_BUFFER_BOUNDARY: u64 = 0x10000;
const SLOTS_ENABLED: u32 = 8;
/** Register bits settle within this: a halting or resetting controller, a port in reset. */
const SETTLE_NANOSECONDS: u64 = 500_000_000;
/** How long ports are given after the reset to show a device: a USB 3 link trains, a USB 2 connection debounces. */
const CONNECT_NANOSECONDS: u64 = 300_000_000;

// The controller's pages.
const DCBAA_PAGE: u64 = 0; // the device context base addresses; the ERST at +2048; the scratchpad array at +3072
const ERST_OFFSET: u64 = 2048;
const SCRATCHPAD_ARRAY_OFFSET: u64 = 3072;
const SCRATCHPADS_MAX: u32 = 128;
const COMMAND_RING_PAGE: u64 = 1;
const EVENT_RING_PAGE: u64 = 2;
const INPUT_CONTEXT_PAGE: u64 = 3;
const DEVICE_CONTEXT_PAGE: u64 = 4;
const CONTROL_RING_PAGE: u64 = 5;
const BULK_OUT_RING_PAGE: u64 = 6;
const BULK_IN_RING_PAGE: u64 = 7;
/** For descriptors and other small transfers of the driver's own. */
export const SCRATCH_PAGE: u64 = 8;
const PAGES: u64 = 9;

/** Speeds in PORTSC and the slot context. */
const SPEED_LOW: u32 = 2;
const SPEED_SUPER: u32 = 4;

const ENDPOINT_CONTROL: u32 = 4;
const ENDPOINT_BULK_OUT: u32 = 2;
const ENDPOINT_BULK_IN: u32 = 6;

/** A producer ring of TRBs in one page, its last TRB a link back to the start. */
export class TrbRing {
  index: u32 = 0;
  cycle: u32 = 1;
  constructor(readonly base: u64) {
    physicalFill32(base, 0, PAGE_BYTES / 4);
    physicalWrite64(base + <u64>(RING_TRBS - 1) * TRB_BYTES, base);
  }

  /** Writes one TRB (its cycle bit last, handing it to the controller), `more` when its TD goes on; returns its address. */
  push(parameter: u64, status: u32, control: u32, more: bool = false): u64 {
    const trb = this.base + <u64>this.index * TRB_BYTES;
    physicalWrite64(trb, parameter);
    physicalWrite32(trb + 8, status);
    physicalWrite32(trb + 12, control | this.cycle);
    if (++this.index == RING_TRBS - 1) {
      // The link TRB goes to the controller with this lap's cycle (chained if the TD goes on), and the cycle toggles.
      physicalWrite32(this.base + <u64>this.index * TRB_BYTES + 12, (TRB_LINK << 10) | TRB_TOGGLE | (more ? TRB_CHAIN : 0) | this.cycle);
      this.index = 0;
      this.cycle ^= 1;
    }
    return trb;
  }

  /** Where the next TRB goes, with the cycle it will have (a Set TR Dequeue Pointer's argument). */
  get dequeue(): u64 {
    return this.base + <u64>this.index * TRB_BYTES | <u64>this.cycle;
  }
}

/** A bulk pipe of the configured device: its DCI (doorbell target), ring and packet size. */
export class BulkPipe {
  constructor(readonly dci: u32, readonly address: u8, readonly maxPacket: u32, readonly ring: TrbRing) {}
}

export class Xhci {
  readonly operational: u64;
  readonly runtime: u64;
  readonly doorbells: u64;
  /** Bytes of one context (HCCPARAMS1.CSZ: 32 or 64). */
  readonly contextBytes: u64;
  readonly ports: u32;
  private commands: TrbRing;
  private control: TrbRing; // endpoint 0's, made anew for each device
  private eventIndex: u32 = 0;
  private eventCycle: u32 = 1;
  /** The TRB whose event ends the wait, and what the event said. */
  private awaited: u64 = 0;
  private arrived: bool = false;
  lastCode: u32 = COMPLETION_NONE;
  /** Bytes a transfer left untransferred (short packet), or the slot an Enable Slot gave. */
  lastResidue: u32 = 0;
  lastSlot: u32 = 0;
  /** The device in use: its slot, root port and speed. */
  slot: u32 = 0;
  port: u32 = 0;
  speed: u32 = 0;
  bulkIn: BulkPipe | null = null;
  bulkOut: BulkPipe | null = null;
  /** Set when the device's port said it lost its device (unplugged): nothing is sent to it any more. */
  detached: bool = false;
  /** Whose wait (and interrupt line) the controller's requests use: the disk it serves. */
  waiter: BlockDevice | null = null;

  constructor(readonly pci: PciDevice, readonly registers: u64, readonly memory: u64) {
    this.operational = registers + <u64>physicalRead8(registers + CAPLENGTH);
    this.runtime = registers + <u64>(physicalRead32(registers + RTSOFF) & ~0x1f);
    this.doorbells = registers + <u64>(physicalRead32(registers + DBOFF) & ~0x3);
    this.contextBytes = (physicalRead32(registers + HCCPARAMS1) & (1 << 2)) != 0 ? 64 : 32;
    this.ports = physicalRead32(registers + HCSPARAMS1) >> 24;
    this.commands = new TrbRing(memory + COMMAND_RING_PAGE * PAGE_BYTES);
    this.control = new TrbRing(memory + CONTROL_RING_PAGE * PAGE_BYTES);
  }

  get name(): string {
    return "xhci " + this.pci.location;
  }

  page(index: u64): u64 {
    return this.memory + index * PAGE_BYTES;
  }

  /** The controller at `pci`, taken from the firmware, reset and running; null with the reason in why[0]. */
  static create(pci: PciDevice, why: StaticArray<string>): Xhci | null {
    const registers = pci.claimRegisters(0, REGISTER_BYTES, why);
    const memory = registers == 0 ? 0 : memoryAllocatePages(PAGES);
    if (memory == 0) {
      if (registers != 0) why[0] = "no memory for its rings";
      return null;
    }
    physicalFill32(memory, 0, PAGES * PAGE_BYTES / 4);
    const host = new Xhci(pci, registers, memory);
    why[0] = host.start();
    if (why[0].length == 0) return host;
    host.halt();
    return null;
  }

  /** Hand-off, reset, rings, run; "" or what failed. */
  private start(): string {
    this.takeFromFirmware();
    const op = this.operational;
    physicalWrite32(op + USBCMD, physicalRead32(op + USBCMD) & ~USBCMD_RUN);
    if (!settles(op + USBSTS, USBSTS_HALTED, USBSTS_HALTED)) return "it did not halt";
    physicalWrite32(op + USBCMD, USBCMD_RESET);
    if (!settles(op + USBCMD, USBCMD_RESET, 0) || !settles(op + USBSTS, USBSTS_NOT_READY, 0)) return "it did not come out of reset";
    const slots = min<u32>(physicalRead32(this.registers + HCSPARAMS1) & 0xff, SLOTS_ENABLED);
    physicalWrite32(op + CONFIG, (physicalRead32(op + CONFIG) & ~0xff) | slots);
    const dcbaa = this.page(DCBAA_PAGE);
    const params2 = physicalRead32(this.registers + HCSPARAMS2);
    const scratchpads = (((params2 >> 21) & 0x1f) << 5) | (params2 >> 27);
    if (scratchpads > SCRATCHPADS_MAX) return "it asks for " + scratchpads.toString() + " scratchpad pages";
    if (scratchpads > 0) {
      const pages = memoryAllocatePages(<u64>scratchpads);
      if (pages == 0) return "no memory for its scratchpad";
      physicalFill32(pages, 0, <u64>scratchpads * PAGE_BYTES / 4);
      for (let i: u64 = 0; i < <u64>scratchpads; i++) physicalWrite64(dcbaa + SCRATCHPAD_ARRAY_OFFSET + 8 * i, pages + i * PAGE_BYTES);
      physicalWrite64(dcbaa, dcbaa + SCRATCHPAD_ARRAY_OFFSET);
    }
    physicalWrite64(op + DCBAAP, dcbaa);
    physicalWrite64(op + CRCR, this.commands.base | 1);
    // The event ring: one segment of a page.
    const erst = dcbaa + ERST_OFFSET;
    physicalWrite64(erst, this.page(EVENT_RING_PAGE));
    physicalWrite32(erst + 8, RING_TRBS);
    physicalWrite32(this.runtime + ERSTSZ, 1);
    physicalWrite64(this.runtime + ERDP, this.page(EVENT_RING_PAGE));
    physicalWrite64(this.runtime + ERSTBA, erst);
    physicalWrite32(this.runtime + IMOD, 0);
    physicalWrite32(this.runtime + IMAN, IMAN_PENDING | IMAN_ENABLE);
    physicalWrite32(op + USBSTS, USBSTS_EVENT);
    physicalWrite32(op + USBCMD, USBCMD_RUN | USBCMD_INTERRUPTS);
    if (!settles(op + USBSTS, USBSTS_HALTED, 0)) return "it did not start running";
    return "";
  }

  /** Asks the firmware to let go of the controller (USB legacy support), and turns its SMIs off. */
  private takeFromFirmware(): void {
    let offset = <u64>(physicalRead32(this.registers + HCCPARAMS1) >> 16) << 2;
    while (offset != 0) {
      const capability = this.registers + offset;
      const header = physicalRead32(capability);
      if ((header & 0xff) == LEGACY_SUPPORT) {
        physicalWrite32(capability, header | LEGACY_OS_OWNED);
        settles(capability, LEGACY_BIOS_OWNED, 0); // a firmware that does not let go within the wait is overruled
        physicalWrite32(capability + 4, physicalRead32(capability + 4) & 0x1fee0000); // SMI enables off, change bits cleared
        return;
      }
      const next = (header >> 8) & 0xff;
      offset = next == 0 ? 0 : offset + (<u64>next << 2);
    }
  }

  /**
   * Halts the controller with its interrupts off: when no device on it is used, nothing must
   * raise its interrupt line (a stick plugged in later would, and nobody would acknowledge it,
   * holding a line it may share with another device).
   */
  halt(): void {
    physicalWrite32(this.runtime + IMAN, IMAN_PENDING);
    physicalWrite32(this.operational + USBCMD, 0);
    settles(this.operational + USBSTS, USBSTS_HALTED, USBSTS_HALTED);
    physicalWrite32(this.operational + USBSTS, USBSTS_EVENT);
  }

  /** Acknowledges the controller's interrupt; the events are read by the wait (eventArrived). */
  interrupt(): void {
    physicalWrite32(this.operational + USBSTS, USBSTS_EVENT);
    physicalWrite32(this.runtime + IMAN, IMAN_PENDING | IMAN_ENABLE);
  }

  /** Takes the events the controller wrote; whether the awaited one is among them. */
  eventArrived(): bool {
    const ring = this.page(EVENT_RING_PAGE);
    let taken = false;
    for (;;) {
      const trb = ring + <u64>this.eventIndex * TRB_BYTES;
      const control = physicalRead32(trb + 12);
      if ((control & TRB_CYCLE) != this.eventCycle) break;
      const type = (control >> 10) & 0x3f;
      if (type == TRB_TRANSFER_EVENT || type == TRB_COMMAND_COMPLETION) {
        const status = physicalRead32(trb + 8);
        const code = status >> 24;
        // The awaited TRB's event, or an error that ended its TD early (a stall on the data stage).
        if (physicalRead64(trb) == this.awaited || (type == TRB_TRANSFER_EVENT && code != COMPLETION_SUCCESS && code != COMPLETION_SHORT_PACKET)) {
          this.arrived = true;
          this.lastCode = code;
          this.lastResidue = status & 0xffffff;
          this.lastSlot = control >> 24;
        }
      } else if (type == TRB_PORT_STATUS_CHANGE && this.slot != 0 && (physicalRead32(trb) >> 24) == this.port &&
                 (physicalRead32(this.portRegister(this.port)) & PORT_CONNECTED) == 0) {
        this.detached = true; // the device is gone: what waits for it ends now, not at its deadline
        this.arrived = true;
        this.lastCode = COMPLETION_NONE;
      } // other events: nothing waits for them
      taken = true;
      if (++this.eventIndex == RING_TRBS) {
        this.eventIndex = 0;
        this.eventCycle ^= 1;
      }
    }
    if (taken) physicalWrite64(this.runtime + ERDP, ring + <u64>this.eventIndex * TRB_BYTES | ERDP_BUSY);
    return this.arrived;
  }

  /** Rings `target`'s doorbell of `slot` (0: the command ring) and waits for the awaited TRB's event; its completion code. */
  private ring(slot: u32, target: u32, awaited: u64): u32 {
    if (this.detached) return COMPLETION_NONE;
    this.awaited = awaited;
    this.arrived = false;
    this.lastCode = COMPLETION_NONE;
    physicalWrite32(this.doorbells + 4 * <u64>slot, target);
    const waited = this.waiter!.awaitDevice();
    this.awaited = 0;
    return waited.length > 0 ? COMPLETION_NONE : this.lastCode;
  }

  /** One command TRB on the command ring; its completion code. */
  command(parameter: u64, control: u32): u32 {
    return this.ring(0, 0, this.commands.push(parameter, 0, control));
  }

  /**
   * A control transfer on the device's endpoint 0: the setup packet, `length` bytes of data at
   * `buffer` (in or out, as `requestType` says), the status stage; its completion code.
   */
  controlTransfer(requestType: u32, request: u32, value: u32, index: u32, length: u32, buffer: u64): u32 {
    const into = (requestType & 0x80) != 0;
    const setup = <u64>(requestType | (request << 8) | (value << 16)) | (<u64>index << 32) | (<u64>length << 48);
    this.control.push(setup, 8, (TRB_SETUP << 10) | TRB_IMMEDIATE | (length == 0 ? 0 : (into ? 3 : 2) << 16), true);
    if (length > 0) this.control.push(buffer, length, (TRB_DATA << 10) | (into ? TRB_DIRECTION_IN : 0), true);
    const status = this.control.push(0, 0, (TRB_STATUS << 10) | TRB_IOC | (length > 0 && into ? 0 : TRB_DIRECTION_IN));
    return this.ring(this.slot, 1, status);
  }

  /** A bulk transfer of `length` bytes at `buffer` on `pipe`; its completion code. */
  bulkTransfer(pipe: BulkPipe, buffer: u64, length: u32): u32 {
    return this.ring(this.slot, pipe.dci, queueNormal(pipe.ring, buffer, length, pipe.maxPacket));
  }

  /** Clears a stall of `pipe`: Reset Endpoint, its ring's dequeue moved past the failed TD, CLEAR_FEATURE(ENDPOINT_HALT). */
  clearStall(pipe: BulkPipe): u32 {
    const target = (this.slot << 24) | (pipe.dci << 16);
    let code = this.command(0, (TRB_RESET_ENDPOINT << 10) | target);
    if (code == COMPLETION_SUCCESS) code = this.command(pipe.ring.dequeue, (TRB_SET_DEQUEUE << 10) | target);
    if (code == COMPLETION_SUCCESS) code = this.controlTransfer(0x02, 1, 0, <u32>pipe.address, 0, 0);
    return code;
  }

  /** Waits (CONNECT_NANOSECONDS at most) until a port shows a device: a USB 3 link trains, a USB 2 connection debounces. */
  awaitPorts(): void {
    // A controller with port power control (HCCPARAMS1.PPC) has its ports off after the reset.
    for (let port: u32 = 1; port <= this.ports; port++) {
      const state = physicalRead32(this.portRegister(port));
      if ((state & PORT_POWER) == 0) physicalWrite32(this.portRegister(port), (state & PORT_KEEP) | PORT_POWER);
    }
    const settleBy = clockNanoseconds(readTsc()) + CONNECT_NANOSECONDS;
    while (!this.connected(0) && clockNanoseconds(readTsc()) < settleBy) {}
  }

  /** Whether a device is connected to `port` (1-based), or to any port when 0. */
  connected(port: u32): bool {
    for (let each: u32 = 1; each <= this.ports; each++) {
      if ((port == 0 || port == each) && (physicalRead32(this.portRegister(each)) & PORT_CONNECTED) != 0) return true;
    }
    return false;
  }

  private portRegister(port: u32): u64 {
    return this.operational + PORTSC + <u64>(port - 1) * PORT_BYTES;
  }

  /**
   * Enables the device on `port` (a USB 2 port by a reset; a USB 3 port enables itself), then
   * Enable Slot and Address Device with its endpoint 0; "" or what failed.
   */
  addressDevice(port: u32): string {
    const register = this.portRegister(port);
    let state = physicalRead32(register);
    if ((state & PORT_ENABLED) == 0) {
      physicalWrite32(register, (state & PORT_KEEP) | PORT_RESET);
      settles(register, PORT_RESET_CHANGE, PORT_RESET_CHANGE);
      state = physicalRead32(register);
      physicalWrite32(register, (state & PORT_KEEP) | PORT_RESET_CHANGE);
    }
    if ((state & PORT_ENABLED) == 0) return "a reset did not enable it";
    let code = this.command(0, TRB_ENABLE_SLOT << 10);
    if (code != COMPLETION_SUCCESS) return "Enable Slot failed" + codeText(code);
    this.slot = this.lastSlot;
    this.port = port;
    this.speed = (state >> 10) & 0xf;
    const device = this.page(DEVICE_CONTEXT_PAGE);
    physicalFill32(device, 0, PAGE_BYTES / 4);
    physicalWrite64(this.page(DCBAA_PAGE) + 8 * <u64>this.slot, device);
    this.control = new TrbRing(this.page(CONTROL_RING_PAGE));
    const input = this.clearInput(0b11); // the slot and endpoint 0
    this.writeSlotContext(input, 1);
    const packet: u32 = this.speed == SPEED_LOW ? 8 : this.speed >= SPEED_SUPER ? 512 : 64; // full speed: 64, nearly every device's
    this.writeEndpointContext(input, 1, ENDPOINT_CONTROL, packet, this.control.dequeue, 8);
    code = this.command(input, (TRB_ADDRESS_DEVICE << 10) | (this.slot << 24));
    return code == COMPLETION_SUCCESS ? "" : "Address Device failed" + codeText(code);
  }

  /** Gives the device's slot back (Disable Slot), so that the next port's device can use the driver's pages. */
  releaseDevice(): void {
    if (this.slot == 0) return;
    this.command(0, (TRB_DISABLE_SLOT << 10) | (this.slot << 24));
    physicalWrite64(this.page(DCBAA_PAGE) + 8 * <u64>this.slot, 0);
    this.slot = 0;
    this.bulkIn = this.bulkOut = null;
  }

  /** Zeroes the input context and sets its add flags; the context's address. */
  private clearInput(adds: u32): u64 {
    const input = this.page(INPUT_CONTEXT_PAGE);
    physicalFill32(input, 0, PAGE_BYTES / 4);
    physicalWrite32(input + 4, adds);
    return input;
  }

  private writeSlotContext(input: u64, entries: u32): void {
    const slot = input + this.contextBytes;
    physicalWrite32(slot, (this.speed << 20) | (entries << 27));
    physicalWrite32(slot + 4, this.port << 16);
  }

  private writeEndpointContext(input: u64, dci: u32, type: u32, maxPacket: u32, dequeue: u64, averageLength: u32): void {
    const context = input + this.contextBytes * (1 + <u64>dci);
    physicalWrite32(context + 4, (3 << 1) | (type << 3) | (maxPacket << 16)); // three retries on errors
    physicalWrite64(context + 8, dequeue);
    physicalWrite32(context + 16, averageLength);
  }

  /**
   * Selects configuration `value` with the bulk endpoints `inAddress` and `outAddress` (their
   * packet sizes given): SET_CONFIGURATION, then Configure Endpoint; "" or what failed.
   */
  configure(value: u32, inAddress: u8, inPacket: u32, outAddress: u8, outPacket: u32): string {
    let code = this.controlTransfer(0x00, 9, value, 0, 0, 0);
    if (code != COMPLETION_SUCCESS) return "SET_CONFIGURATION failed" + codeText(code);
    const inDci = 2 * (<u32>inAddress & 0xf) + 1;
    const outDci = 2 * (<u32>outAddress & 0xf);
    const bulkIn = new BulkPipe(inDci, inAddress, inPacket, new TrbRing(this.page(BULK_IN_RING_PAGE)));
    const bulkOut = new BulkPipe(outDci, outAddress, outPacket, new TrbRing(this.page(BULK_OUT_RING_PAGE)));
    const input = this.clearInput(1 | (1 << inDci) | (1 << outDci));
    this.writeSlotContext(input, max<u32>(inDci, outDci));
    this.writeEndpointContext(input, inDci, ENDPOINT_BULK_IN, inPacket, bulkIn.ring.dequeue, 1024);
    this.writeEndpointContext(input, outDci, ENDPOINT_BULK_OUT, outPacket, bulkOut.ring.dequeue, 1024);
    code = this.command(input, (TRB_CONFIGURE_ENDPOINT << 10) | (this.slot << 24));
    if (code != COMPLETION_SUCCESS) return "Configure Endpoint failed" + codeText(code);
    this.bulkIn = bulkIn;
    this.bulkOut = bulkOut;
    return "";
  }

  /** "high speed": the device's, as the log names it. */
  get speedName(): string {
    const speeds: string[] = ["unknown", "full", "low", "high", "super", "super+"];
    return (this.speed <= 5 ? speeds[this.speed] : "unknown") + " speed";
  }
}

/**
 * Queues one TD of Normal TRBs for `length` bytes at `buffer` on `ring`, cut where the buffer
 * crosses a 64 KiB boundary, chained, the last one interrupting on completion, each with its
 * TD Size (packets of `maxPacket` left after it, 31 at most); the last TRB's address.
 */
export function queueNormal(ring: TrbRing, buffer: u64, length: u32, maxPacket: u32): u64 {
  let last: u64 = 0;
  let address = buffer;
  const end = buffer + <u64>length;
  do {
    const part = min<u64>(end - address, TRB_BUFFER_BOUNDARY - (address & (TRB_BUFFER_BOUNDARY - 1)));
    const after = end - address - part;
    const packetsLeft = min<u64>((after + <u64>maxPacket - 1) / <u64>maxPacket, 31);
    last = ring.push(address, <u32>part | (<u32>packetsLeft << 17), (TRB_NORMAL << 10) | (after == 0 ? TRB_IOC : TRB_CHAIN), after != 0);
    address += part;
  } while (address < end);
  return last;
}

/** " (completion code N)", or " (no answer: why)" when the wait ended without one. */
export function codeText(code: u32): string {
  return code == COMPLETION_NONE ? " (no answer)" : " (completion code " + code.toString() + ")";
}

/** Whether `bits` of the register at `address` become `value` within SETTLE_NANOSECONDS. */
function settles(address: u64, bits: u32, value: u32): bool {
  return registerSettles(address, bits, value, SETTLE_NANOSECONDS);
}
