// AHCI: SATA disks behind an AHCI controller (QEMU `-device ahci` with `ide-hd`, and most PCs),
// read, written and flushed with ATA commands, interrupt-driven (AHCI 1.3.1; ATA8-ACS).
//
//   PCI class 01.06.01 ─► BAR 5 (ABAR): the controller's registers, memory-mapped
//     GHC.AE (AHCI mode) ─► each implemented port with a disk (SSTS.DET 3, signature 0x101):
//       one page: command list (slot 0 used) │ received-FIS area │ command table (FIS, one PRD)
//       IDENTIFY DEVICE → size and flush support; READ/WRITE DMA EXT; FLUSH CACHE EXT
//
// One command at a time, in slot 0; the port interrupts when it is done (PxIS.DHRS, or TFES
// on an error) and the wait is BlockDevice.awaitCompletion's.

import { physicalFill32, physicalRead16, physicalRead32, physicalWrite32, physicalWrite8 } from "../arch/x86_64/machine";
import { picUnmask } from "../arch/x86_64/pic8259";
import { PciDevice, registerSettles } from "../arch/x86_64/pci";
import { memoryAllocatePages } from "../memory/memory";
import { BlockDevice, SECTOR_BYTES } from "./block_device";

/** Class 01 (mass storage), subclass 06 (SATA), interface 01 (AHCI 1.0). */
export const AHCI_CLASS: u32 = 0x010601;

const GHC: u64 = 0x04;
const HBA_IS: u64 = 0x08;
const PORTS_IMPLEMENTED: u64 = 0x0c;
const GHC_INTERRUPTS: u32 = 1 << 1;
const GHC_AHCI: u32 = 1 << 31;

/** The HBA's registers: the generic ones, then 32 ports of 0x80 bytes. */
const ABAR_BYTES: u64 = 0x1100;
const PORT_BASE: u64 = 0x100;
const PORT_BYTES: u64 = 0x80;
const PX_CLB: u64 = 0x00;
const PX_CLBU: u64 = 0x04;
const PX_FB: u64 = 0x08;
const PX_FBU: u64 = 0x0c;
const PX_IS: u64 = 0x10;
const PX_IE: u64 = 0x14;
const PX_CMD: u64 = 0x18;
const PX_TFD: u64 = 0x20;
const PX_SIG: u64 = 0x24;
const PX_SSTS: u64 = 0x28;
const PX_SERR: u64 = 0x30;
const PX_CI: u64 = 0x38;

const CMD_START: u32 = 1 << 0;
const CMD_FIS_RECEIVE: u32 = 1 << 4;
const CMD_FIS_RUNNING: u32 = 1 << 14;
const CMD_LIST_RUNNING: u32 = 1 << 15;
const IS_DEVICE_TO_HOST: u32 = 1 << 0;
const IS_TASK_FILE_ERROR: u32 = 1 << 30;
const TFD_ERROR: u32 = 0x01;
const TFD_BUSY_OR_DRQ: u32 = 0x88;
const SSTS_PRESENT: u32 = 3;
const SIGNATURE_DISK: u32 = 0x00000101;

const FIS_HOST_TO_DEVICE: u8 = 0x27;
const ATA_IDENTIFY: u8 = 0xec;
const ATA_READ_DMA_EXT: u8 = 0x25;
const ATA_WRITE_DMA_EXT: u8 = 0x35;
const ATA_FLUSH_CACHE_EXT: u8 = 0xea;

// The port's page: command list, received FISes, command table.
const COMMAND_LIST: u64 = 0x000;
const RECEIVED_FIS: u64 = 0x400;
const COMMAND_TABLE: u64 = 0x800;
const PRD_TABLE: u64 = COMMAND_TABLE + 0x80;
/** Register bits settle within this (a stopping command engine, a busy port). */
const SETTLE_NANOSECONDS: u64 = 500_000_000;

export class AhciDisk extends BlockDevice {
  constructor(readonly pci: PciDevice, readonly abar: u64, readonly port: u32, readonly memory: u64, readonly identify: u64) {
    super();
  }

  get name(): string {
    return "ahci " + this.pci.location + " port " + this.port.toString();
  }

  get interruptLine(): u8 {
    return this.pci.interruptLine;
  }

  interrupt(): void {
    const status = this.register(PX_IS);
    this.setRegister(PX_IS, status);
    physicalWrite32(this.abar + HBA_IS, 1 << this.port);
    this.interrupts++;
  }

  completed(): bool {
    return (this.register(PX_CI) & 1) == 0;
  }

  read(sector: u64, count: u32, buffer: u64): string {
    const refused = this.refusal(sector, count, false);
    return refused.length > 0 ? refused : this.command(ATA_READ_DMA_EXT, sector, count, buffer, false);
  }

  write(sector: u64, count: u32, buffer: u64): string {
    const refused = this.refusal(sector, count, true);
    return refused.length > 0 ? refused : this.command(ATA_WRITE_DMA_EXT, sector, count, buffer, true);
  }

  flush(): string {
    if (this.broken) return this.problem;
    return this.flushes ? this.command(ATA_FLUSH_CACHE_EXT, 0, 0, 0, false) : "";
  }

  /** Runs one ATA command in slot 0: an H2D register FIS, and one PRD for `count` sectors at `buffer`. */
  command(ata: u8, sector: u64, count: u32, buffer: u64, writing: bool): string {
    const table = this.memory + COMMAND_TABLE;
    physicalFill32(table, 0, 0x90 / 4);
    physicalWrite8(table + 0, FIS_HOST_TO_DEVICE);
    physicalWrite8(table + 1, 0x80); // C: a command
    physicalWrite8(table + 2, ata);
    for (let i: u64 = 0; i < 3; i++) physicalWrite8(table + 4 + i, <u8>(sector >> (8 * i)));
    physicalWrite8(table + 7, ata == ATA_IDENTIFY ? 0 : 0x40); // LBA mode
    for (let i: u64 = 0; i < 3; i++) physicalWrite8(table + 8 + i, <u8>(sector >> (24 + 8 * i)));
    physicalWrite8(table + 12, <u8>count);
    physicalWrite8(table + 13, <u8>(count >> 8));
    const bytes = ata == ATA_IDENTIFY ? 512 : count * SECTOR_BYTES;
    if (bytes > 0) {
      physicalWrite32(this.memory + PRD_TABLE, <u32>buffer);
      physicalWrite32(this.memory + PRD_TABLE + 4, <u32>(buffer >> 32));
      physicalWrite32(this.memory + PRD_TABLE + 12, (1 << 31) | (bytes - 1)); // interrupt when done
    }
    const header = this.memory + COMMAND_LIST;
    physicalWrite32(header, 5 | (writing ? 1 << 6 : 0) | ((bytes > 0 ? 1 : 0) << 16)); // 5-dword FIS, one PRD
    physicalWrite32(header + 4, 0);
    physicalWrite32(header + 8, <u32>table);
    physicalWrite32(header + 12, <u32>(table >> 32));
    this.setRegister(PX_CI, 1);
    const waited = this.awaitCompletion();
    if (waited.length > 0) return waited;
    const taskFile = this.register(PX_TFD);
    if ((taskFile & TFD_ERROR) != 0) {
      return "the disk reported an error (ATA status 0x" + (taskFile & 0xff).toString(16) + ", error 0x" + ((taskFile >> 8) & 0xff).toString(16) + ")";
    }
    return "";
  }

  register(offset: u64): u32 {
    return physicalRead32(this.abar + PORT_BASE + <u64>this.port * PORT_BYTES + offset);
  }

  setRegister(offset: u64, value: u32): void {
    physicalWrite32(this.abar + PORT_BASE + <u64>this.port * PORT_BYTES + offset, value);
  }
}

/**
 * The disks of the AHCI controller at `pci`, each set up and identified; a port that cannot
 * be used is named in `problems`. The controller's interrupt line is unmasked when a disk is found.
 */
export function ahciDisks(pci: PciDevice, problems: string[]): AhciDisk[] {
  const found = new Array<AhciDisk>();
  const why = new StaticArray<string>(1);
  const abar = pci.claimRegisters(5, ABAR_BYTES, why);
  if (abar == 0) {
    problems.push("ahci " + pci.location + ": " + why[0]);
    return found;
  }
  physicalWrite32(abar + GHC, physicalRead32(abar + GHC) | GHC_AHCI);
  const implemented = physicalRead32(abar + PORTS_IMPLEMENTED);
  for (let port: u32 = 0; port < 32; port++) {
    if ((implemented & (1 << port)) == 0) continue;
    const base = abar + PORT_BASE + <u64>port * PORT_BYTES;
    if ((physicalRead32(base + PX_SSTS) & 0xf) != SSTS_PRESENT || physicalRead32(base + PX_SIG) != SIGNATURE_DISK) continue;
    const name = "ahci " + pci.location + " port " + port.toString();
    const memory = memoryAllocatePages(2); // the port's structures, then a page for IDENTIFY's answer
    if (memory == 0) {
      problems.push(name + ": no memory for its command list");
      continue;
    }
    const problem = startPort(base, memory);
    if (problem.length > 0) {
      problems.push(name + ": " + problem);
      continue;
    }
    const disk = new AhciDisk(pci, abar, port, memory, memory + 4096);
    if (found.length == 0) {
      physicalWrite32(abar + HBA_IS, 0xffffffff);
      physicalWrite32(abar + GHC, physicalRead32(abar + GHC) | GHC_INTERRUPTS);
      picUnmask(pci.interruptLine);
    }
    const identified = disk.command(ATA_IDENTIFY, 0, 0, disk.identify, false);
    if (identified.length > 0) {
      problems.push(name + ": IDENTIFY DEVICE failed: " + identified);
      continue;
    }
    disk.sectors = <u64>physicalRead16(disk.identify + 200) | (<u64>physicalRead16(disk.identify + 202) << 16) |
      (<u64>physicalRead16(disk.identify + 204) << 32) | (<u64>physicalRead16(disk.identify + 206) << 48);
    disk.flushes = (physicalRead16(disk.identify + 166) & (1 << 13)) != 0; // word 83: FLUSH CACHE EXT supported
    found.push(disk);
  }
  return found;
}

/** Stops the port's engines, gives it its command list and FIS area, clears its errors, starts it again; "" or why not. */
function startPort(base: u64, memory: u64): string {
  physicalWrite32(base + PX_CMD, physicalRead32(base + PX_CMD) & ~(CMD_START | CMD_FIS_RECEIVE));
  if (!settled(base + PX_CMD, CMD_LIST_RUNNING | CMD_FIS_RUNNING)) return "its command engine did not stop";
  physicalFill32(memory, 0, 1024);
  physicalWrite32(base + PX_CLB, <u32>(memory + COMMAND_LIST));
  physicalWrite32(base + PX_CLBU, <u32>((memory + COMMAND_LIST) >> 32));
  physicalWrite32(base + PX_FB, <u32>(memory + RECEIVED_FIS));
  physicalWrite32(base + PX_FBU, <u32>((memory + RECEIVED_FIS) >> 32));
  physicalWrite32(base + PX_SERR, 0xffffffff);
  physicalWrite32(base + PX_IS, 0xffffffff);
  physicalWrite32(base + PX_IE, IS_DEVICE_TO_HOST | IS_TASK_FILE_ERROR);
  physicalWrite32(base + PX_CMD, physicalRead32(base + PX_CMD) | CMD_FIS_RECEIVE);
  if (!settled(base + PX_TFD, TFD_BUSY_OR_DRQ)) return "the disk stayed busy";
  physicalWrite32(base + PX_CMD, physicalRead32(base + PX_CMD) | CMD_START);
  return "";
}

/** Whether `bits` of the register at `address` clear within SETTLE_NANOSECONDS. */
function settled(address: u64, bits: u32): bool {
  return registerSettles(address, bits, 0, SETTLE_NANOSECONDS);
}
