// Physical page allocator: one bit per 4 KiB frame below `limit`, set = in use.
//
// Built from the memory map: everything starts in use, available regions are freed (whole
// pages only), then anything the kernel must keep is marked again (reserved wins over
// available where a firmware map overlaps). Allocation is next-fit over 64-bit words, so a
// run of allocations does not rescan the start of memory.
// Invariant: `freePages` equals the number of clear bits below `pageCount`.

import { PAGE_BYTES } from "../params";

const BITS_PER_WORD: u64 = 64;

export class PageAllocator {
  readonly pageCount: u64;
  freePages: u64 = 0;
  private readonly words: StaticArray<u64>;
  private nextWord: i32 = 0;

  constructor(readonly limit: u64) {
    const pageCount = limit / PAGE_BYTES;
    const wordCount = <i32>((pageCount + BITS_PER_WORD - 1) / BITS_PER_WORD);
    this.pageCount = pageCount;
    this.words = new StaticArray<u64>(wordCount);
    for (let i = 0; i < wordCount; i++) this.words[i] = ~(<u64>0);
  }

  /** Frees the whole pages inside [base, base + length). */
  markFree(base: u64, length: u64): void {
    const first = (base + PAGE_BYTES - 1) / PAGE_BYTES;
    const end = min<u64>((base + length) / PAGE_BYTES, this.pageCount);
    this.setRange(first, end, false);
  }

  /** Marks in use every page that [base, base + length) touches. */
  markUsed(base: u64, length: u64): void {
    if (length == 0) return;
    const first = base / PAGE_BYTES;
    const end = min<u64>((base + length + PAGE_BYTES - 1) / PAGE_BYTES, this.pageCount);
    this.setRange(first, end, true);
  }

  /** The physical address of a newly allocated page, or 0 when memory is exhausted. */
  allocate(): u64 {
    const wordCount = this.words.length;
    for (let scanned = 0; scanned < wordCount; scanned++) {
      const index = (this.nextWord + scanned) % wordCount;
      const word = this.words[index];
      if (word == ~(<u64>0)) continue;
      const page = <u64>index * BITS_PER_WORD + ctz(~word);
      if (page >= this.pageCount) continue;
      this.setUsed(page, true);
      this.nextWord = index;
      return page * PAGE_BYTES;
    }
    return 0;
  }

  /** The address of `count` physically contiguous pages, or 0 when no such run is free. */
  allocateContiguous(count: u64): u64 {
    if (count == 0) return 0;
    let runStart: u64 = 0;
    let runLength: u64 = 0;
    for (let page: u64 = 0; page < this.pageCount; page++) {
      if (this.isUsed(page)) {
        runLength = 0;
        continue;
      }
      if (runLength == 0) runStart = page;
      if (++runLength == count) {
        for (let taken = runStart; taken < runStart + count; taken++) this.setUsed(taken, true);
        return runStart * PAGE_BYTES;
      }
    }
    return 0;
  }

  /** Returns `count` pages at `address`; false (and no change) if any of them was not in use. */
  free(address: u64, count: u64 = 1): bool {
    if ((address & (PAGE_BYTES - 1)) != 0) return false;
    const first = address / PAGE_BYTES;
    if (first + count > this.pageCount) return false;
    for (let page = first; page < first + count; page++) if (!this.isUsed(page)) return false;
    for (let page = first; page < first + count; page++) this.setUsed(page, false);
    return true;
  }

  /** Sets pages [first, end) used or free a whole word at a time; boot marks whole gigabytes. */
  private setRange(first: u64, end: u64, used: bool): void {
    let page = first;
    while (page < end) {
      const index = <i32>(page / BITS_PER_WORD);
      const offset = page % BITS_PER_WORD;
      const count = min<u64>(BITS_PER_WORD - offset, end - page);
      const mask = count == BITS_PER_WORD ? ~(<u64>0) : ((<u64>1 << count) - 1) << offset;
      const word = this.words[index];
      if (used) {
        this.freePages -= <u64>popcnt(~word & mask);
        this.words[index] = word | mask;
      } else {
        this.freePages += <u64>popcnt(word & mask);
        this.words[index] = word & ~mask;
      }
      page += count;
    }
  }

  isUsed(page: u64): bool {
    return (this.words[<i32>(page / BITS_PER_WORD)] & (<u64>1 << (page % BITS_PER_WORD))) != 0;
  }

  private setUsed(page: u64, used: bool): void {
    const index = <i32>(page / BITS_PER_WORD);
    const bit = <u64>1 << (page % BITS_PER_WORD);
    const word = this.words[index];
    if (used && (word & bit) == 0) {
      this.words[index] = word | bit;
      this.freePages--;
    } else if (!used && (word & bit) != 0) {
      this.words[index] = word & ~bit;
      this.freePages++;
    }
  }
}
