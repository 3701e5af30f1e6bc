// The page allocator (kernel/memory/page_allocator.ts) and boot-time memory set-up (memory.ts).
import { beforeEach, describe, expect, it } from "vitest";
import { Multiboot2Builder, pcMemoryMap } from "./boot_images";
import { KernelUnderTest, startKernel } from "./fake_machine";

const PAGE = 4096n;
const INFORMATION_ADDRESS = 0x600000; // above 1 MiB, as GRUB places it
let under: KernelUnderTest;

beforeEach(async () => {
  under = await startKernel();
});

describe("page allocator", () => {
  beforeEach(() => {
    under.kernel.allocatorCreate(64n * PAGE * 4n); // 256 pages
  });

  it("starts with everything in use and frees only whole pages inside a region", () => {
    expect(under.kernel.allocatorFreePages()).toBe(0n);
    under.kernel.allocatorMarkFree(PAGE + 1n, 3n * PAGE); // covers pages 2 and 3 whole, 1 and 4 partly
    expect(under.kernel.allocatorFreePages()).toBe(2n);
    expect(under.kernel.allocatorIsUsed(1n)).toBe(1);
    expect(under.kernel.allocatorIsUsed(2n)).toBe(0);
    expect(under.kernel.allocatorIsUsed(4n)).toBe(1);
  });

  it("marks every page a reserved range touches", () => {
    under.kernel.allocatorMarkFree(0n, 256n * PAGE);
    under.kernel.allocatorMarkUsed(10n * PAGE + 100n, PAGE);
    expect(under.kernel.allocatorIsUsed(10n)).toBe(1);
    expect(under.kernel.allocatorIsUsed(11n)).toBe(1);
    expect(under.kernel.allocatorFreePages()).toBe(254n);
  });

  it("hands out each free page once, then reports exhaustion with 0", () => {
    under.kernel.allocatorMarkFree(100n * PAGE, 3n * PAGE);
    const pages = [under.kernel.allocatorAllocate(), under.kernel.allocatorAllocate(), under.kernel.allocatorAllocate()];
    expect(new Set(pages).size).toBe(3);
    for (const page of pages) expect([100n * PAGE, 101n * PAGE, 102n * PAGE]).toContain(page);
    expect(under.kernel.allocatorAllocate()).toBe(0n);
    expect(under.kernel.allocatorFreePages()).toBe(0n);
  });

  it("refuses double frees, unaligned and out-of-range frees without changing anything", () => {
    under.kernel.allocatorMarkFree(0n, 256n * PAGE);
    const page = under.kernel.allocatorAllocate();
    expect(under.kernel.allocatorFree(page, 1n)).toBe(1);
    expect(under.kernel.allocatorFree(page, 1n)).toBe(0);
    expect(under.kernel.allocatorFree(page + 1n, 1n)).toBe(0);
    expect(under.kernel.allocatorFree(300n * PAGE, 1n)).toBe(0);
    expect(under.kernel.allocatorFreePages()).toBe(256n);
  });

  it("finds contiguous runs across word boundaries and skips holes too small", () => {
    under.kernel.allocatorMarkFree(60n * PAGE, 3n * PAGE); // pages 60-62: too short
    under.kernel.allocatorMarkFree(70n * PAGE, 10n * PAGE); // pages 70-79 span bit 64
    const run = under.kernel.allocatorAllocateContiguous(8n);
    expect(run).toBe(70n * PAGE);
    for (let page = 70n; page < 78n; page++) expect(under.kernel.allocatorIsUsed(page)).toBe(1);
    expect(under.kernel.allocatorAllocateContiguous(4n)).toBe(0n);
    expect(under.kernel.allocatorFree(run, 8n)).toBe(1);
    expect(under.kernel.allocatorFreePages()).toBe(13n);
  });
});

describe("memory set-up from the boot information", () => {
  function boot(entries = pcMemoryMap(64), modules: [number, number][] = []): string {
    const builder = new Multiboot2Builder().memoryMap(entries);
    for (const [start, end] of modules) builder.module(start, end, "module");
    under.machine.writePhysical(INFORMATION_ADDRESS, builder.build());
    under.kernel.bootReadMultiboot2(BigInt(INFORMATION_ADDRESS));
    under.kernel.memorySetUp();
    return under.result();
  }

  it("counts all usable RAM and frees it except low memory, the kernel image, the information and modules", () => {
    expect(boot(pcMemoryMap(64), [[0x300000, 0x340000]])).toBe("");
    expect(under.kernel.memoryTotal()).toBe(0x9fc00n + 64n * 0x100000n - 0x120000n);
    const usable = (64n * 0x100000n - 0x120000n) / PAGE; // pages above 1 MiB
    const kernelImage = 0x100000n / PAGE;
    const module = 0x40000n / PAGE;
    const information = 1n;
    expect(under.kernel.memoryFreePages()).toBe(usable - kernelImage - module - information);
    expect(under.kernel.memoryPageIsUsed(0x1000n)).toBe(1); // low memory
    expect(under.kernel.memoryPageIsUsed(0x150000n)).toBe(1); // kernel image
    expect(under.kernel.memoryPageIsUsed(0x310000n)).toBe(1); // module
    expect(under.kernel.memoryPageIsUsed(BigInt(INFORMATION_ADDRESS))).toBe(1); // boot information
    expect(under.kernel.memoryPageIsUsed(0x500000n)).toBe(0);
  });

  it("lets a reserved region win where the firmware's map overlaps an available one", () => {
    const entries = [...pcMemoryMap(64), { base: 0x800000n, length: 0x2000n, kind: 2 }];
    expect(boot(entries)).toBe("");
    expect(under.kernel.memoryPageIsUsed(0x800000n)).toBe(1);
    expect(under.kernel.memoryPageIsUsed(0x801000n)).toBe(1);
    expect(under.kernel.memoryPageIsUsed(0x802000n)).toBe(0);
  });

  it("manages memory only up to the identity-mapped 4 GiB but counts all of it", () => {
    const entries = [...pcMemoryMap(2048), { base: 0x100000000n, length: 0x40000000n, kind: 1 }];
    expect(boot(entries)).toBe("");
    expect(under.kernel.memoryTotal()).toBe(0x9fc00n + 2048n * 0x100000n - 0x120000n + 0x40000000n);
    expect(under.kernel.memoryUnmanaged()).toBe(0x40000000n);
    expect(under.machine.serialOutput).toBe(""); // the warning goes to the log; no console is attached here
  });

  it("counts as unmanaged only the part of a region that crosses the 4 GiB line, none when all RAM is below it", () => {
    expect(boot([...pcMemoryMap(64), { base: 0xc0000000n, length: 0x80000000n, kind: 1 }])).toBe("");
    expect(under.kernel.memoryUnmanaged()).toBe(0x40000000n);
    expect(boot(pcMemoryMap(64))).toBe("");
    expect(under.kernel.memoryUnmanaged()).toBe(0n);
  });

  it("records a refused page request and puts it in words: asked for, free, of how much", () => {
    expect(boot(pcMemoryMap(8))).toBe("");
    const before = under.kernel.memoryRefusalCount();
    expect(under.kernel.memoryAllocate(4n)).not.toBe(0n);
    under.kernel.memoryShortageSince(before);
    expect(under.result()).toBe("");
    const free = under.kernel.memoryFreePages();
    expect(under.kernel.memoryAllocate(free + 1n)).toBe(0n);
    expect(under.kernel.memoryRefusalCount()).toBe(before + 1);
    under.kernel.memoryShortageSince(before);
    expect(under.result()).toMatch(/^out of memory: \d+\.\d (KiB|MiB) asked for, \d+\.\d (KiB|MiB) free of 7\.5 MiB$/);
    expect(under.kernel.memoryNeeded()).toBe(under.kernel.memoryTotal() + PAGE);
  });

  it("says so when the kernel image does not fit in usable RAM", () => {
    under.machine.kernelImageEnd = 0x1200000n; // a 17 MiB image
    expect(boot(pcMemoryMap(16))).toMatch(/kernel image \[0x100000, 0x1200000\) is not inside usable RAM.*needs 18 MiB/);
  });
});

describe("RAM and the framebuffer mapped with 4 KiB pages (boot/paging.c: QEMU's TLB flushes)", () => {
  async function mapped(refuse = false): Promise<{ small: Array<[bigint, bigint]>; devices: Array<[bigint, bigint]>; log: string }> {
    const small: Array<[bigint, bigint]> = [];
    const devices: Array<[bigint, bigint]> = [];
    const started = await startKernel((fake) => {
      fake.hardwareFakes.use_small_pages = (address: bigint, bytes: bigint) => (small.push([address, bytes]), refuse ? 0 : 1);
      fake.hardwareFakes.map_device = (address: bigint, bytes: bigint) => (devices.push([address, bytes]), 1);
    });
    const map = [...pcMemoryMap(64), { base: 0x1_0000_0000n, length: 0x4000_0000n, kind: 1 }]; // and 1 GiB above 4 GiB
    started.machine.writePhysical(INFORMATION_ADDRESS, new Multiboot2Builder().memoryMap(map).framebuffer(0xfd000000n, 4096, 1024, 768, 32, 1).build());
    started.kernel.useSerialConsoleOnly();
    started.kernel.bootReadMultiboot2(BigInt(INFORMATION_ADDRESS));
    started.kernel.memorySetUp();
    started.kernel.memorySmallPages();
    return { small, devices, log: started.machine.serialOutput };
  }

  it("asks for every usable region below 4 GiB, and the framebuffer's rows", async () => {
    const { small, devices, log } = await mapped();
    expect(small).toEqual([[0n, 0x9fc00n], [0x100000n, 64n * 0x100000n - 0x100000n - 0x20000n]]);
    expect(devices).toEqual([[0xfd000000n, 4096n * 768n]]);
    expect(log).not.toMatch(/4 KiB pages/);
  });

  it("runs on with one warning when the page tables cannot be had", async () => {
    const { log } = await mapped(true);
    expect(log).toMatch(/memory: too few pages to map all RAM with 4 KiB pages \(QEMU runs handlers slower\)/);
  });
});

describe("the area that keeps handler state over a warm reboot (kernel/handlers/saved_state.ts)", () => {
  const AREA = 0x4000000;
  const MAGIC = 0x4554415453534f4fn;

  function boot(megabytes: number): void {
    under.kernel.useSerialConsoleOnly();
    under.machine.writePhysical(INFORMATION_ADDRESS, new Multiboot2Builder().memoryMap(pcMemoryMap(megabytes)).build());
    under.kernel.bootReadMultiboot2(BigInt(INFORMATION_ADDRESS));
    under.kernel.memorySetUp();
    under.kernel.savedStateBoot();
  }

  function writeHeader(entries: number, payload: Uint8Array, checksum: bigint): void {
    const header = new DataView(new ArrayBuffer(32));
    header.setBigUint64(0, MAGIC, true);
    header.setUint32(8, 1, true);
    header.setUint32(12, entries, true);
    header.setBigUint64(16, BigInt(payload.length), true);
    header.setBigUint64(24, checksum, true);
    under.machine.writePhysical(AREA, new Uint8Array(header.buffer));
    under.machine.writePhysical(AREA + 32, payload);
  }

  const magicAfterBoot = () => new DataView(under.machine.readPhysical(AREA, 8).buffer).getBigUint64(0, true);

  it("is kept out of the page allocator when RAM covers it, and left alone when it does not", () => {
    boot(128);
    expect(under.kernel.memoryPageIsUsed(BigInt(AREA))).toBe(1);
    expect(under.kernel.memoryPageIsUsed(BigInt(AREA + (8 << 20) - 4096))).toBe(1);
    expect(under.kernel.memoryPageIsUsed(BigInt(AREA + (8 << 20)))).toBe(0);
  });

  it("is not reserved (nothing is taken from the allocator) when RAM ends before it", () => {
    under.machine.writePhysical(INFORMATION_ADDRESS, new Multiboot2Builder().memoryMap(pcMemoryMap(32)).build());
    under.kernel.bootReadMultiboot2(BigInt(INFORMATION_ADDRESS));
    under.kernel.memorySetUp();
    const free = under.kernel.memoryFreePages();
    under.kernel.savedStateBoot();
    expect(under.kernel.memoryFreePages()).toBe(free);
  });

  it("with RAM covering it, exactly its 8 MiB are taken from the allocator", () => {
    under.machine.writePhysical(INFORMATION_ADDRESS, new Multiboot2Builder().memoryMap(pcMemoryMap(128)).build());
    under.kernel.bootReadMultiboot2(BigInt(INFORMATION_ADDRESS));
    under.kernel.memorySetUp();
    const free = under.kernel.memoryFreePages();
    under.kernel.savedStateBoot();
    expect(free - under.kernel.memoryFreePages()).toBe(BigInt((8 << 20) / 4096));
  });

  it("a damaged area (checksum mismatch) is reported once, and its magic cleared so it is never read again", () => {
    writeHeader(1, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 12345n);
    boot(128);
    expect(magicAfterBoot()).toBe(0n);
    expect(under.machine.serialOutput).toContain("handlers: the state saved before the reboot is damaged; every handler starts afresh");
  });

  it("an intact area is accepted silently and read once; a cold boot (no magic) says nothing", async () => {
    const payload = new Uint8Array(16).map((_, index) => index);
    under.machine.writePhysical(AREA + 32, payload);
    const sum = BigInt.asUintN(64, under.kernel.savedStateChecksum(BigInt(AREA + 32), 16n));
    writeHeader(0, payload, sum);
    boot(128);
    expect(magicAfterBoot()).toBe(0n);
    expect(under.machine.serialOutput).not.toContain("damaged");
    under = await startKernel();
    boot(128);
    expect(under.machine.serialOutput).not.toContain("saved before the reboot");
  });

  it("the checksum changes when any byte of the payload does", () => {
    under.machine.writePhysical(AREA, new Uint8Array(20).fill(7));
    const before = under.kernel.savedStateChecksum(BigInt(AREA), 20n);
    under.machine.writePhysical(AREA + 19, new Uint8Array([8]));
    expect(under.kernel.savedStateChecksum(BigInt(AREA), 20n)).not.toBe(before);
    under.machine.writePhysical(AREA + 19, new Uint8Array([7]));
    under.machine.writePhysical(AREA + 3, new Uint8Array([9]));
    expect(under.kernel.savedStateChecksum(BigInt(AREA), 20n)).not.toBe(before);
  });
});
