// Durations ("250ms") and sizes ("1MiB") as written in system.toml, parsed to whole numbers.
//
// The duration grammar is the kernel's (kernel/events/duration.ts): a whole number followed
// by exactly one unit, ns | us | ms | s | m | h, with no spaces, fractions or sign. The kernel
// reads at most 15 digits; so do we, so a value accepted here is accepted there. Sizes use
// binary units only (B, KiB, MiB, GiB), because memory limits are counted in 64 KiB pages.
// Both return null for text outside the grammar so the caller can name the field.

const MAXIMUM_DIGITS = 15;

const NANOSECONDS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60n * 1_000_000_000n,
  h: 3600n * 1_000_000_000n,
};

const BYTES_PER_UNIT: Record<string, bigint> = {
  B: 1n,
  KiB: 1024n,
  MiB: 1024n * 1024n,
  GiB: 1024n * 1024n * 1024n,
};

/** One page of WebAssembly linear memory: memory limits must be a whole number of these. */
export const WASM_PAGE_BYTES = 65_536;

/** The largest memory a wasm32 instance can address: 65,536 pages. */
export const MAXIMUM_MEMORY_BYTES = 4 * 1024 * 1024 * 1024;

export const DURATION_FORM = 'a whole number followed by ns, us, ms, s, m or h (for example "250ms")';
export const SIZE_FORM = 'a whole number followed by B, KiB, MiB or GiB (for example "1MiB")';

/** Splits "250ms" into 250n and "ms"; null when there is no leading whole number. */
function splitNumberAndUnit(text: string): { value: bigint; unit: string } | null {
  const match = /^([0-9]+)(.*)$/.exec(text);
  if (match === null || match[1].length > MAXIMUM_DIGITS) return null;
  return { value: BigInt(match[1]), unit: match[2] };
}

/**
 * Nanoseconds in `text`, or null if it is not a duration. Values above
 * Number.MAX_SAFE_INTEGER nanoseconds (about 104 days) are refused too, so the result is exact.
 */
export function parseDuration(text: string): number | null {
  const parts = splitNumberAndUnit(text);
  if (parts === null || !(parts.unit in NANOSECONDS_PER_UNIT)) return null;
  const nanoseconds = parts.value * NANOSECONDS_PER_UNIT[parts.unit];
  if (nanoseconds > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(nanoseconds);
}

/** Bytes in `text`, or null if it is not a size or exceeds the wasm32 limit of 4 GiB. */
export function parseSize(text: string): number | null {
  const parts = splitNumberAndUnit(text);
  if (parts === null || !(parts.unit in BYTES_PER_UNIT)) return null;
  const bytes = parts.value * BYTES_PER_UNIT[parts.unit];
  if (bytes > BigInt(MAXIMUM_MEMORY_BYTES)) return null;
  return Number(bytes);
}

/** "250ms" for 250,000,000: the largest unit that divides the value, for messages and listings. */
export function formatDuration(nanoseconds: number): string {
  for (const unit of ["h", "m", "s", "ms", "us"]) {
    const scale = Number(NANOSECONDS_PER_UNIT[unit]);
    if (nanoseconds !== 0 && nanoseconds % scale === 0) return `${nanoseconds / scale}${unit}`;
  }
  return `${nanoseconds}ns`;
}

/** "1MiB" for 1,048,576: the largest binary unit that divides the value. */
export function formatSize(bytes: number): string {
  for (const unit of ["GiB", "MiB", "KiB"]) {
    const scale = Number(BYTES_PER_UNIT[unit]);
    if (bytes !== 0 && bytes % scale === 0) return `${bytes / scale}${unit}`;
  }
  return `${bytes}B`;
}
