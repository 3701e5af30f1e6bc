// ACPI power control (kernel/arch/x86_64/acpi.ts, kernel/power.ts) over tables laid out as firmware does, and broken ones.
import { describe, expect, it } from "vitest";
import { MachineHalted, startKernel, type FakeMachine, type KernelUnderTest } from "./fake_machine";

const RSDP = 0xf5a30;
const RSDT = 0x7fe0000;
const XSDT = 0x7fe0100;
const FADT = 0x7fe1000;
const DSDT = 0x7fe2000;
const OTHER_TABLE = 0x7fe3000;
const FOUR_GIB = 0x1_0000_0000;

// DSDT bodies (the AML after the 36-byte header) as iasl 20200925 compiles the ASL beside each.
const aml = (hex: string) => Buffer.from(hex, "hex");
/** Name (_S5, Package (0x04) { 0x05, 0x05, 0, 0 }) */
const S5_BYTE_CONSTANTS = aml("085f53355f1208040a050a050000");
/** QEMU's: Name (\_S5, Package (0x04) { Zero, Zero, Zero, Zero }) then Scope (\_SB) { Name (X, 1) } */
const S5_ZERO_OPS = aml("085f53355f12060400000000100b5f53425f08585f5f5f01");
/**
 * Method (PTSX, 0) { Return (\_S5) } — "_S5_" after ReturnOp, not a declaration — then
 * Scope (\_SB) { Name (\_S5, Package (0x30) { 0x05, 0x0107, One, Zero, 1, 2, … 32 }) }:
 * a root prefix, a two-byte PkgLength and a WordConst whose low three bits are SLP_TYPb.
 */
const S5_PREFIXED_LONG = aml("140b5054535800a45f53355f1046055f53425f085c5f53355f124904300a050b07010100010a020a030a040a050a" +
  "060a070a080a090a0a0a0b0a0c0a0d0a0e0a0f0a100a110a120a130a140a150a160a170a180a190a1a0a1b0a1c0a1d0a1e0a1f0a20");
/** Name (_S5, Package () { 0x05, 0x07, 0x10, 0x11, … 0x2c, Zero }): PkgLength 42 04 (66 bytes) ends the table. */
const S5_TWO_BYTE_LENGTH = aml("085f53355f124204200a050a070a100a110a120a130a140a150a160a170a180a190a1a0a1b0a1c0a1d0a1e0a1f0a200a" +
  "210a220a230a240a250a260a270a280a290a2a0a2b0a2c00");
/** Name (_S5, Package (1) { 0x0705 }): one integer, SLP_TYPa in bits 0-7 and SLP_TYPb in bits 8-15. */
const S5_ONE_ELEMENT = aml("085f53355f1205010b0507");
/** Name (_S4, Package (0x04) { 0x06, 0x06, 0, 0 }) and nothing for S5. */
const NO_S5 = aml("085f53345f1208040a060a060000");
/** Name (_S5, Package (2) { SLPA, 0x05 }): the first element names an object instead of being an integer. */
const S5_NAME_ELEMENT = aml("085f53355f1208024f4f4f4f0a05");
/** PkgLength 0x0a (ten bytes) where only eight are left in the table. */
const S5_PAST_THE_END = aml("085f53355f120a040a050a050000");

/** Sets byte `at` so that all of `bytes` adds up to 0 modulo 256. */
function withChecksum(bytes: Buffer, at: number, length = bytes.length): Buffer {
  bytes[at] = 0;
  let sum = 0;
  for (let i = 0; i < length; i++) sum += bytes[i];
  bytes[at] = (256 - (sum % 256)) % 256;
  return bytes;
}

/** A system description table: the 36-byte header, then `body`. */
function table(signature: string, body: Buffer, revision = 1): Buffer {
  const header = Buffer.alloc(36);
  header.write(signature, 0, "latin1");
  header.writeUInt32LE(36 + body.length, 4);
  header[8] = revision;
  header.write("OPTIOS", 10, "latin1");
  header.write("TESTTABL", 16, "latin1");
  return withChecksum(Buffer.concat([header, body]), 9);
}

function rsdpVersion1(rsdt: number): Buffer {
  const rsdp = Buffer.alloc(20);
  rsdp.write("RSD PTR ", 0, "latin1");
  rsdp.write("OPTIOS", 9, "latin1");
  rsdp.writeUInt32LE(rsdt, 16);
  return withChecksum(rsdp, 8);
}

function rsdpVersion2(xsdt: bigint, rsdt = 0): Buffer {
  const rsdp = Buffer.alloc(36);
  rsdp.write("RSD PTR ", 0, "latin1");
  rsdp.write("OPTIOS", 9, "latin1");
  rsdp[15] = 2;
  rsdp.writeUInt32LE(rsdt, 16);
  rsdp.writeUInt32LE(36, 20);
  rsdp.writeBigUInt64LE(xsdt, 24);
  withChecksum(rsdp, 8, 20);
  return withChecksum(rsdp, 32);
}

function rsdt(entries: number[]): Buffer {
  const body = Buffer.alloc(entries.length * 4);
  entries.forEach((entry, index) => body.writeUInt32LE(entry, index * 4));
  return table("RSDT", body);
}

function xsdt(entries: bigint[]): Buffer {
  const body = Buffer.alloc(entries.length * 8);
  entries.forEach((entry, index) => body.writeBigUInt64LE(entry, index * 8));
  return table("XSDT", body);
}

interface FadtOptions {
  pm1a?: number;
  pm1b?: number;
  dsdt?: number;
  xDsdt?: bigint;
  flags?: number;
  reset?: { space: number; address: bigint; value: number };
  /** The whole table's length: 244 (revision 3 and later) unless told. */
  length?: number;
}

const RESET_REGISTER_SUPPORTED = 1 << 10;

function fadt(options: FadtOptions = {}): Buffer {
  const length = options.length ?? 244;
  const body = Buffer.alloc(244 - 36);
  const at = (offset: number) => offset - 36;
  body.writeUInt32LE(options.dsdt ?? DSDT, at(40));
  body.writeUInt32LE(options.pm1a ?? 0x604, at(64));
  body.writeUInt32LE(options.pm1b ?? 0, at(68));
  body.writeUInt32LE(options.flags ?? 0, at(112));
  if (options.reset) {
    body[at(116)] = options.reset.space;
    body[at(117)] = 8;
    body.writeBigUInt64LE(options.reset.address, at(120));
    body[at(128)] = options.reset.value;
  }
  body.writeBigUInt64LE(options.xDsdt ?? 0n, at(140));
  return table("FACP", body.subarray(0, length - 36), length >= 244 ? 3 : 1);
}

function dsdt(body: Buffer): Buffer {
  return table("DSDT", body, 2);
}

type Layout = Map<number, Buffer>;

/** A PC's tables: RSDP version 1 → RSDT (an APIC table, then the FADT) → DSDT with `body`. */
function firmware(body: Buffer = S5_BYTE_CONSTANTS, options: FadtOptions = {}): Layout {
  return new Map([
    [RSDP, rsdpVersion1(RSDT)],
    [RSDT, rsdt([OTHER_TABLE, FADT])],
    [OTHER_TABLE, table("APIC", Buffer.alloc(8))],
    [FADT, fadt(options)],
    [DSDT, dsdt(body)],
  ]);
}

async function boot(layout: Layout, configure?: (machine: FakeMachine) => void): Promise<KernelUnderTest> {
  return startKernel((machine) => {
    for (const [address, bytes] of layout) machine.writePhysical(address, bytes);
    // Each TSC read moves a second on, so every settling wait in power.ts ends after one read.
    machine.tscStepPerRead = 1_000_000_000n;
    configure?.(machine);
  }, "acpi_under_test");
}

/** Reads the tables from `rsdp` (0: search); returns the S5 error ("" when S5 can be entered). */
async function read(layout: Layout, rsdp = RSDP): Promise<KernelUnderTest> {
  const under = await boot(layout);
  under.kernel.acpiReadAt(BigInt(rsdp));
  return under;
}

/** Port writes other than the serial port's (the log may reach COM1). */
function powerWrites(machine: FakeMachine): string[] {
  return machine.portWrites
    .filter(({ port }) => port < 0x3f8 || port > 0x3ff)
    .map(({ port, value }) => `0x${port.toString(16)}<-0x${value.toString(16)}`);
}

function kernelLog(under: KernelUnderTest): string {
  const length = under.kernel.logDump() as number;
  return Buffer.from(new Uint8Array(under.kernel.memory.buffer, under.kernel.outputPointer() as number, length)).toString("latin1");
}

/** QEMU's PM1a_CNT at 0x604: SLP_EN with SLP_TYP 0 turns the machine off; its DSDT says so with Zero. */
function qemuPowersOffOnType0(machine: FakeMachine): void {
  machine.onPortWrite = (port, value) => {
    if (port === 0x604 && (value & 0x2000) !== 0 && ((value >> 10) & 7) === 0) throw new MachineHalted();
  };
}

const QEMU_BOCHS_VIRTUALBOX = ["0x604<-0x2000", "0xb004<-0x2000", "0x4004<-0x3400"];

describe("reading the ACPI tables", () => {
  it("follows RSDP version 1 → RSDT → FADT → DSDT to \\_S5_'s sleep types and the PM1a control port", async () => {
    const under = await read(firmware());
    expect(under.result()).toBe("");
    expect(under.kernel.acpiRsdpAddress()).toBe(BigInt(RSDP));
    expect(under.kernel.acpiRootIsXsdt()).toBe(0);
    expect(under.kernel.acpiRootAddress()).toBe(BigInt(RSDT));
    expect(under.kernel.acpiFadtAddress()).toBe(BigInt(FADT));
    expect(under.kernel.acpiDsdtAddress()).toBe(BigInt(DSDT));
    expect(under.kernel.acpiPm1aControlPort()).toBe(0x604);
    expect(under.kernel.acpiPm1bControlPort()).toBe(0);
    expect(under.kernel.acpiSleepTypeA()).toBe(5);
    expect(under.kernel.acpiSleepTypeB()).toBe(5);
  });

  it("prefers the XSDT of an RSDP version 2 over its RSDT", async () => {
    const layout = firmware();
    layout.set(RSDP, rsdpVersion2(BigInt(XSDT), RSDT));
    layout.set(XSDT, xsdt([BigInt(OTHER_TABLE), BigInt(FADT) + 0x800n]));
    layout.set(FADT + 0x800, fadt({ pm1a: 0xb004 }));
    const under = await read(layout);
    expect(under.result()).toBe("");
    expect(under.kernel.acpiRootIsXsdt()).toBe(1);
    expect(under.kernel.acpiRootAddress()).toBe(BigInt(XSDT));
    expect(under.kernel.acpiFadtAddress()).toBe(BigInt(FADT + 0x800));
    expect(under.kernel.acpiPm1aControlPort()).toBe(0xb004);
  });

  it("uses the RSDT when the version 2 RSDP's extended checksum is wrong (a loader's 20-byte copy)", async () => {
    const layout = firmware();
    const rsdp = rsdpVersion2(BigInt(XSDT), RSDT);
    rsdp[32] ^= 0xff;
    layout.set(RSDP, rsdp);
    layout.set(XSDT, xsdt([BigInt(FADT) + 0x800n]));
    const under = await read(layout);
    expect(under.result()).toBe("");
    expect(under.kernel.acpiRootAddress()).toBe(BigInt(RSDT));
  });

  it("searches 0xe0000-0xfffff on 16-byte boundaries when the loader gave no RSDP, skipping bad checksums", async () => {
    const layout = firmware();
    const decoy = rsdpVersion1(0x1234);
    decoy[8] ^= 1;
    layout.set(0xe0010, decoy);
    layout.set(0xe0028, rsdpVersion1(0x1234)); // not on a 16-byte boundary
    const under = await read(layout, 0);
    expect(under.result()).toBe("");
    expect(under.kernel.acpiRsdpAddress()).toBe(BigInt(RSDP));
  });

  it("searches the EBDA's first KiB before the BIOS area", async () => {
    const layout = firmware();
    layout.set(0x40e, Buffer.from([0xc0, 0x9f])); // EBDA segment 0x9fc0: physical 0x9fc00
    layout.set(0x9fc40, rsdpVersion1(RSDT));
    const under = await read(layout, 0);
    expect(under.kernel.acpiRsdpAddress()).toBe(0x9fc40n);
  });

  it("says so when there is no RSDP anywhere", async () => {
    expect((await read(new Map(), 0)).result()).toBe(
      "ACPI: no RSDP: the loader gave none and none is in the EBDA or at 0xe0000-0xfffff");
  });

  it("reads QEMU's \\_S5_ of ZeroOps", async () => {
    const under = await read(firmware(S5_ZERO_OPS));
    expect(under.result()).toBe("");
    expect([under.kernel.acpiSleepTypeA(), under.kernel.acpiSleepTypeB()]).toEqual([0, 0]);
  });

  it("finds \\_S5_ behind a root prefix, past a mere reference, with a two-byte PkgLength and a WordConst", async () => {
    const under = await read(firmware(S5_PREFIXED_LONG));
    expect(under.result()).toBe("");
    expect([under.kernel.acpiSleepTypeA(), under.kernel.acpiSleepTypeB()]).toEqual([5, 7]);
  });

  it("reads a two-byte PkgLength (low nibble, then the next byte from bit 4) up to the table's last byte", async () => {
    const under = await read(firmware(S5_TWO_BYTE_LENGTH));
    expect(under.result()).toBe("");
    expect([under.kernel.acpiSleepTypeA(), under.kernel.acpiSleepTypeB()]).toEqual([5, 7]);
  });

  it("reads a one-element \\_S5_ as SLP_TYPa in bits 0-7 and SLP_TYPb in bits 8-15", async () => {
    const under = await read(firmware(S5_ONE_ELEMENT));
    expect(under.result()).toBe("");
    expect([under.kernel.acpiSleepTypeA(), under.kernel.acpiSleepTypeB()]).toEqual([5, 7]);
  });

  it("prefers X_DSDT to DSDT", async () => {
    const layout = firmware(NO_S5, { xDsdt: BigInt(DSDT) + 0x800n });
    layout.set(DSDT + 0x800, dsdt(S5_ZERO_OPS));
    const under = await read(layout);
    expect(under.result()).toBe("");
    expect(under.kernel.acpiDsdtAddress()).toBe(BigInt(DSDT + 0x800));
  });

  it("reads PM1b_CNT_BLK and the reset register", async () => {
    const under = await read(firmware(S5_BYTE_CONSTANTS,
      { pm1b: 0x1004, flags: RESET_REGISTER_SUPPORTED, reset: { space: 1, address: 0xcf9n, value: 6 } }));
    expect(under.kernel.acpiPm1bControlPort()).toBe(0x1004);
    under.kernel.acpiResetError();
    expect(under.result()).toBe("");
    expect([under.kernel.acpiResetSpace(), under.kernel.acpiResetAddress(), under.kernel.acpiResetValue()]).toEqual([1, 0xcf9n, 6]);
  });
});

describe("broken ACPI tables give a reason, never a trap", () => {
  const cases: [string, () => Layout, string][] = [
    ["a bad RSDP checksum", () => {
      const layout = firmware();
      layout.get(RSDP)![8] ^= 1;
      return layout;
    }, "ACPI: RSDP at 0xf5a30 has a bad checksum"],
    ["a bad RSDT checksum", () => {
      const layout = firmware();
      layout.get(RSDT)![9] ^= 1;
      return layout;
    }, "ACPI: RSDT at 0x7fe0000 has a bad checksum"],
    ["an RSDT whose length is garbage", () => {
      const layout = firmware();
      layout.get(RSDT)!.writeUInt32LE(0x7fffffff, 4);
      return layout;
    }, "ACPI: RSDT at 0x7fe0000 claims 2147483647 bytes; expected 36 to 1048576, below 4 GiB"],
    ["a signature that is not RSD PTR", () => new Map([[RSDP, Buffer.from("RSD PTX ")]]),
      "ACPI: no \"RSD PTR \" signature at 0xf5a30"],
    ["no FADT in the RSDT", () => {
      const layout = firmware();
      layout.set(RSDT, rsdt([OTHER_TABLE]));
      return layout;
    }, "ACPI: no FADT in the RSDT"],
    ["no FADT in the XSDT, only one above 4 GiB", () => {
      const layout = firmware();
      layout.set(RSDP, rsdpVersion2(BigInt(XSDT), RSDT));
      layout.set(XSDT, xsdt([BigInt(OTHER_TABLE), BigInt(FOUR_GIB + FADT)]));
      layout.set(FOUR_GIB + FADT, fadt());
      return layout;
    }, "ACPI: no FADT in the XSDT"],
    ["a FADT with a bad checksum", () => {
      const layout = firmware();
      layout.get(FADT)![9] ^= 1;
      return layout;
    }, "ACPI: FADT at 0x7fe1000 has a bad checksum"],
    ["a FADT without PM1a_CNT_BLK", () => firmware(S5_BYTE_CONSTANTS, { pm1a: 0 }),
      "ACPI: the FADT gives no usable PM1a control port (PM1a_CNT_BLK 0x0, PM1b_CNT_BLK 0x0; hardware-reduced ACPI is not supported)"],
    ["a FADT without a DSDT", () => firmware(S5_BYTE_CONSTANTS, { dsdt: 0 }), "ACPI: the FADT gives no DSDT"],
    ["a DSDT that is not one", () => {
      const layout = firmware();
      layout.set(DSDT, table("SSDT", S5_BYTE_CONSTANTS));
      return layout;
    }, "ACPI: DSDT at 0x7fe2000 has signature \"SSDT\""],
    ["a DSDT without \\_S5_", () => firmware(NO_S5), "ACPI: DSDT has no _S5_ package"],
    ["an \\_S5_ element that is not an integer", () => firmware(S5_NAME_ELEMENT),
      "ACPI: the DSDT's _S5_ package element 0 is AML opcode 0x4f, not an integer"],
    ["an \\_S5_ package longer than the DSDT", () => firmware(S5_PAST_THE_END),
      "ACPI: the DSDT's _S5_ package runs past the end of the table"],
  ];

  it.each(cases)("%s", async (_name, layout, message) => {
    expect((await read(layout())).result()).toBe(message);
  });

  it("survives garbage AML full of \"_S5_\" names", async () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const under = await boot(new Map());
    for (let round = 0; round < 100; round++) {
      const body = Buffer.from(Array.from({ length: 64 + random() }, random));
      for (let i = 0; i < 4; i++) {
        const at = random() % Math.max(1, body.length - 12);
        body.set([0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12], at);
      }
      const layout = firmware(body);
      for (const [address, bytes] of layout) under.machine.writePhysical(address, bytes);
      under.kernel.acpiReadAt(BigInt(RSDP));
      expect(under.result()).toMatch(/^$|^ACPI: /);
    }
  });

  it("reports a FADT too short for RESET_REG, and one without RESET_REG_SUP, yet still finds S5", async () => {
    let under = await read(firmware(S5_BYTE_CONSTANTS, { length: 116 }));
    expect(under.result()).toBe("");
    under.kernel.acpiResetError();
    expect(under.result()).toBe("ACPI: the FADT (116 bytes, revision 1) is too short to hold RESET_REG");
    under = await read(firmware(S5_BYTE_CONSTANTS, { reset: { space: 1, address: 0xcf9n, value: 6 } }));
    under.kernel.acpiResetError();
    expect(under.result()).toBe("ACPI: the FADT does not offer a reset register (flag RESET_REG_SUP is clear)");
    under = await read(firmware(S5_BYTE_CONSTANTS, { flags: RESET_REGISTER_SUPPORTED, reset: { space: 2, address: 0x10cf9n, value: 6 } }));
    under.kernel.acpiResetError();
    expect(under.result()).toBe("ACPI: the reset register is in address space 2; only system memory (0) and I/O (1) are handled");
  });
});

describe("powerOff", () => {
  it("writes SLP_TYPa << 10 | SLP_EN to PM1a_CNT and nothing else when that turns the machine off", async () => {
    const under = await boot(firmware(), (machine) => {
      machine.onPortWrite = (port, value) => {
        if (port === 0x604 && value === 0x3400) throw new MachineHalted();
      };
    });
    expect(() => under.kernel.powerOffWith(BigInt(RSDP))).toThrow(MachineHalted);
    expect(powerWrites(under.machine)).toEqual(["0x604<-0x3400"]);
    expect(kernelLog(under)).toContain("power: ACPI S5: PM1a_CNT port 0x604 <- 0x3400");
  });

  it("writes SLP_TYPb to PM1b_CNT too when the machine has one", async () => {
    const under = await boot(firmware(S5_PREFIXED_LONG, { pm1a: 0x1000, pm1b: 0x1004 }), (machine) => {
      machine.onPortWrite = (port) => {
        if (port === 0x1004) throw new MachineHalted();
      };
    });
    expect(() => under.kernel.powerOffWith(BigInt(RSDP))).toThrow(MachineHalted);
    expect(powerWrites(under.machine)).toEqual(["0x1000<-0x3400", "0x1004<-0x3c00"]);
  });

  it("turns QEMU off through its DSDT's SLP_TYP 0", async () => {
    const under = await boot(firmware(S5_ZERO_OPS), qemuPowersOffOnType0);
    expect(() => under.kernel.powerOffWith(BigInt(RSDP))).toThrow(MachineHalted);
    expect(powerWrites(under.machine)).toEqual(["0x604<-0x2000"]);
  });

  it("tries QEMU's, Bochs's and VirtualBox's ports when the machine is still running after S5", async () => {
    const under = await boot(firmware());
    under.kernel.powerOffWith(BigInt(RSDP));
    expect(powerWrites(under.machine)).toEqual(["0x604<-0x3400", ...QEMU_BOCHS_VIRTUALBOX]);
    expect(under.result()).toBe("power off failed: the machine kept running after ACPI S5; " +
      "the QEMU, Bochs and VirtualBox power-off ports did not stop it either");
  });

  it.each([
    ["a bad RSDP checksum", () => {
      const layout = firmware();
      layout.get(RSDP)![8] ^= 1;
      return layout;
    }, "ACPI: RSDP at 0xf5a30 has a bad checksum"],
    ["no FADT", () => {
      const layout = firmware();
      layout.set(RSDT, rsdt([OTHER_TABLE]));
      return layout;
    }, "ACPI: no FADT in the RSDT"],
    ["no \\_S5_", () => firmware(NO_S5), "ACPI: DSDT has no _S5_ package"],
  ] as [string, () => Layout, string][])("falls back to the emulators' ports on %s, and says why ACPI failed", async (_name, layout, reason) => {
    const under = await boot(layout());
    under.kernel.powerOffWith(BigInt(RSDP));
    expect(powerWrites(under.machine)).toEqual(QEMU_BOCHS_VIRTUALBOX);
    expect(under.result()).toBe(`power off failed: ${reason}; the QEMU, Bochs and VirtualBox power-off ports did not stop it either`);
    expect(kernelLog(under)).toContain(`power: ${reason}; trying the emulators' ports`);
  });

  it("stops at QEMU's port when ACPI failed on QEMU", async () => {
    const under = await boot(firmware(NO_S5), qemuPowersOffOnType0);
    expect(() => under.kernel.powerOffWith(BigInt(RSDP))).toThrow(MachineHalted);
    expect(powerWrites(under.machine)).toEqual(["0x604<-0x2000"]);
  });

  it("reads the tables once: later calls allocate nothing (the stub runtime never frees)", async () => {
    const under = await boot(firmware());
    under.kernel.powerOffWith(BigInt(RSDP));
    expect(under.kernel.powerAllocatedBytes(BigInt(RSDP), 20)).toBe(0n);
    expect(kernelLog(under).match(/power: ACPI RSDP at 0xf5a30, RSDT at 0x7fe0000, FADT at 0x7fe1000/g)).toHaveLength(1);
  });
});

describe("reboot", () => {
  const RESET_BY_0XCF9 = { flags: RESET_REGISTER_SUPPORTED, reset: { space: 1, address: 0xcf9n, value: 6 } };

  it("writes RESET_VALUE to the FADT's reset register in I/O space first", async () => {
    const under = await boot(firmware(S5_BYTE_CONSTANTS, RESET_BY_0XCF9), (machine) => {
      machine.onPortWrite = (port, value) => {
        if (port === 0xcf9 && (value & 4) !== 0) throw new MachineHalted();
      };
    });
    expect(() => under.kernel.rebootWith(BigInt(RSDP))).toThrow(MachineHalted);
    expect(powerWrites(under.machine)).toEqual(["0xcf9<-0x6"]);
    expect(kernelLog(under)).toContain("power: ACPI reset register: port 0xcf9 <- 0x6");
  });

  it("writes a reset register in memory space with physicalWrite8", async () => {
    const under = await boot(firmware(S5_BYTE_CONSTANTS,
      { flags: RESET_REGISTER_SUPPORTED, reset: { space: 0, address: 0xfed30000n, value: 0x0e } }));
    under.kernel.rebootWith(BigInt(RSDP));
    expect(under.machine.readPhysical(0xfed30000, 1)[0]).toBe(0x0e);
    expect(powerWrites(under.machine)).toEqual(["0x64<-0xfe", "0xcf9<-0x2", "0xcf9<-0x6"]);
  });

  it("pulses the 8042's reset line once its input buffer is empty when there is no reset register", async () => {
    let statusReads = 0;
    let readsBeforeCommand = -1;
    const under = await boot(firmware(), (machine) => {
      machine.portValues.set(0x64, () => (++statusReads <= 5 ? 0x02 : 0x00));
      machine.onPortWrite = (port, value) => {
        if (port === 0x64 && value === 0xfe) {
          readsBeforeCommand = statusReads;
          throw new MachineHalted();
        }
      };
    });
    expect(() => under.kernel.rebootWith(BigInt(RSDP))).toThrow(MachineHalted);
    expect(readsBeforeCommand).toBe(6);
    expect(powerWrites(under.machine)).toEqual(["0x64<-0xfe"]);
  });

  it("goes on to PCI reset control, then says why nothing worked", async () => {
    const under = await boot(firmware());
    under.kernel.rebootWith(BigInt(RSDP));
    expect(powerWrites(under.machine)).toEqual(["0x64<-0xfe", "0xcf9<-0x2", "0xcf9<-0x6"]);
    expect(under.result()).toBe("reboot failed: ACPI: the FADT does not offer a reset register (flag RESET_REG_SUP is clear); " +
      "the 8042 reset line and PCI reset control (port 0xcf9) did not reset it either");
  });

  it("tries every way in order when the reset register does nothing", async () => {
    const under = await boot(firmware(S5_BYTE_CONSTANTS, RESET_BY_0XCF9));
    under.kernel.rebootWith(BigInt(RSDP));
    expect(powerWrites(under.machine)).toEqual(["0xcf9<-0x6", "0x64<-0xfe", "0xcf9<-0x2", "0xcf9<-0x6"]);
  });

  it("reboots without ACPI at all", async () => {
    const under = await boot(new Map());
    under.kernel.rebootWith(0n);
    expect(powerWrites(under.machine)).toEqual(["0x64<-0xfe", "0xcf9<-0x2", "0xcf9<-0x6"]);
    expect(under.result()).toMatch(/^reboot failed: ACPI: no RSDP/);
  });
});
