// NVMe: a PCIe SSD (QEMU `-device nvme`, and the disk most modern PCs boot from), read, written
// and flushed through one I/O queue pair, interrupt-driven (NVM Express 1.4, base specification).
//
//   PCI class 01.08.02 ─► BAR 0/1 (64-bit): the controller's registers, memory-mapped
//     CC.EN = 0, wait CSTS.RDY = 0 ─► admin queues (AQA, ASQ, ACQ) ─► CC.EN = 1, wait RDY = 1
//     IDENTIFY controller (MDTS: largest transfer; VWC: a volatile write cache to flush)
//     IDENTIFY namespace 1 (size, LBA format: 512-byte sectors only) ─► I/O CQ 1, I/O SQ 1
//   a request: one 64-byte command at the submission queue's tail, its doorbell rung; the
//   controller writes a 16-byte completion whose phase bit flips each lap of the queue
//
// One command at a time. Interrupts are the PCI INTx pin (vector 0 of the controller): the
// pin stays asserted while a completion is unconsumed, so interrupt() masks it (INTMS) and
// the next command unmasks it (INTMC) once the completion was taken, which keeps a
// level-triggered line from firing again and again. Data buffers are physically contiguous;
// a transfer over two pages gets a PRP list (one page: MAX_TRANSFER_BYTES at most).

import { physicalFill32, physicalRead32, physicalRead64, physicalRead8, physicalWrite32, physicalWrite64 } from "../arch/x86_64/machine";
import { picUnmask } from "../arch/x86_64/pic8259";
import { PciDevice, registerSettles } from "../arch/x86_64/pci";
import { memoryAllocatePages } from "../memory/memory";
import { BlockDevice, SECTOR_BYTES } from "./block_device";

/** Class 01 (mass storage), subclass 08 (non-volatile memory), interface 02 (NVM Express). */
export const NVME_CLASS: u32 = 0x010802;

const CAP: u64 = 0x00;
const INTMS: u64 = 0x0c;
const INTMC: u64 = 0x10;
const CC: u64 = 0x14;
const CSTS: u64 = 0x1c;
const AQA: u64 = 0x24;
const ASQ: u64 = 0x28;
const ACQ: u64 = 0x30;
const DOORBELLS: u64 = 0x1000;
/** The registers mapped: the controller's, then the doorbells of its two queue pairs (stride up to 4 KiB). */
const REGISTER_BYTES: u64 = 0x5000;

const CC_ENABLE: u32 = 1;
/** I/O submission entries of 2^6 = 64 bytes, completion entries of 2^4 = 16 (CC.IOSQES, CC.IOCQES). */
const CC_ENTRY_SIZES: u32 = (6 << 16) | (4 << 20);
const CSTS_READY: u32 = 1;
const CSTS_FATAL: u32 = 2;

const ADMIN_CREATE_SQ: u32 = 0x01;
const ADMIN_CREATE_CQ: u32 = 0x05;
const ADMIN_IDENTIFY: u32 = 0x06;
const IO_FLUSH: u32 = 0x00;
const IO_WRITE: u32 = 0x01;
const IO_READ: u32 = 0x02;

const QUEUE_ENTRIES: u32 = 16;
const SUBMISSION_BYTES: u64 = 64;
const COMPLETION_BYTES: u64 = 16;
const PAGE_BYTES: u64 = 4096;
/** A PRP list is one page of 512 entries; transfers are cut to this or the controller's MDTS. */
const MAX_TRANSFER_BYTES: u64 = 256 * PAGE_BYTES;
const NAMESPACE: u32 = 1;

// The driver's pages: admin SQ, admin CQ, I/O SQ, I/O CQ, IDENTIFY's answer, the PRP list.
const ADMIN_SQ_PAGE: u64 = 0;
const ADMIN_CQ_PAGE: u64 = 1;
const IO_SQ_PAGE: u64 = 2;
const IO_CQ_PAGE: u64 = 3;
const IDENTIFY_PAGE: u64 = 4;
const PRP_LIST_PAGE: u64 = 5;
const PAGES: u64 = 6;

export class NvmeDisk extends BlockDevice {
  /** Per queue (0: admin, 1: I/O): the submission tail, the completion head, the phase a new completion has. */
  private tails: StaticArray<u32> = new StaticArray<u32>(2);
  private heads: StaticArray<u32> = new StaticArray<u32>(2);
  private phases: StaticArray<u32> = [1, 1];
  /** The queue whose command is in flight. */
  private waiting: u32 = 0;
  private nextCommand: u32 = 0;
  /** Bytes a doorbell register takes (CAP.DSTRD). */
  doorbellStride: u64 = 4;
  maxTransferBytes: u64 = MAX_TRANSFER_BYTES;

  constructor(readonly pci: PciDevice, readonly registers: u64, readonly memory: u64) {
    super();
  }

  get name(): string {
    return "nvme " + this.pci.location;
  }

  get interruptLine(): u8 {
    return this.pci.interruptLine;
  }

  /** The pin stays asserted until the completion is consumed: mask it; the next command unmasks it. */
  interrupt(): void {
    physicalWrite32(this.registers + INTMS, 1);
    this.interrupts++;
  }

  completed(): bool {
    const entry = this.queuePage(this.waiting, true) + <u64>this.heads[this.waiting] * COMPLETION_BYTES;
    return ((physicalRead32(entry + 12) >> 16) & 1) == this.phases[this.waiting];
  }

  read(sector: u64, count: u32, buffer: u64): string {
    const refused = this.refusal(sector, count, false);
    return refused.length > 0 ? refused : this.transfer(IO_READ, sector, count, buffer);
  }

  write(sector: u64, count: u32, buffer: u64): string {
    const refused = this.refusal(sector, count, true);
    return refused.length > 0 ? refused : this.transfer(IO_WRITE, sector, count, buffer);
  }

  flush(): string {
    if (this.broken) return this.problem;
    return this.flushes ? this.command(1, IO_FLUSH, NAMESPACE, 0, 0, 0, 0, 0) : "";
  }

  /** Reads or writes `count` sectors at `buffer`, in transfers the controller takes. */
  private transfer(opcode: u32, sector: u64, count: u32, buffer: u64): string {
    const most = <u32>(this.maxTransferBytes / SECTOR_BYTES);
    for (let done: u32 = 0; done < count;) {
      const part = min<u32>(most, count - done);
      const address = buffer + <u64>done * SECTOR_BYTES;
      const lba = sector + <u64>done;
      const problem = this.command(1, opcode, NAMESPACE, address, this.secondPrp(address, <u64>part * SECTOR_BYTES),
        <u32>lba, <u32>(lba >> 32), part - 1);
      if (problem.length > 0) return problem;
      done += part;
    }
    return "";
  }

  /** PRP 2 for `bytes` at `address`: none within one page, the next page within two, else a PRP list of the pages after the first. */
  private secondPrp(address: u64, bytes: u64): u64 {
    const firstPageEnd = (address & ~(PAGE_BYTES - 1)) + PAGE_BYTES;
    if (address + bytes <= firstPageEnd) return 0;
    if (address + bytes <= firstPageEnd + PAGE_BYTES) return firstPageEnd;
    const list = this.memory + PRP_LIST_PAGE * PAGE_BYTES;
    let entry: u64 = 0;
    for (let page = firstPageEnd; page < address + bytes; page += PAGE_BYTES) physicalWrite64(list + 8 * entry++, page);
    return list;
  }

  /** Submits one command to queue `queue` (0: admin, 1: I/O) and waits for its completion; "" or what failed. */
  command(queue: u32, opcode: u32, namespace: u32, prp1: u64, prp2: u64, dword10: u32, dword11: u32, dword12: u32): string {
    if (this.broken) return this.problem;
    const entry = this.queuePage(queue, false) + <u64>this.tails[queue] * SUBMISSION_BYTES;
    physicalFill32(entry, 0, <u64>(SUBMISSION_BYTES / 4));
    this.nextCommand = (this.nextCommand + 1) & 0xffff;
    physicalWrite32(entry, opcode | (this.nextCommand << 16));
    physicalWrite32(entry + 4, namespace);
    physicalWrite64(entry + 24, prp1);
    physicalWrite64(entry + 32, prp2);
    physicalWrite32(entry + 40, dword10);
    physicalWrite32(entry + 44, dword11);
    physicalWrite32(entry + 48, dword12);
    this.tails[queue] = (this.tails[queue] + 1) % QUEUE_ENTRIES;
    this.waiting = queue;
    physicalWrite32(this.doorbell(queue, false), this.tails[queue]);
    physicalWrite32(this.registers + INTMC, 1);
    const waited = this.awaitCompletion();
    if (waited.length > 0) return waited;
    const completion = this.queuePage(queue, true) + <u64>this.heads[queue] * COMPLETION_BYTES;
    const status = (physicalRead32(completion + 12) >> 17) & 0x7fff;
    this.heads[queue] = (this.heads[queue] + 1) % QUEUE_ENTRIES;
    if (this.heads[queue] == 0) this.phases[queue] ^= 1;
    physicalWrite32(this.doorbell(queue, true), this.heads[queue]);
    if (status != 0) {
      return "the disk reported an error (NVMe status type " + ((status >> 8) & 7).toString() + ", code 0x" + (status & 0xff).toString(16) + ")";
    }
    return "";
  }

  private queuePage(queue: u32, completions: bool): u64 {
    const page = queue == 0 ? (completions ? ADMIN_CQ_PAGE : ADMIN_SQ_PAGE) : (completions ? IO_CQ_PAGE : IO_SQ_PAGE);
    return this.memory + page * PAGE_BYTES;
  }

  private doorbell(queue: u32, completions: bool): u64 {
    return this.registers + DOORBELLS + (2 * <u64>queue + (completions ? 1 : 0)) * this.doorbellStride;
  }

  /**
   * The controller at `pci`, reset and enabled with its admin queues, its interrupt masked at
   * the controller; null with the reason in why[0]. Then start() identifies it: between the
   * two the caller lists it among the disks, so that its interrupts reach interrupt().
   */
  static create(pci: PciDevice, why: StaticArray<string>): NvmeDisk | null {
    const registers = pci.claimRegisters(0, REGISTER_BYTES, why);
    const memory = registers == 0 ? 0 : memoryAllocatePages(PAGES);
    if (memory == 0) {
      if (registers != 0) why[0] = "no memory for its queues";
      return null;
    }
    physicalFill32(memory, 0, PAGES * PAGE_BYTES / 4);
    const disk = new NvmeDisk(pci, registers, memory);
    const capabilities = physicalRead64(registers + CAP);
    disk.doorbellStride = <u64>4 << ((capabilities >> 32) & 0xf);
    const readyNanoseconds = max<u64>(((capabilities >> 24) & 0xff) * 500_000_000, 500_000_000);
    if (((capabilities >> 48) & 0xf) != 0) {
      why[0] = "its smallest memory page is larger than 4 KiB";
      return null;
    }
    physicalWrite32(registers + CC, physicalRead32(registers + CC) & ~CC_ENABLE);
    if (!readyBecomes(registers, 0, readyNanoseconds)) {
      why[0] = "it did not stop (CSTS.RDY stayed 1)";
      return null;
    }
    physicalWrite32(registers + AQA, ((QUEUE_ENTRIES - 1) << 16) | (QUEUE_ENTRIES - 1));
    physicalWrite64(registers + ASQ, memory + ADMIN_SQ_PAGE * PAGE_BYTES);
    physicalWrite64(registers + ACQ, memory + ADMIN_CQ_PAGE * PAGE_BYTES);
    physicalWrite32(registers + INTMS, 1);
    physicalWrite32(registers + CC, CC_ENTRY_SIZES | CC_ENABLE);
    if (!readyBecomes(registers, CSTS_READY, readyNanoseconds)) {
      why[0] = (physicalRead32(registers + CSTS) & CSTS_FATAL) != 0 ? "it reported a fatal status when enabled" : "it did not become ready";
      return null;
    }
    return disk;
  }

  /** Identifies the controller and namespace 1 and makes the I/O queue pair; false with the reason in why[0]. */
  start(why: StaticArray<string>): bool {
    const disk = this;
    const memory = this.memory;
    picUnmask(this.pci.interruptLine);
    const identify = memory + IDENTIFY_PAGE * PAGE_BYTES;
    let problem = disk.command(0, ADMIN_IDENTIFY, 0, identify, 0, 1, 0, 0); // CNS 1: the controller
    if (problem.length > 0) {
      why[0] = "IDENTIFY (controller) failed: " + problem;
      return false;
    }
    const mdts = <u64>physicalRead8(identify + 77);
    if (mdts > 0) disk.maxTransferBytes = min<u64>(MAX_TRANSFER_BYTES, PAGE_BYTES << mdts);
    disk.flushes = (physicalRead8(identify + 525) & 1) != 0; // VWC: a volatile write cache
    problem = disk.command(0, ADMIN_IDENTIFY, NAMESPACE, identify, 0, 0, 0, 0); // CNS 0: namespace 1
    if (problem.length > 0) {
      why[0] = "IDENTIFY (namespace 1) failed: " + problem;
      return false;
    }
    disk.sectors = physicalRead64(identify);
    const format = physicalRead8(identify + 26) & 0xf;
    const blockBits = physicalRead8(identify + 128 + 4 * <u64>format + 2);
    if (disk.sectors == 0 || blockBits != 9) {
      why[0] = disk.sectors == 0 ? "namespace 1 is empty" : "namespace 1 has " + (1 << blockBits).toString() + "-byte blocks; only 512 are read";
      return false;
    }
    // The I/O completion queue (interrupts on, vector 0), then its submission queue.
    problem = disk.command(0, ADMIN_CREATE_CQ, 0, memory + IO_CQ_PAGE * PAGE_BYTES, 0, ((QUEUE_ENTRIES - 1) << 16) | 1, 0b11, 0);
    if (problem.length == 0) problem = disk.command(0, ADMIN_CREATE_SQ, 0, memory + IO_SQ_PAGE * PAGE_BYTES, 0, ((QUEUE_ENTRIES - 1) << 16) | 1, (1 << 16) | 1, 0);
    if (problem.length > 0) {
      why[0] = "creating its I/O queues failed: " + problem;
      return false;
    }
    return true;
  }
}

/** Whether CSTS.RDY reaches `ready` within `nanoseconds` (not if the controller reports a fatal status). */
function readyBecomes(registers: u64, ready: u32, nanoseconds: u64): bool {
  return registerSettles(registers + CSTS, CSTS_READY, ready, nanoseconds, CSTS_FATAL);
}
