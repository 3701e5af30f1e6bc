// PCI: the devices on the machine's PCI buses, found once at boot through configuration
// mechanism #1 (ports 0xCF8/0xCFC) and kept for every driver (virtio-blk now; NICs next).
//
// The scan follows the bus tree from bus 0: every device slot, its other functions when it
// says it has several, and the secondary bus behind each PCI-to-PCI bridge. So it reads a
// few hundred registers, not the 65,536 function headers a brute-force scan would. The
// firmware (SeaBIOS, OVMF; also before QEMU's PVH boot) has assigned the BARs and the
// legacy interrupt line already; drivers read them from here.

import { clockNanoseconds } from "../../time/clock";
import { mapDevice, physicalRead32, portRead32, portWrite32, readTsc } from "./machine";

const CONFIG_ADDRESS: u16 = 0xcf8;
const CONFIG_DATA: u16 = 0xcfc;
const ENABLE: u32 = 0x80000000;
const VENDOR_NONE: u32 = 0xffff;
const HEADER_TYPE_MULTIFUNCTION: u32 = 0x80;
const HEADER_TYPE_BRIDGE: u32 = 0x01;
const BUSES_MAX: i32 = 256;

export const PCI_COMMAND: u32 = 0x04;
export const PCI_COMMAND_IO: u32 = 0x1;
export const PCI_COMMAND_MEMORY: u32 = 0x2;
const PCI_COMMAND_INTX_DISABLE: u32 = 1 << 10;
export const PCI_COMMAND_BUS_MASTER: u32 = 0x4;
const PCI_BAR0: u32 = 0x10;
const PCI_INTERRUPT_LINE: u32 = 0x3c;
const PCI_SECONDARY_BUS: u32 = 0x18;

export class PciDevice {
  vendor: u16 = 0;
  device: u16 = 0;
  /** Class, subclass and programming interface: 0x010802 is an NVMe controller. */
  classCode: u32 = 0;
  /** The legacy interrupt (IRQ 0-15) the firmware routed its INTx pin to; 0xff when none. */
  interruptLine: u8 = 0xff;
  constructor(readonly bus: u8, readonly slot: u8, readonly func: u8) {}

  read32(offset: u32): u32 {
    portWrite32(CONFIG_ADDRESS, this.address(offset));
    return portRead32(CONFIG_DATA);
  }

  write32(offset: u32, value: u32): void {
    portWrite32(CONFIG_ADDRESS, this.address(offset));
    portWrite32(CONFIG_DATA, value);
  }

  /** BAR `index` as the firmware set it: an I/O port base (bit 0 set) or a memory address. */
  bar(index: u32): u32 {
    return this.read32(PCI_BAR0 + index * 4);
  }

  /**
   * Memory BAR `index` (with the next one when it is a 64-bit BAR), its first `bytes` mapped
   * if it lies above the first 4 GiB (where UEFI firmware puts 64-bit BARs); 0 when it is an
   * I/O or unassigned BAR, or cannot be mapped.
   */
  memoryBar(index: u32, bytes: u64): u64 {
    const low = this.bar(index);
    if ((low & 1) != 0) return 0;
    const address = <u64>(low & 0xfffffff0) | ((low & 0x6) == 0x4 ? <u64>this.bar(index + 1) << 32 : 0);
    return address != 0 && mapDevice(address, bytes) ? address : 0;
  }

  /**
   * The registers of a memory-mapped device driven by its INTx pin: memory BAR `index`, mapped
   * for `bytes` (memoryBar), with memory decoding and bus mastering turned on; 0 with the
   * reason in why[0] when the BAR cannot be reached or the firmware routed no interrupt line.
   */
  claimRegisters(index: u32, bytes: u64, why: StaticArray<string>): u64 {
    const registers = this.memoryBar(index, bytes);
    if (registers == 0 || this.interruptLine >= 16) {
      why[0] = registers == 0 ? "no memory-mapped registers it can reach (BAR " + index.toString() + ")" : "no interrupt line";
      return 0;
    }
    this.enable(PCI_COMMAND_MEMORY | PCI_COMMAND_BUS_MASTER);
    return registers;
  }

  /**
   * Turns on what the driver needs: `bits` of PCI_COMMAND_IO, _MEMORY, _BUS_MASTER, and clears
   * Interrupt Disable (bit 10): every driver here takes the INTx pin, which firmware may leave off.
   */
  enable(bits: u32): void {
    const command = this.read32(PCI_COMMAND);
    this.write32(PCI_COMMAND, ((command & 0xffff) & ~PCI_COMMAND_INTX_DISABLE) | bits);
  }

  /** "00:04.0" */
  get location(): string {
    return hex2(this.bus) + ":" + hex2(this.slot) + "." + this.func.toString();
  }

  private address(offset: u32): u32 {
    return ENABLE | (<u32>this.bus << 16) | (<u32>this.slot << 11) | (<u32>this.func << 8) | (offset & 0xfc);
  }
}

/**
 * Whether `bits` of the 32-bit device register at `address` become `value` within
 * `nanoseconds`: a bounded wait, at set-up only (a controller halting or coming out of reset,
 * a port's engine stopping). False at the deadline, or as soon as `failBits` are seen set.
 */
export function registerSettles(address: u64, bits: u32, value: u32, nanoseconds: u64, failBits: u32 = 0): bool {
  const deadline = clockNanoseconds(readTsc()) + nanoseconds;
  let register = physicalRead32(address);
  while ((register & bits) != value) {
    if ((register & failBits) != 0 || clockNanoseconds(readTsc()) >= deadline) return false;
    register = physicalRead32(address);
  }
  return true;
}

function hex2(value: u8): string {
  return (value < 16 ? "0" : "") + value.toString(16);
}

let devices: PciDevice[] | null = null;

/** Every PCI function on the machine, scanned the first time it is asked for. */
export function pciDevices(): PciDevice[] {
  if (devices == null) {
    devices = new Array<PciDevice>();
    const scanned = new StaticArray<bool>(BUSES_MAX);
    scanBus(0, devices!, scanned);
  }
  return devices!;
}

/** The first function with `vendor` and one of `ids`, in scan order; null when there is none. */
export function pciFind(vendor: u16, ids: u16[]): PciDevice | null {
  const all = pciDevices();
  for (let i = 0; i < all.length; i++) if (all[i].vendor == vendor && ids.includes(all[i].device)) return all[i];
  return null;
}

function scanBus(bus: i32, found: PciDevice[], scanned: StaticArray<bool>): void {
  if (scanned[bus]) return; // a loop in a broken bridge setup
  scanned[bus] = true;
  for (let slot = 0; slot < 32; slot++) {
    const first = new PciDevice(<u8>bus, <u8>slot, 0);
    if ((first.read32(0) & 0xffff) == VENDOR_NONE) continue;
    const functions = ((first.read32(0x0c) >> 16) & HEADER_TYPE_MULTIFUNCTION) != 0 ? 8 : 1;
    for (let func = 0; func < functions; func++) {
      const device = func == 0 ? first : new PciDevice(<u8>bus, <u8>slot, <u8>func);
      const ids = device.read32(0);
      if ((ids & 0xffff) == VENDOR_NONE) continue;
      device.vendor = <u16>(ids & 0xffff);
      device.device = <u16>(ids >> 16);
      device.classCode = device.read32(0x08) >> 8;
      device.interruptLine = <u8>(device.read32(PCI_INTERRUPT_LINE) & 0xff);
      found.push(device);
      if (((device.read32(0x0c) >> 16) & 0x7f) == HEADER_TYPE_BRIDGE) {
        scanBus(<i32>((device.read32(PCI_SECONDARY_BUS) >> 8) & 0xff), found, scanned);
      }
    }
  }
}
