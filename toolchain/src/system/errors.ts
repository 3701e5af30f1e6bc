// Problems found in system.toml files: each names file, line and field, and what was expected.
//
// Problems are collected, not thrown one at a time, so a user fixing a file sees every
// mistake in one run. The message text never contains the location; `formatProblem` puts
// "file:line: " in front, the form editors and terminals turn into links.

export interface ConfigProblem {
  /** The file as shown to the user (relative to the display root when inside it). */
  file: string;
  /** 1-based line of the key or table the problem is about; 0 when the file itself is meant. */
  line: number;
  /** What is wrong and what was expected, without the location. */
  message: string;
}

export function formatProblem(problem: ConfigProblem): string {
  return problem.line > 0 ? `${problem.file}:${problem.line}: ${problem.message}` : `${problem.file}: ${problem.message}`;
}

/** Thrown by loadSystem when any file has a problem; `problems` lists them in file order. */
export class SystemConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "SystemConfigError";
    this.problems = problems;
  }
}

/** Edits (insert, delete, substitute, swap neighbours) turning `from` into `to`. */
export function editDistance(from: string, to: string): number {
  const rows = from.length + 1;
  const columns = to.length + 1;
  const distance: number[][] = Array.from({ length: rows }, (_, row) => Array.from({ length: columns }, (_, column) => (row === 0 ? column : column === 0 ? row : 0)));
  for (let row = 1; row < rows; row++) {
    for (let column = 1; column < columns; column++) {
      const substitution = from[row - 1] === to[column - 1] ? 0 : 1;
      let best = Math.min(distance[row - 1][column] + 1, distance[row][column - 1] + 1, distance[row - 1][column - 1] + substitution);
      const swapped = row > 1 && column > 1 && from[row - 1] === to[column - 2] && from[row - 2] === to[column - 1];
      if (swapped) best = Math.min(best, distance[row - 2][column - 2] + 1);
      distance[row][column] = best;
    }
  }
  return distance[from.length][to.length];
}

/** The candidate closest to `word` when it is close enough to be a likely typo, else null. */
export function closestWord(word: string, candidates: readonly string[]): string | null {
  const allowed = Math.max(1, Math.floor(word.length / 3));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= allowed ? best : null;
}

/** Quotes a value for a message the way it would be written in TOML. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint" || typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  if (value !== null && typeof value === "object") return "a table";
  return String(value);
}
