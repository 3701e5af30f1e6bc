// Console formatting (kernel/console/text.ts), run as the kernel's own wasm.
import { beforeEach, describe, expect, it } from "vitest";
import { KernelUnderTest, startKernel } from "./fake_machine";

let under: KernelUnderTest;
beforeEach(async () => {
  under = await startKernel();
});

function format(name: string, ...values: (number | bigint)[]): string {
  under.kernel[name](...values);
  return under.result();
}

describe("Text formatting", () => {
  it("prints decimals, including zero and the largest u64", () => {
    expect(format("formatDecimal", 0n)).toBe("0");
    expect(format("formatDecimal", 1234567n)).toBe("1234567");
    expect(format("formatDecimal", -1n)).toBe("18446744073709551615");
  });

  it("prints signed values", () => {
    expect(format("formatSigned", -42n)).toBe("-42");
    expect(format("formatSigned", 42n)).toBe("42");
  });

  it("groups thousands with commas", () => {
    expect(format("formatGrouped", 0n)).toBe("0");
    expect(format("formatGrouped", 999n)).toBe("999");
    expect(format("formatGrouped", 1000n)).toBe("1,000");
    expect(format("formatGrouped", 65016n)).toBe("65,016");
    expect(format("formatGrouped", 1234567890n)).toBe("1,234,567,890");
  });

  it("prints zero-padded lowercase hexadecimal", () => {
    expect(format("formatHex", 0x4000000000n, 16)).toBe("0000004000000000");
    expect(format("formatHex", 0xdeadn, 1)).toBe("dead");
    expect(format("formatHex", -1n, 16)).toBe("ffffffffffffffff");
  });

  it("rounds fixed-point values", () => {
    expect(format("formatFixed", 127n, 2n, 1)).toBe("63.5");
    expect(format("formatFixed", 2n, 3n, 2)).toBe("0.67");
    expect(format("formatFixed", 1999n, 1000n, 2)).toBe("2.00");
    expect(format("formatFixed", 5n, 1n, 0)).toBe("5");
  });

  it("prints sizes in binary units with one decimal", () => {
    expect(format("formatSize", 512n)).toBe("512 B");
    expect(format("formatSize", 1536n)).toBe("1.5 KiB");
    expect(format("formatSize", 66_584_576n)).toBe("63.5 MiB");
    expect(format("formatSize", 4n << 30n)).toBe("4.0 GiB");
  });

  it("turns non-ASCII into '?' and cuts at the line capacity", () => {
    expect(format("formatInput", under.input("héllo"))).toBe("h?llo");
    const long = "x".repeat(600);
    expect(format("formatInput", under.input(long))).toBe("x".repeat(512));
  });

  it("pads to a column", () => {
    expect(format("formatPadded", under.input("ab"), 5)).toBe("ab   |");
    expect(format("formatPadded", under.input("abcdef"), 3)).toBe("abcdef|");
  });
});
