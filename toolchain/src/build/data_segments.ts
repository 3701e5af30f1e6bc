// Merges wasm2c's many small data segments into a few constant arrays, one LOAD_DATA each.
//
// wasm2c 1.0.32 writes each active data segment of a module as
//     static const u8 data_segment_data_w2c_d7[] = {
//       0x02, 0x00, ...
//     };
// and loads it in init_memories() with
//     LOAD_DATA(instance->w2c_memory, 1176u, data_segment_data_w2c_d7, 13);
// a bounds check plus memcpy. AssemblyScript's optimiser (binaryen's memory packing) splits
// the static data at every run of zeros, so the kernel has about 1300 segments of a few bytes
// each. gcc turns each small constant memcpy into immediate stores: 59 KiB of the kernel's
// data ended up in .text as instructions, on top of the arrays themselves in .rodata (each
// 32-byte aligned). This pass rewrites the translated C so that neighbouring segments become
// one array in .rodata and one LOAD_DATA (a memcpy call) per run.
//
// Why the result is the same memory: instantiation writes the active segments, in order,
// into a fresh linear memory, which is all zeros (wasm_rt_allocate_memory clears it). A run
// is built the same way: zeros, then each segment copied in at its offset in module order,
// so an overlap ends as it would; the gaps it fills (under maximumGapBytes) were zero
// already. A run's bounds check covers exactly the lowest start to the highest end of its
// segments, so it traps if and only if one of them would have. (Only *when* a trap happens
// differs, and a trap in init_memories ends the instantiation either way.)
//
// The pass only touches what it fully recognises. Anything else in init_memories, a segment
// whose offset is not a constant, or an array named anywhere besides its definition and its
// LOAD_DATA (memory.init on it) throws, naming the line: wasm2c's output changed shape, and
// this file needs a look rather than a guess.

/** Gaps between segments up to this many bytes are filled with zeros instead of starting a new run. */
export const maximumGapBytes = 64;

/** Changes whenever the rewriting changes, so the build's stamps notice. */
export const dataSegmentPassVersion = "merge-data-segments 1";

interface Segment {
  memory: string;
  offset: number;
  name: string;
  bytes: Uint8Array;
}

export interface MergeResult {
  source: string;
  /** Segments found and merged. */
  segments: number;
  /** Arrays (and LOAD_DATA calls) left after merging. */
  runs: number;
  /** Bytes in the merged arrays, zero-filled gaps included. */
  bytes: number;
}

const functionPattern = /^static void init_memories\((\w+)\* instance\) \{\n([\s\S]*?)^\}\n/m;
const loadPattern = /^ {2}LOAD_DATA\(([\w>().-]+), (\d+)u, data_segment_data_(\w+), (\d+)\);$/;
const emptyLoadPattern = /^ {2}LOAD_DATA\(([\w>().-]+), (\d+)u, NULL, 0\);$/;
const allocatePattern = /^ {2}wasm_rt_allocate_memory\(.*\);$/;
const arrayPattern = /^static const u8 data_segment_data_(\w+)\[\] = \{\n([^}]*)\};\n/gm;
const namePattern = /\bdata_segment_data_(\w+)/g;

export class DataSegmentShapeError extends Error {}

function shapeError(detail: string): DataSegmentShapeError {
  return new DataSegmentShapeError(
    `wasm2c's output is not shaped as toolchain/src/build/data_segments.ts expects (wasm2c 1.0.32): ${detail}`,
  );
}

/** The translated C with its data segments merged; throws DataSegmentShapeError on anything unexpected. */
export function mergeDataSegments(source: string): MergeResult {
  const found = functionPattern.exec(source);
  if (!found) throw shapeError("no `static void init_memories(<instance>* instance) {` function");
  const arrays = new Map([...source.matchAll(arrayPattern)].map((match) => [match[1], match[2]]));
  const uses = new Map<string, number>();
  for (const match of source.matchAll(namePattern)) uses.set(match[1], (uses.get(match[1]) ?? 0) + 1);
  const kept: string[] = [];
  const segments: Segment[] = [];
  for (const line of found[2].split("\n").filter((text) => text !== "")) {
    const load = loadPattern.exec(line);
    if (load) {
      const name = load[3];
      if (uses.get(name) !== 2) throw shapeError(`data segment ${name} is named ${uses.get(name)} times, not just defined and loaded (memory.init?)`);
      segments.push({ memory: load[1], offset: Number(load[2]), name, bytes: parseBytes(name, arrays.get(name), Number(load[4])) });
    } else if (allocatePattern.test(line) || emptyLoadPattern.test(line)) {
      kept.push(line);
    } else {
      throw shapeError(`unexpected line in init_memories: ${line.trim()}`);
    }
  }
  if (segments.length === 0) return { source, segments: 0, runs: 0, bytes: 0 };

  const runs = groupRuns(segments);
  const merged = new Set(segments.map((segment) => segment.name));
  const rendered = runs.map((run, index) => renderArray(`merged_data_segment_${index}`, run.bytes)).join("\n");
  const loads = runs.map((run, index) => `  LOAD_DATA(${run.memory}, ${run.start}u, merged_data_segment_${index}, ${run.bytes.length});`);
  const body = [...kept, ...loads].map((line) => `${line}\n`).join("");
  const rewritten = source
    .replace(arrayPattern, (array: string, name: string) => (merged.has(name) ? "" : array))
    .replace(functionPattern, () => `${rendered}\nstatic void init_memories(${found[1]}* instance) {\n${body}}\n`);
  return { source: rewritten, segments: segments.length, runs: runs.length, bytes: runs.reduce((sum, run) => sum + run.bytes.length, 0) };
}

/** The bytes of an array's body, checked against the size LOAD_DATA gives. */
function parseBytes(name: string, body: string | undefined, size: number): Uint8Array {
  if (body === undefined) throw shapeError(`no array definition for data segment ${name}`);
  const tokens = body.split(",").map((token) => token.trim()).filter((token) => token !== "");
  if (tokens.length !== size || !tokens.every((token) => /^0x[0-9a-f]{2}$/.test(token))) {
    throw shapeError(`data segment ${name}: expected ${size} bytes written as 0x.., found ${tokens.length} tokens`);
  }
  return Uint8Array.from(tokens.map((token) => parseInt(token, 16)));
}

interface Run {
  memory: string;
  start: number;
  bytes: Uint8Array;
}

/** Segments grouped per memory into runs whose gaps are at most maximumGapBytes, then filled in module order. */
function groupRuns(segments: readonly Segment[]): Run[] {
  const runs: { memory: string; start: number; end: number }[] = [];
  const byAddress = [...segments].sort((left, right) => left.memory.localeCompare(right.memory) || left.offset - right.offset);
  for (const segment of byAddress) {
    const last = runs.at(-1);
    const end = segment.offset + segment.bytes.length;
    if (last && last.memory === segment.memory && segment.offset <= last.end + maximumGapBytes) last.end = Math.max(last.end, end);
    else runs.push({ memory: segment.memory, start: segment.offset, end });
  }
  const filled = runs.map((run) => ({ memory: run.memory, start: run.start, bytes: new Uint8Array(run.end - run.start) }));
  for (const segment of segments) {
    const run = filled.find((candidate) =>
      candidate.memory === segment.memory && candidate.start <= segment.offset && segment.offset < candidate.start + candidate.bytes.length);
    run!.bytes.set(segment.bytes, segment.offset - run!.start);
  }
  return filled;
}

function renderArray(name: string, bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let index = 0; index < bytes.length; index += 16) {
    lines.push(`  ${[...bytes.subarray(index, index + 16)].map((byte) => `0x${byte.toString(16).padStart(2, "0")},`).join(" ")}`);
  }
  return `static const u8 ${name}[] = {\n${lines.join("\n")}\n};\n`;
}
