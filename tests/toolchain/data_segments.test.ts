// The data-segment pass: merged runs give the same memory, and unknown shapes fail loudly.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { DataSegmentShapeError, maximumGapBytes, mergeDataSegments } from "../../toolchain/src/build/data_segments.ts";
import { findCommand } from "../../toolchain/src/build/tools.ts";

type Segment = [offset: number, bytes: number[]];

/** C shaped as wasm2c 1.0.32 writes it: one array per segment, one LOAD_DATA each. */
function translated(segments: readonly Segment[], extraLine = ""): string {
  const arrays = segments.map(([, bytes], index) =>
    `static const u8 data_segment_data_w2c_d${index}[] = {\n  ${bytes.map((byte) => `0x${byte.toString(16).padStart(2, "0")}, `).join("")}\n};\n`);
  const loads = segments.map(([offset, bytes], index) =>
    `  LOAD_DATA(instance->w2c_memory, ${offset}u, data_segment_data_w2c_d${index}, ${bytes.length});\n`);
  return `#include "kernel.h"\n\n${arrays.join("\n")}\nstatic void init_memories(Z_kernel_instance_t* instance) {\n` +
    `  wasm_rt_allocate_memory(&instance->w2c_memory, 1, 1);\n${loads.join("")}${extraLine}}\n\n` +
    `static void init_data_instances(Z_kernel_instance_t *instance) {\n}\n`;
}

/** What the LOAD_DATA lines of a translated file write into a zeroed memory, read back from the C. */
function memoryAfterLoads(source: string): Uint8Array {
  const memory = new Uint8Array(4096);
  const arrays = new Map([...source.matchAll(/static const u8 (\w+)\[\] = \{([^}]*)\};/g)].map((match) =>
    [match[1], match[2].split(",").map((token) => token.trim()).filter(Boolean).map((token) => parseInt(token, 16))]));
  for (const [, offset, name, size] of source.matchAll(/LOAD_DATA\([^,]+, (\d+)u, (\w+), (\d+)\)/g)) {
    expect(arrays.get(name)!.length).toBe(Number(size));
    memory.set(arrays.get(name)!, Number(offset));
  }
  return memory;
}

describe("mergeDataSegments", () => {
  test("neighbouring segments become one array and one LOAD_DATA, holding the same memory", () => {
    const segments: Segment[] = [[1036, [0x1c]], [1048, [2, 0, 0, 0, 10, 0]], [1068, [0x3c]], [1080, [0x30, 0x31]]];
    const source = translated(segments);
    const result = mergeDataSegments(source);
    expect(result).toMatchObject({ segments: 4, runs: 1, bytes: 1082 - 1036 });
    expect(result.source).not.toContain("data_segment_data_");
    expect(result.source).toContain("  wasm_rt_allocate_memory(&instance->w2c_memory, 1, 1);\n  LOAD_DATA(instance->w2c_memory, 1036u, merged_data_segment_0, 46);\n}");
    expect(result.source).toContain("static void init_data_instances(");
    expect(memoryAfterLoads(result.source)).toEqual(memoryAfterLoads(source));
  });

  test(`a gap over ${maximumGapBytes} bytes starts a new run instead of storing zeros`, () => {
    const segments: Segment[] = [[100, [1, 2]], [102 + maximumGapBytes, [3]], [103 + 2 * maximumGapBytes + 1, [4]]];
    const result = mergeDataSegments(translated(segments));
    expect(result).toMatchObject({ runs: 2, bytes: 2 + maximumGapBytes + 1 + 1 });
    expect(memoryAfterLoads(result.source)).toEqual(memoryAfterLoads(translated(segments)));
  });

  test("overlapping segments end as in module order (the later one wins), whatever their addresses", () => {
    const segments: Segment[] = [[20, [9, 9, 9, 9]], [10, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]], [30, [7]]];
    const result = mergeDataSegments(translated(segments));
    expect(result.runs).toBe(1);
    const memory = memoryAfterLoads(result.source);
    expect([...memory.subarray(10, 31)]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 9, 0, 0, 0, 0, 0, 0, 7]);
  });

  test("a module without data segments is left as it is", () => {
    const source = translated([]);
    expect(mergeDataSegments(source)).toEqual({ source, segments: 0, runs: 0, bytes: 0 });
  });

  test("anything unrecognised fails, naming the pass: a new kind of line, a missing function, a segment used elsewhere", () => {
    const segments: Segment[] = [[16, [1]]];
    expect(() => mergeDataSegments(translated(segments, "  LOAD_DATA(instance->w2c_memory, instance->w2c_g0, data_segment_data_w2c_d9, 1);\n")))
      .toThrow(/data_segments\.ts expects.*unexpected line in init_memories: LOAD_DATA\(instance->w2c_memory, instance->w2c_g0/);
    expect(() => mergeDataSegments("static void init_memory(void) {\n}\n")).toThrow(DataSegmentShapeError);
    const initialised = `${translated(segments)}\nvoid f(void) { memory_init(&m, data_segment_data_w2c_d0, 1, 0, 0, 1); }\n`;
    expect(() => mergeDataSegments(initialised)).toThrow(/w2c_d0 is named 3 times/);
    const short = translated(segments).replace("  LOAD_DATA(instance->w2c_memory, 16u, data_segment_data_w2c_d0, 1);", "  LOAD_DATA(instance->w2c_memory, 16u, data_segment_data_w2c_d0, 2);");
    expect(() => mergeDataSegments(short)).toThrow(/expected 2 bytes written as 0x\.\., found 1 tokens/);
  });
});

describe.skipIf(!findCommand("wat2wasm") || !findCommand("wasm2c"))("the pass on wasm2c's own output", () => {
  test("a module with data segments translated by the installed wasm2c is recognised and merged", () => {
    const work = mkdtempSync(join(tmpdir(), "optios-segments-"));
    try {
      writeFileSync(join(work, "m.wat"), `(module (memory (export "memory") 1 2)
        (data (i32.const 16) "\\01\\02") (data (i32.const 40) "hello") (data (i32.const 4000) "far")
        (func (export "f") (result i32) (i32.load (i32.const 16))))`);
      execFileSync("wat2wasm", [join(work, "m.wat"), "-o", join(work, "m.wasm")]);
      execFileSync("wasm2c", [join(work, "m.wasm"), "-n", "m", "-o", join(work, "m.c")]);
      const source = readFileSync(join(work, "m.c"), "utf8");
      const result = mergeDataSegments(source);
      expect(result).toMatchObject({ segments: 3, runs: 2, bytes: 29 + 3 });
      expect(memoryAfterLoads(result.source)).toEqual(memoryAfterLoads(source));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
