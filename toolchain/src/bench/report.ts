// Turns bench results into statistics, targets and a readable table.

export interface Statistics {
  median: number;
  minimum: number;
  maximum: number;
  samples: number[];
}

export interface Target {
  name: string;
  /** The target as written, e.g. "≤ 150 ms". */
  goal: string;
  /** The measured figure as written, or "n/a" when it could not be measured. */
  value: string;
  met: boolean | undefined;
}

/** Median, minimum and maximum; figures are kept to the microsecond (the host clock's noise is far larger). */
export function summarize(measured: number[]): Statistics {
  const samples = measured.map((value) => Math.round(value * 1000) / 1000);
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, minimum: sorted[0], maximum: sorted[sorted.length - 1], samples };
}

/** 1234.5 → "1,234.5"; fixed decimals, comma thousands (as the kernel prints). */
export function formatNumber(value: number, decimals = 1): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export function formatBytes(bytes: number): string {
  const kibibytes = bytes / 1024;
  const scaled = kibibytes >= 1024 ? `${formatNumber(kibibytes / 1024, 2)} MiB` : `${formatNumber(kibibytes)} KiB`;
  return `${formatNumber(bytes, 0)} bytes (${scaled})`;
}

/** Rows of cells → lines with columns padded; plain numbers ("1,234.5", "n/a") right-aligned. */
export function formatTable(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column > 0 && /^(-?[\d,.]+|n\/a)$/.test(cell) ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join("  ")
      .trimEnd(),
  );
}

/** A statistics row: label, median, minimum, maximum, in milliseconds. */
export function statisticsRow(label: string, statistics: Statistics | undefined): string[] {
  if (!statistics) return [label, "n/a"];
  return [label, formatNumber(statistics.median), formatNumber(statistics.minimum), formatNumber(statistics.maximum)];
}

export function targetRows(targets: Target[]): string[][] {
  const verdict = (met: boolean | undefined): string => (met === undefined ? "not measured" : met ? "met" : "NOT MET");
  return targets.map((target) => [target.name, target.goal, target.value, verdict(target.met)]);
}
