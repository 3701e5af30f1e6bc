// Multiboot2 and PVH boot information parsing (kernel/boot/), against structures laid out as loaders do.
import { beforeEach, describe, expect, it } from "vitest";
import { Multiboot2Builder, pcMemoryMap, pvhStartInfo } from "./boot_images";
import { KernelUnderTest, startKernel } from "./fake_machine";

const INFORMATION_ADDRESS = 0x10000;
let under: KernelUnderTest;

beforeEach(async () => {
  under = await startKernel();
});

function readMultiboot2(image: Buffer, address = INFORMATION_ADDRESS): string {
  under.machine.writePhysical(address, image);
  under.kernel.bootReadMultiboot2(BigInt(address));
  under.kernel.bootError();
  return under.result();
}

/** Offset of the first tag of `type` in a multiboot2 image (tags start at 8, each padded to 8 bytes). */
function tagOffset(image: Buffer, type: number): number {
  for (let offset = 8; offset + 8 <= image.length; offset += (image.readUInt32LE(offset + 4) + 7) & ~7) {
    if (image.readUInt32LE(offset) === type) return offset;
  }
  throw new Error(`no tag ${type} in the image`);
}

function text(name: string, ...values: unknown[]): string {
  under.kernel[name](...values);
  return under.result();
}

describe("multiboot2", () => {
  it("reads the memory map, command line, loader name, modules, framebuffer and RSDP", () => {
    const image = new Multiboot2Builder()
      .commandLine("console=serial loglevel=5")
      .loaderName("GRUB 2.06")
      .module(0x300000, 0x340000, "initrd.cpio")
      .basicMemory(639, 64512)
      .memoryMap(pcMemoryMap(64))
      .framebuffer(0xfd000000n, 5120, 1280, 800, 32, 1)
      .acpiRsdp(0)
      .acpiRsdp(2)
      .build();
    expect(readMultiboot2(image)).toBe("");
    expect(text("bootProtocol")).toBe("multiboot2");
    expect(text("bootCommandLine")).toBe("console=serial loglevel=5");
    expect(text("bootLoaderName")).toBe("GRUB 2.06");
    expect(under.kernel.bootRegionCount()).toBe(6);
    expect(under.kernel.bootRegionBase(3)).toBe(0x100000n);
    expect(under.kernel.bootRegionKind(4)).toBe(2);
    expect(under.kernel.bootAvailableBytes()).toBe(0x9fc00n + 64n * 0x100000n - 0x120000n);
    expect(under.kernel.bootModuleCount()).toBe(1);
    expect(under.kernel.bootModuleStart(0)).toBe(0x300000n);
    expect(under.kernel.bootModuleEnd(0)).toBe(0x340000n);
    expect(text("bootModuleName", 0)).toBe("initrd.cpio");
    expect(under.kernel.bootHasFramebuffer()).toBe(1);
    expect(under.kernel.bootFramebufferAddress()).toBe(0xfd000000n);
    expect(under.kernel.bootFramebufferWidth()).toBe(1280);
    expect(under.kernel.bootFramebufferHeight()).toBe(800);
    expect(under.kernel.bootFramebufferPitch()).toBe(5120);
    expect(under.kernel.bootFramebufferBitsPerPixel()).toBe(32);
    expect(under.kernel.bootFramebufferKind()).toBe(1);
    expect(under.kernel.bootFramebufferRedPosition()).toBe(16);
    expect(under.kernel.bootRsdpRevision()).toBe(2);
    // The RSDP copy sits inside the information structure, 8 bytes into its tag.
    expect(under.kernel.bootRsdpAddress()).toBe(BigInt(INFORMATION_ADDRESS + tagOffset(image, 15) + 8));
  });

  it("takes the RSDP copy from tag 15 (ACPI new RSDP) over tag 14 in either order, else from tag 14", async () => {
    const newFirst = new Multiboot2Builder().memoryMap(pcMemoryMap(16)).acpiRsdp(2).acpiRsdp(0).build();
    expect(readMultiboot2(newFirst)).toBe("");
    expect(under.kernel.bootRsdpAddress()).toBe(BigInt(INFORMATION_ADDRESS + tagOffset(newFirst, 15) + 8));
    expect(under.kernel.bootRsdpRevision()).toBe(2);
    under = await startKernel();
    const oldOnly = new Multiboot2Builder().memoryMap(pcMemoryMap(16)).acpiRsdp(0).build();
    expect(readMultiboot2(oldOnly)).toBe("");
    expect(under.kernel.bootRsdpAddress()).toBe(BigInt(INFORMATION_ADDRESS + tagOffset(oldOnly, 14) + 8));
    expect(under.kernel.bootRsdpRevision()).toBe(0);
    under = await startKernel();
    expect(readMultiboot2(new Multiboot2Builder().memoryMap(pcMemoryMap(16)).build())).toBe("");
    expect(under.kernel.bootRsdpAddress()).toBe(0n);
  });

  it("falls back to basic memory information when there is no memory map", () => {
    expect(readMultiboot2(new Multiboot2Builder().basicMemory(639, 15360).build())).toBe("");
    expect(under.kernel.bootRegionCount()).toBe(2);
    expect(under.kernel.bootRegionBase(1)).toBe(0x100000n);
    expect(under.kernel.bootRegionLength(1)).toBe(15360n * 1024n);
  });

  it("skips tags it does not know", () => {
    const image = new Multiboot2Builder().tag(21, Buffer.alloc(4)).memoryMap(pcMemoryMap(16)).build();
    expect(readMultiboot2(image)).toBe("");
    expect(under.kernel.bootRegionCount()).toBe(6);
  });

  it("refuses an address that is not 8-byte aligned", () => {
    expect(readMultiboot2(new Multiboot2Builder().memoryMap(pcMemoryMap(16)).build(), INFORMATION_ADDRESS + 4))
      .toMatch(/not 8-byte aligned/);
  });

  it("refuses a total size outside 16 bytes to 64 KiB", () => {
    expect(readMultiboot2(new Multiboot2Builder().build({ totalOverride: 8 }))).toMatch(/claims 8 bytes; expected 16 to 65536/);
    expect(readMultiboot2(new Multiboot2Builder().build({ totalOverride: 1 << 20 }))).toMatch(/claims 1048576 bytes/);
  });

  it("refuses a tag whose size runs past the end, naming the tag and offset", () => {
    const image = new Multiboot2Builder().memoryMap(pcMemoryMap(16)).tag(1, Buffer.from("x\0"), 4096).build();
    expect(readMultiboot2(image)).toMatch(/multiboot2 tag 1 at offset 168: size 4096 runs past the end/);
  });

  it("refuses a tag smaller than its own header", () => {
    const image = new Multiboot2Builder().tag(2, Buffer.alloc(0), 4).build();
    expect(readMultiboot2(image)).toMatch(/tag 2 at offset 8: size 4/);
  });

  it("refuses a structure with no end tag", () => {
    expect(readMultiboot2(new Multiboot2Builder().memoryMap(pcMemoryMap(16)).build({ end: false }))).toMatch(/no end tag/);
  });

  it("refuses a structure with no memory information at all", () => {
    expect(readMultiboot2(new Multiboot2Builder().commandLine("x").build())).toMatch(/no memory map \(tag 6\)/);
  });

  it("refuses a memory map with a bad entry size", () => {
    expect(readMultiboot2(new Multiboot2Builder().memoryMap(pcMemoryMap(16), 20).build()))
      .toMatch(/memory map \(tag 6 at offset 8\): entry size 20/);
  });

  it("refuses a framebuffer tag too short to hold its fields", () => {
    expect(readMultiboot2(new Multiboot2Builder().memoryMap(pcMemoryMap(16)).tag(8, Buffer.alloc(8)).build()))
      .toMatch(/framebuffer \(tag 8 at offset 168\): 16 bytes, expected at least 31/);
  });

  it("checks the size field against the bytes it was given", () => {
    const image = new Multiboot2Builder().memoryMap(pcMemoryMap(16)).build();
    under.input(image);
    under.kernel.bootParseMultiboot2Input(image.length + 8);
    under.kernel.bootError();
    expect(under.result()).toMatch(/size field says 176 bytes, expected 184/);
  });
});

describe("PVH start info", () => {
  it("reads the memory map, command line and modules", () => {
    const { startInfo, memoryMap, moduleList } = pvhStartInfo({
      memoryMapAddress: 0x7000,
      entries: pcMemoryMap(128),
      commandLineAddress: 0x8000,
      modules: [{ listAddress: 0x9000, start: 0x400000n, size: 0x1000n }],
    });
    under.machine.writePhysical(0x6000, startInfo);
    under.machine.writePhysical(0x7000, memoryMap);
    under.machine.writePhysical(0x9000, moduleList);
    under.machine.writePhysical(0x8000, Buffer.from("test=selftest marker=abc\0"));
    under.kernel.bootReadPvh(0x6000n);
    expect(text("bootError")).toBe("");
    expect(text("bootProtocol")).toBe("pvh");
    expect(text("bootCommandLine")).toBe("test=selftest marker=abc");
    expect(under.kernel.bootRegionCount()).toBe(6);
    expect(under.kernel.bootRegionLength(3)).toBe(128n * 0x100000n - 0x120000n);
    expect(under.kernel.bootModuleCount()).toBe(1);
    expect(under.kernel.bootModuleEnd(0)).toBe(0x401000n);
    expect(under.kernel.bootRsdpAddress()).toBe(0xf5a30n);
  });

  it("takes the RSDP address from rsdp_paddr (offset 0x20), 0 when the loader gives none", () => {
    const { startInfo, memoryMap } = pvhStartInfo({ memoryMapAddress: 0x7000, entries: pcMemoryMap(16) });
    startInfo.writeBigUInt64LE(0x7ffe1240n, 0x20);
    under.machine.writePhysical(0x6000, startInfo);
    under.machine.writePhysical(0x7000, memoryMap);
    under.kernel.bootReadPvh(0x6000n);
    expect(text("bootError")).toBe("");
    expect(under.kernel.bootRsdpAddress()).toBe(0x7ffe1240n);
    startInfo.writeBigUInt64LE(0n, 0x20);
    under.machine.writePhysical(0x6000, startInfo);
    under.kernel.bootReadPvh(0x6000n);
    expect(under.kernel.bootRsdpAddress()).toBe(0n);
  });

  it("refuses a bad magic number", () => {
    const { startInfo } = pvhStartInfo({ memoryMapAddress: 0x7000, entries: pcMemoryMap(16), magic: 0x12345678 });
    under.machine.writePhysical(0x6000, startInfo);
    under.kernel.bootReadPvh(0x6000n);
    expect(text("bootError")).toMatch(/magic 0x12345678, expected 0x336ec578/);
  });

  it("refuses version 0, which carries no memory map", () => {
    const { startInfo } = pvhStartInfo({ memoryMapAddress: 0x7000, entries: pcMemoryMap(16), version: 0 });
    under.machine.writePhysical(0x6000, startInfo);
    under.kernel.bootReadPvh(0x6000n);
    expect(text("bootError")).toMatch(/version 0 carries no memory map/);
  });
});

/** The kept command line: its length, and its start (the harness's result text holds 512 bytes). */
function expectCommandLine(expected: string): void {
  expect(under.kernel.bootCommandLineLength()).toBe(expected.length);
  expect(text("bootCommandLine")).toBe(expected.slice(0, 512));
}

function warnings(): string[] {
  return Array.from({ length: under.kernel.bootWarningCount() }, (_, index) => text("bootWarning", index));
}

describe("a command line longer than COMMAND_LINE_MAX_BYTES (1024)", () => {
  const long = "console=serial " + "x".repeat(5000 - 15);

  it("multiboot2: is cut to 1024 bytes with a warning naming its length", () => {
    expect(readMultiboot2(new Multiboot2Builder().commandLine(long).memoryMap(pcMemoryMap(16)).build())).toBe("");
    expectCommandLine(long.slice(0, 1024));
    expect(warnings()).toEqual(["command line: 5000 bytes, cut to the first 1024 (COMMAND_LINE_MAX_BYTES); the rest is ignored"]);
  });

  it("PVH: is cut to 1024 bytes with a warning; one of exactly 1024 bytes is kept whole without one", () => {
    const { startInfo, memoryMap } = pvhStartInfo({ memoryMapAddress: 0x7000, entries: pcMemoryMap(16), commandLineAddress: 0x8000 });
    under.machine.writePhysical(0x6000, startInfo);
    under.machine.writePhysical(0x7000, memoryMap);
    under.machine.writePhysical(0x8000, Buffer.from(long + "\0"));
    under.kernel.bootReadPvh(0x6000n);
    expect(text("bootError")).toBe("");
    expectCommandLine(long.slice(0, 1024));
    expect(warnings()).toEqual(["command line: 5000 bytes, cut to the first 1024 (COMMAND_LINE_MAX_BYTES); the rest is ignored"]);
    under.machine.writePhysical(0x8000, Buffer.from(long.slice(0, 1024) + "\0"));
    under.kernel.bootReadPvh(0x6000n);
    expectCommandLine(long.slice(0, 1024));
    expect(warnings()).toEqual([]);
  });
});

/** QEMU's fw_cfg on the fake machine's ports 0x510/0x511: the items a PVH boot reads when its start info was overwritten. */
function fakeFwCfg(items: Map<number, Buffer>): void {
  let selected = Buffer.alloc(0);
  let position = 0;
  under.machine.onPortWrite = (port, value) => {
    if (port !== 0x510) return;
    selected = items.get(value) ?? Buffer.alloc(0);
    position = 0;
  };
  under.machine.portValues.set(0x511, () => (position < selected.length ? selected[position++] : 0));
}

function fwCfgItems(commandLine: string, e820: { base: bigint; length: bigint; kind: number }[]): Map<number, Buffer> {
  const u32 = (value: number) => { const buffer = Buffer.alloc(4); buffer.writeUInt32LE(value); return buffer; };
  const table = Buffer.alloc(e820.length * 20);
  e820.forEach((entry, index) => {
    table.writeBigUInt64LE(entry.base, index * 20);
    table.writeBigUInt64LE(entry.length, index * 20 + 8);
    table.writeUInt32LE(entry.kind, index * 20 + 16);
  });
  const directory = Buffer.alloc(4 + 2 * 64);
  directory.writeUInt32BE(2, 0);
  directory.writeUInt32BE(8, 4); // another file first: the search must go on past it
  directory.writeUInt16BE(0x20, 8);
  directory.write("etc/boot-fail-wait", 12);
  directory.writeUInt32BE(table.length, 68);
  directory.writeUInt16BE(0x21, 72);
  directory.write("etc/e820", 76);
  return new Map([
    [0x00, Buffer.from("QEMU")],
    [0x0a, u32(0x7000000)],
    [0x0b, u32(0x2000)],
    [0x14, u32(commandLine.length + 1)],
    [0x15, Buffer.from(commandLine + "\0")],
    [0x19, directory],
    [0x21, table],
  ]);
}

describe("PVH start info overwritten by QEMU's option ROM (a command line over 4095 bytes)", () => {
  const long = "console=serial " + "a".repeat(5000 - 15);

  it("is rebuilt from fw_cfg: memory map, command line (cut with a warning) and initrd, with a warning naming why", () => {
    fakeFwCfg(fwCfgItems(long, [{ base: 0n, length: 0x8000000n, kind: 1 }, { base: 0xfffc0000n, length: 0x40000n, kind: 2 }]));
    under.machine.writePhysical(0x11e0, Buffer.from(long.slice(0, 4096 + 56)));
    under.kernel.bootReadPvh(0x21e0n);
    expect(text("bootError")).toBe("");
    expectCommandLine(long.slice(0, 1024));
    expect(under.kernel.bootRegionCount()).toBe(2);
    expect(under.kernel.bootRegionLength(0)).toBe(0x8000000n);
    expect(under.kernel.bootRegionKind(1)).toBe(2);
    expect(under.kernel.bootModuleCount()).toBe(1);
    expect(under.kernel.bootModuleStart(0)).toBe(0x7000000n);
    expect(under.kernel.bootModuleEnd(0)).toBe(0x7002000n);
    expect(warnings()).toEqual([
      "PVH: QEMU's option ROM copied the 5000-byte command line into its 4096-byte buffer and overwrote the start info at 0x21e0; " +
        "the memory map, command line and initrd were read from fw_cfg instead",
      "command line: 5000 bytes, cut to the first 1024 (COMMAND_LINE_MAX_BYTES); the rest is ignored",
    ]);
  });

  it("a bad magic with a short command line in fw_cfg (or no fw_cfg) is still refused", () => {
    fakeFwCfg(fwCfgItems("console=serial", [{ base: 0n, length: 0x8000000n, kind: 1 }]));
    under.machine.writePhysical(0x21e0, Buffer.from("aaaa"));
    under.kernel.bootReadPvh(0x21e0n);
    expect(text("bootError")).toMatch(/PVH start info at 0x21e0: magic 0x61616161, expected 0x336ec578/);
  });
});
