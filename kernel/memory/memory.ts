// Physical memory at boot: the page allocator built from the memory map, minus what is taken.

import { kernelImageEnd, kernelImageStart, mapDevice, useSmallPages } from "../arch/x86_64/machine";
import { BootInformation, MEMORY_AVAILABLE } from "../boot/boot_information";
import { Text } from "../console/text";
import { LEVEL_DEBUG, LEVEL_WARNING, line, log } from "../log/log";
import { IDENTITY_MAPPED_BYTES, LOW_MEMORY_RESERVED_BYTES, PAGE_BYTES } from "../params";
import { PageAllocator } from "./page_allocator";

/** All usable RAM in the memory map, including any above the managed limit. */
export let memoryTotalBytes: u64 = 0;
/** Usable RAM above what the page allocator manages (the identity-mapped 4 GiB): neither used nor free. */
export let memoryUnmanagedBytes: u64 = 0;
/** Page requests refused for want of free memory since boot, and the size of the last one. */
export let memoryRefusals: u32 = 0;
let lastRefusedBytes: u64 = 0;
let freeBytesAtLastRefusal: u64 = 0;
let allocator: PageAllocator | null = null;

export function pageAllocator(): PageAllocator {
  return allocator!;
}

/** Builds the allocator; returns an error message, or "" when memory is usable. */
export function memoryInitialize(information: BootInformation): string {
  memoryTotalBytes = information.availableBytes();
  let highest: u64 = 0;
  for (let i = 0; i < information.regions.length; i++) {
    const region = information.regions[i];
    if (region.kind == MEMORY_AVAILABLE && region.end > highest) highest = region.end;
  }
  const limit = min<u64>(highest, IDENTITY_MAPPED_BYTES) & ~(PAGE_BYTES - 1);
  memoryUnmanagedBytes = 0;
  for (let i = 0; i < information.regions.length; i++) {
    const region = information.regions[i];
    if (region.kind == MEMORY_AVAILABLE && region.end > limit) memoryUnmanagedBytes += region.end - max<u64>(region.base, limit);
  }
  const pages = new PageAllocator(limit);
  for (let i = 0; i < information.regions.length; i++) {
    const region = information.regions[i];
    if (region.kind == MEMORY_AVAILABLE) pages.markFree(region.base, region.length);
  }
  for (let i = 0; i < information.regions.length; i++) {
    const region = information.regions[i];
    if (region.kind != MEMORY_AVAILABLE) pages.markUsed(region.base, region.length);
  }
  pages.markUsed(0, LOW_MEMORY_RESERVED_BYTES);
  const imageStart = kernelImageStart();
  const imageEnd = kernelImageEnd();
  if (!coveredByAvailable(information, imageStart, imageEnd)) {
    return "the kernel image [0x" + imageStart.toString(16) + ", 0x" + imageEnd.toString(16) +
      ") is not inside usable RAM: the machine has too little memory (the image needs " +
      ((imageEnd + 0xfffff) >> 20).toString() + " MiB)";
  }
  pages.markUsed(imageStart, imageEnd - imageStart);
  for (let i = 0; i < information.loaderRanges.length; i++) {
    pages.markUsed(information.loaderRanges[i].base, information.loaderRanges[i].length);
  }
  for (let i = 0; i < information.modules.length; i++) {
    const module = information.modules[i];
    pages.markUsed(module.start, module.end - module.start);
  }
  allocator = pages;
  if (memoryUnmanagedBytes > 0) {
    log(LEVEL_WARNING, line.clear().string("memory: ").size(memoryUnmanagedBytes)
      .string(" of RAM above the identity-mapped 4 GiB is not managed yet (reported as unmanaged, never handed out)"));
  }
  log(LEVEL_DEBUG, line.clear().string("memory: page allocator manages ").grouped(pages.pageCount)
    .string(" pages, ").grouped(pages.freePages).string(" free"));
  return "";
}

/** Whether one available region of the memory map holds all of [start, end). */
export function coveredByAvailable(information: BootInformation, start: u64, end: u64): bool {
  for (let i = 0; i < information.regions.length; i++) {
    const region = information.regions[i];
    if (region.kind == MEMORY_AVAILABLE && region.base <= start && region.end >= end) return true;
  }
  return false;
}

/** `count` contiguous pages from the allocator, or 0 with the refusal recorded (see memoryShortage). */
export function memoryAllocatePages(count: u64): u64 {
  const address = allocator!.allocateContiguous(count);
  if (address == 0 && count > 0) {
    memoryRefusals++;
    lastRefusedBytes = count * PAGE_BYTES;
    freeBytesAtLastRefusal = allocator!.freePages * PAGE_BYTES;
  }
  return address;
}

/**
 * "" when no page request was refused since `refusalsBefore` (a value of memoryRefusals); otherwise
 * the last refusal in words: "out of memory: 512.0 KiB asked for, 128.0 KiB free of 4.5 MiB".
 */
export function memoryShortage(refusalsBefore: u32): string {
  if (memoryRefusals == refusalsBefore) return "";
  return "out of memory: " + sizeText(lastRefusedBytes) + " asked for, " + sizeText(freeBytesAtLastRefusal) + " free of " +
    sizeText(memoryTotalBytes - memoryUnmanagedBytes);
}

/** The least RAM that could have met the last refused request: what there is, plus what was missing. */
export function memoryNeededBytes(): u64 {
  const missing = lastRefusedBytes > freeBytesAtLastRefusal ? lastRefusedBytes - freeBytesAtLastRefusal : PAGE_BYTES;
  return memoryTotalBytes - memoryUnmanagedBytes + missing;
}

function sizeText(bytes: u64): string {
  const text = new Text(32);
  text.size(bytes);
  return String.UTF8.decodeUnsafe(text.pointer, text.length);
}

/**
 * Once the page allocator runs: what the kernel touches in normal running — usable RAM and
 * the framebuffer — mapped with 4 KiB pages, which cost a page table per 2 MiB (1/512 of
 * RAM). Under QEMU's TCG an `invlpg` near a 2 MiB page flushes the whole software TLB, and
 * every handler commit does one per page it dirtied (boot/paging.c). The machine runs on if
 * it cannot (it is slower under QEMU, not wrong), and says so.
 */
export function memoryUseSmallPages(information: BootInformation): void {
  let mapped = true;
  for (let i = 0; i < information.regions.length; i++) {
    const region = information.regions[i];
    if (region.kind == MEMORY_AVAILABLE && region.base < IDENTITY_MAPPED_BYTES && !useSmallPages(region.base, region.length)) mapped = false;
  }
  const framebuffer = information.framebuffer;
  if (framebuffer != null && !mapDevice(framebuffer.address, <u64>framebuffer.pitch * framebuffer.height)) mapped = false;
  if (!mapped) {
    log(LEVEL_WARNING, line.clear().string("memory: too few pages to map all RAM with 4 KiB pages (QEMU runs handlers slower)"));
  }
}
