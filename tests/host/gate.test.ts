// The gate's tables, copy ranges and capability patterns, and the boot descriptor read back by the kernel's own code.
import { crc32 } from "node:zlib";
import { describe, expect, test } from "vitest";
import { calls, capabilities, recordLayout, recordNamed } from "../../interface/optios.ts";
import { encodeDescriptor } from "../../toolchain/src/build/boot_descriptor.ts";
import type { SystemConfig } from "../../toolchain/src/system/schema.ts";
import { startKernel, type KernelUnderTest } from "./fake_machine";

const ENTRY = "gate_under_test";

async function gate(): Promise<KernelUnderTest & { text(length: number): string; put(bytes: Uint8Array): number }> {
  const started = await startKernel(undefined, ENTRY);
  const memory = () => new Uint8Array(started.kernel.memory.buffer);
  return {
    ...started,
    put(bytes) {
      memory().set(bytes, started.kernel.inputPointer());
      return bytes.length;
    },
    text(length) {
      return Buffer.from(memory().subarray(started.kernel.outputPointer(), started.kernel.outputPointer() + length)).toString("utf8");
    },
  };
}

describe("the call table", () => {
  test("every declared call has an implementation and its capability; no other number has one", async () => {
    const kernel = (await gate()).kernel;
    const declared = new Map(calls.map((call) => [call.number, call]));
    expect(kernel.callSlots()).toBe(Math.max(...declared.keys()) + 1);
    for (let number = 0; number < kernel.callSlots(); number++) {
      const call = declared.get(number);
      expect(Boolean(kernel.isImplemented(number)), `call ${number} (${call?.name ?? "unused"})`).toBe(call !== undefined);
      const capability = call?.capability ? capabilities.find((entry) => entry.name === call.capability)!.number : 0;
      expect(kernel.capabilityOf(number), `call ${number}'s capability`).toBe(capability);
    }
  });
});

describe("copy-in and copy-out ranges", () => {
  const size = 65536n;
  test.each([
    ["inside", 0n, 16n, true],
    ["ending exactly at the end", size - 16n, 16n, true],
    ["an empty range at the end", size, 0n, true],
    ["one byte past the end", size - 15n, 16n, false],
    ["starting past the end", size + 1n, 0n, false],
    ["a length larger than the memory", 0n, size + 1n, false],
    ["an address near 2^64 (a sum would wrap)", 0xffff_ffff_ffff_fff0n, 0x20n, false],
    ["a length near 2^64 (a sum would wrap)", 16n, 0xffff_ffff_ffff_fff8n, false],
    ["4 GiB - 1, a 32-bit module's highest address", 0xffff_ffffn, 1n, false],
  ])("%s", async (_, address, length, fits) => {
    expect((await gate()).kernel.fits(address, length, size)).toBe(fits ? 1 : 0);
  });
});

describe("capability patterns", () => {
  test.each([
    ["door.opened", "door.opened", true],
    ["door.opened", "door.closed", false],
    ["door.opened", "door.opened.late", false],
    ["door.*", "door.opened", true],
    ["door.*", "door.", true],
    ["door.*", "door", false],
    ["door.*", "window.opened", false],
    ["*", "anything", true],
    ["*", "", true],
  ])("%s admits %s: %s", async (pattern, name, expected) => {
    const { kernel, put } = await gate();
    put(Buffer.from(pattern + name));
    expect(kernel.matches(pattern.length, name.length)).toBe(expected ? 1 : 0);
  });
});

const SYSTEM: SystemConfig = {
  system: { hostname: "box", version: "1", keepGenerations: 5, deploy: false },
  foreground: { max: 2, programs: ["shell"] },
  handlers: [
    {
      name: "doorbell", source: "h.ts", version: "7",
      triggers: { everyNanoseconds: 250_000_000, afterNanoseconds: null, events: ["door.opened", "door.closed"], boot: true, messages: false, calls: false },
      budgetNanoseconds: 5_000_000, memoryBytes: 131_072, capabilities: ["emit:door.*", "status:heartbeat", "post:heartbeat"], queueDepth: 16,
    },
    {
      name: "heartbeat", source: "b.ts", version: "1",
      triggers: { everyNanoseconds: null, afterNanoseconds: 2_000_000_000, events: [], boot: false, messages: true, calls: true },
      budgetNanoseconds: 10_000_000, memoryBytes: 65_536, capabilities: [], queueDepth: 200,
    },
  ],
  programs: [
    { name: "counter", source: "c.ts", memoryBytes: 262_144, capabilities: [] },
    { name: "shell", source: "s.ts", memoryBytes: 1_048_576, capabilities: ["report:*", "files:read", "programs", "power"] },
  ],
  network: {},
};

const headerBytes = recordLayout(recordNamed("DescriptorHeader")).bytes;
const headerField = (name: string) => recordLayout(recordNamed("DescriptorHeader")).offsets.get(name)!;

/** The descriptor with `edit` applied; `reseal` recomputes the checksum so only the edit is wrong. */
function corrupted(edit: (bytes: Buffer) => Buffer, reseal = true): Buffer {
  const bytes = edit(Buffer.from(encodeDescriptor(SYSTEM)));
  if (reseal && bytes.length >= headerBytes) bytes.writeUInt32LE(crc32(bytes.subarray(headerBytes)), headerField("checksum"));
  return bytes;
}

describe("the boot descriptor", () => {
  test("round-trips: what the toolchain writes, the kernel reads field for field", async () => {
    const { kernel, put, text } = await gate();
    const bytes = encodeDescriptor(SYSTEM);
    expect(text(kernel.descriptorDump(put(bytes)))).toBe([
      "max 2",
      "handler doorbell version 7 budget 5000000 every 250000000 after 0 memory 131072 boot yes queue 16 messages no calls no events [door.opened,door.closed] grants [emit:door.*, status:heartbeat, post:heartbeat]",
      "handler heartbeat version 1 budget 10000000 every 0 after 2000000000 memory 65536 boot no queue 200 messages yes calls yes events [] grants [none]",
      "program counter memory 262144 console 0 grants [none]",
      "program shell memory 1048576 console 1 grants [report:*, files:read, programs, power]",
      "",
    ].join("\n"));
  });

  test("the kernel's CRC-32 is zlib's", async () => {
    const { kernel, put } = await gate();
    const bytes = Buffer.from("The quick brown fox jumps over the lazy dog");
    expect(kernel.crc(put(bytes)) >>> 0).toBe(crc32(bytes));
  });

  test.each([
    ["truncated below its header", (b: Buffer) => b.subarray(0, 20), false,
      "truncated: 20 bytes, shorter than its 88-byte header"],
    ["truncated after its header", (b: Buffer) => b.subarray(0, b.length - 3), true,
      `truncated: the header says ${encodeDescriptor(SYSTEM).length} bytes, the file has ${encodeDescriptor(SYSTEM).length - 3}`],
    ["wrong magic", (b: Buffer) => (b.writeUInt32LE(0x12345678, headerField("magic")), b), true,
      "not a boot descriptor (magic 0x12345678, expected 0x5344534f)"],
    ["wrong version", (b: Buffer) => (b.writeUInt32LE(9, headerField("version")), b), true,
      "format version 9, but this kernel reads version 4 (build the system and the kernel with the same toolchain)"],
    ["a damaged byte", (b: Buffer) => (b[b.length - 1] ^= 0x20, b), false, "damaged: checksum 0x"],
    ["too many handlers", (b: Buffer) => (b.writeUInt32LE(40, headerField("handlerCount")), b), true,
      "counts out of range: 40 handlers, more than the 32 this kernel runs"],
    ["counts that do not add up", (b: Buffer) => (b.writeUInt32LE(9, headerField("grantCount")), b), true,
      "counts out of range: its tables and strings need"],
    ["foreground max 0", (b: Buffer) => (b.writeUInt32LE(0, headerField("foregroundMax")), b), true,
      "foreground max 0 is out of range (1 to 4)"],
    ["a name outside the strings", (b: Buffer) => {
      const offset = headerBytes + recordLayout(recordNamed("DescriptorHandler")).offsets.get("nameOffset")!;
      b.writeUInt32LE(10_000, offset);
      return b;
    }, true, "handler #1: its name lies outside the strings"],
    ["a queue deeper than QUEUE_DEPTH_MAX", (b: Buffer) => {
      const offset = headerBytes + recordLayout(recordNamed("DescriptorHandler")).offsets.get("queueDepth")!;
      b.writeUInt32LE(100_000, offset);
      return b;
    }, true, "handler #1: a queue of 100000 (1 to 256)"],
    ["an unknown capability", (b: Buffer) => {
      const grants = headerBytes + 2 * recordLayout(recordNamed("DescriptorHandler")).bytes + 2 * recordLayout(recordNamed("DescriptorProgram")).bytes;
      b.writeUInt32LE(99, grants);
      return b;
    }, true, "grant #1: unknown capability number 99"],
  ])("is refused when %s, with its own message, and a safe system boots", async (_, edit, reseal, message) => {
    const { kernel, put, text } = await gate();
    const bytes = corrupted(edit, reseal);
    expect(text(kernel.descriptorDump(put(bytes)))).toContain(`error: ${message}`);
    expect(text(kernel.descriptorFallback(put(bytes)))).toMatch(/^\/etc\/system\.descriptor: .* \| 0 handlers \| shell \[report:\*, files:read, power\]$/);
  });
});
