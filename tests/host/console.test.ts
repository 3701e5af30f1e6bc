// Console outputs (16550 UART, VGA text, framebuffer), the log ring, exception reports and panics.
import { readFileSync } from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { KernelUnderTest, MachineHalted, startKernel } from "./fake_machine";

let under: KernelUnderTest;

beforeEach(async () => {
  under = await startKernel();
});

describe("16550 UART", () => {
  it("programs 115200 baud 8N1 with FIFOs and sends lines ending in CR LF", () => {
    expect(under.kernel.serialPresent()).toBe(1);
    under.kernel.serialInitialize();
    const writes = under.machine.portWrites.filter((write) => write.port >= 0x3f8 && write.port <= 0x3fc);
    expect(writes).toEqual(expect.arrayContaining([
      { port: 0x3fb, value: 0x80 }, { port: 0x3f8, value: 1 }, { port: 0x3f9, value: 0 },
      { port: 0x3fb, value: 0x03 }, { port: 0x3fa, value: 0xc7 },
    ]));
    under.kernel.serialWriteInput(under.input("hello"));
    expect(under.machine.serialOutput).toBe("hello\r\n");
  });

  it("reports no UART when the scratch register does not keep a value", async () => {
    under = await startKernel((machine) => (machine.serialPresent = false));
    expect(under.kernel.serialPresent()).toBe(0);
  });
});

describe("VGA text", () => {
  const base = 0xb8000;
  const cell = (row: number, column: number) => {
    const bytes = under.machine.readPhysical(base + (row * 80 + column) * 2, 2);
    return { character: String.fromCharCode(bytes[0]), attribute: bytes[1] };
  };

  it("writes characters with the light-grey attribute, one line per row", () => {
    under.kernel.vgaCreate(BigInt(base), 80, 25);
    under.kernel.vgaWriteInput(under.input("OptiOS"));
    under.kernel.vgaWriteInput(under.input("second"));
    expect(cell(0, 0)).toEqual({ character: "O", attribute: 0x07 });
    expect(cell(0, 5).character).toBe("S");
    expect(cell(0, 6).character).toBe(" ");
    expect(cell(1, 0).character).toBe("s");
  });

  it("scrolls up when the screen is full, keeping the bottom row for the cursor like a terminal", () => {
    under.kernel.vgaCreate(BigInt(base), 80, 25);
    for (let line = 0; line < 26; line++) under.kernel.vgaWriteInput(under.input(`line ${line}`));
    const row = (index: number) => Array.from({ length: 7 }, (_, column) => cell(index, column).character).join("").trim();
    expect(row(0)).toBe("line 2");
    expect(row(23)).toBe("line 25");
    expect(row(24)).toBe("");
  });
});

describe("terminal bytes on a screen (program output and echo)", () => {
  const base = 0xb8000;
  const row = (index: number, length = 10) => Array.from({ length }, (_, column) =>
    String.fromCharCode(under.machine.readPhysical(base + (index * 80 + column) * 2, 1)[0])).join("").trimEnd();

  it("writes bytes at the cursor; \\n starts a new row, \\r returns to column 0, \\b moves left without erasing", () => {
    under.kernel.vgaCreate(BigInt(base), 80, 25);
    under.kernel.vgaWriteBytes(under.input("$ lx\bs\nabc\rX"));
    expect(row(0)).toBe("$ ls");
    expect(row(1)).toBe("Xbc");
  });

  it("wraps a row that reaches the last column", () => {
    under.kernel.vgaCreate(BigInt(base), 80, 25);
    under.kernel.vgaWriteBytes(under.input("x".repeat(85)));
    expect(row(0, 80)).toBe("x".repeat(80));
    expect(row(1)).toBe("xxxxx");
  });

  it("a log line after a partial row starts on a row of its own", () => {
    under.kernel.vgaCreate(BigInt(base), 80, 25);
    under.kernel.vgaWriteBytes(under.input("optios$ "));
    under.kernel.vgaWriteInput(under.input("kernel says"));
    expect(row(0)).toBe("optios$");
    expect(row(1, 12)).toBe("kernel says");
  });

  it("the UART turns \\n into CR LF and passes other bytes as they are", () => {
    under.kernel.serialWriteBytes(under.input("a\nb\b"));
    expect(under.machine.serialOutput).toBe("a\r\nb\b");
  });
});

describe("framebuffer console", () => {
  const font = readFileSync("kernel/console/font_8x16.ts", "utf8");
  function glyph(character: string): number[] {
    const line = font.split("\n").find((text) => text.endsWith(`// ${JSON.stringify(character)}`))!;
    return [...line.matchAll(/0x([0-9a-f]{2})/g)].map((match) => parseInt(match[1], 16));
  }

  it("draws each character's glyph rows in the foreground colour", () => {
    const address = 0xfd000000;
    const width = 64;
    const pitch = width * 4;
    expect(under.kernel.framebufferCreate(BigInt(address), width, 32, pitch)).toBe(1);
    under.kernel.framebufferWriteInput(under.input("Ag"));
    for (const [column, character] of [[0, "A"], [1, "g"]] as const) {
      const rows = glyph(character);
      for (let y = 0; y < 16; y++) {
        const pixels = under.machine.readPhysical(address + y * pitch + column * 32, 32);
        const lit = new DataView(pixels.buffer);
        let bits = 0;
        for (let x = 0; x < 8; x++) if (lit.getUint32(x * 4, true) !== 0) bits |= 0x80 >> x;
        expect(bits, `${character} row ${y}`).toBe(rows[y]);
      }
    }
    const pixel = new DataView(under.machine.readPhysical(address + 8 * pitch + 2 * 4, 4).buffer).getUint32(0, true);
    expect(pixel === 0 || pixel === 0xaaaaaa).toBe(true);
  });

  it("refuses a framebuffer smaller than one glyph", () => {
    expect(under.kernel.framebufferCreate(0xfd000000n, 4, 4, 16)).toBe(0);
  });
});

describe("log ring", () => {
  function lines(): string[] {
    return Array.from({ length: under.kernel.ringLines() }, (_, index) => {
      under.kernel.ringLine(index);
      return under.result();
    });
  }

  it("keeps lines in order with their levels", () => {
    under.kernel.ringCreate(256);
    under.kernel.ringAppendInput(3, under.input("first"));
    under.kernel.ringAppendInput(6, under.input("second"));
    expect(lines()).toEqual(["first", "second"]);
    expect(under.kernel.ringLine(0)).toBe(3);
    expect(under.kernel.ringDropped()).toBe(0);
  });

  it("drops the oldest whole lines when full, never a partial one, across the wrap-around", () => {
    under.kernel.ringCreate(40);
    for (let i = 0; i < 12; i++) under.kernel.ringAppendInput(6, under.input(`line ${i}`));
    const kept = lines();
    expect(kept.at(-1)).toBe("line 11");
    for (const line of kept) expect(line).toMatch(/^line \d+$/);
    expect(kept.length + under.kernel.ringDropped()).toBe(12);
    expect(kept).toEqual(kept.map((_, index) => `line ${12 - kept.length + index}`));
  });

  it("finds the newest line, also after wrapping, and reports an empty ring", () => {
    under.kernel.ringCreate(40);
    expect(under.kernel.ringNewest()).toBe(0);
    for (let i = 0; i < 12; i++) {
      under.kernel.ringAppendInput(6, under.input(`line ${i}`));
      expect(under.kernel.ringNewest()).toBe(1);
      expect(under.result()).toBe(`line ${i}`);
    }
  });

  it("cuts a line longer than the whole ring instead of failing", () => {
    under.kernel.ringCreate(16);
    under.kernel.ringAppendInput(6, under.input("x".repeat(40)));
    expect(lines()).toEqual(["x".repeat(13)]);
  });
});

describe("exception reports and panics", () => {
  it("names the exception and prints the error code, RIP, CR2 and every general register", () => {
    under.kernel.useSerialConsoleOnly();
    under.kernel.exceptionReport(14, 2n, 0x101234n);
    const report = under.machine.serialOutput;
    expect(report).toContain("*** CPU exception 14 (page fault) in the kernel ***");
    expect(report).toContain("error code 0x0002  RIP=0000000000101234  CR2=0000004000000000  (write, page not present)");
    for (const name of ["RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"]) {
      expect(report).toMatch(new RegExp(`\\b${name}=[0-9a-f]{16}`));
    }
    expect(report).toContain("RBX=0000000000001111");
    expect(report).toContain("CR3=0000000000117000");
  });

  it("panics with the place and the reason, then ends a test boot with the failure status", () => {
    under.kernel.useSerialConsoleOnly();
    expect(() => under.kernel.panicWithInput(under.input("invariant broken"), 1)).toThrow(MachineHalted);
    expect(under.machine.serialOutput).toContain("PANIC in host test: invariant broken\r\n");
    expect(under.machine.debugExitCode).toBe(0x11);
  });

  it("halts without touching the exit device outside test boots", () => {
    under.kernel.useSerialConsoleOnly();
    expect(() => under.kernel.panicWithInput(under.input("x"), 0)).toThrow(MachineHalted);
    expect(under.machine.debugExitCode).toBeUndefined();
    expect(under.machine.serialOutput).toContain("system halted.");
  });
});

describe("TSC calibration against the PIT", () => {
  /** What a window of `cycles` TSC ticks over the PIT's 2386 ticks (≈ 2 ms) makes. */
  const hz = (cycles: bigint) => (cycles * 1_193_182n) / 2386n;

  it("converts TSC ticks over the PIT window into a frequency: from the count's start to the output's rise, each placed between the polls around it", async () => {
    under = await startKernel((machine) => {
      machine.tscStepPerRead = 0n;
      machine.tscStepPerSpeakerRead = 1000n;
      machine.pitPollsUntilDone = 1000;
    });
    // The output rises between the 1,000th poll (low) and the 1,001st (high): 1,000,000 ticks ± 1,000.
    expect(under.kernel.clockMeasureTscHz()).toBe(hz(1_000_000n));
  });

  it("does not trust a window the CPU stalled in (the count's start not placed within 1%): it measures again", async () => {
    let loads = 0;
    under = await startKernel((machine) => {
      machine.tscStepPerRead = 0n;
      machine.tscStepPerSpeakerRead = 1000n;
      machine.pitPollsUntilDone = 1000;
      // The first measurement's load stalls 2 ms at 2.5 GHz (QEMU's global lock held elsewhere),
      // while the PIT counts on: its output is high by the 11th poll. Read as it was, that window
      // is 10,000 ticks, a TSC 100× too slow (what a third of ISO boots under QEMU measured).
      machine.onPortWrite = (port) => {
        if (port === 0x42 && ++loads === 2) {
          machine.tsc += 5_000_000n;
          machine.pitPollsUntilDone = 10;
        }
        if (port === 0x42 && loads === 3) machine.pitPollsUntilDone = 1000; // the next measurement: no stall
      };
    });
    expect(under.kernel.clockMeasureTscHz()).toBe(hz(1_000_000n));
    expect(loads).toBe(4); // two measurements, two bytes of count each
  });

  it("takes the least uncertain measurement when none is within 1%", async () => {
    under = await startKernel((machine) => {
      machine.tscStepPerRead = 0n;
      machine.tscStepPerSpeakerRead = 1000n; // polls 1,000 ticks apart over a 50,000-tick window: ± 2 %
    });
    expect(under.kernel.clockMeasureTscHz()).toBe(hz(50_000n));
  });

  it("gives up with 0 when the PIT never answers", async () => {
    under = await startKernel((machine) => (machine.pitPollsUntilDone = Number.MAX_SAFE_INTEGER));
    expect(under.kernel.clockMeasureTscHz()).toBe(0n);
  });
});
