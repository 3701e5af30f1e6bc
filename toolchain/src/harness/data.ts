// The data disk as the harness's kernel keeps it: files under /data, and a handler's writes
// held with its run (kernel/gate/data_calls.ts and kernel/storage/data_files.ts are the real ones).
//
//   a handler's data_write ─► the run's pending writes (its own reads see them) ─► committed
//   with the run (world.data), or dropped when it traps; a program's write is committed at once
import { limit } from "../../../interface/optios.ts";

const PATH_MAX_BYTES = limit("PATH_MAX_BYTES");
const DATA_FILES_MAX = limit("DATA_FILES_MAX");

/**
 * A path a module gives, as the kernel resolves it: relative paths are in /data/<module>/;
 * a trailing '/' is dropped; null when it is not /data or below it, has an empty, "." or ".."
 * part, a byte outside printable ASCII or '*', or is longer than PATH_MAX_BYTES - 1.
 */
export function resolveDataPath(text: string, module: string): string | null {
  let path = text.startsWith("/") ? text : text.length === 0 ? `/data/${module}` : `/data/${module}/${text}`;
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  if (path !== "/data" && !path.startsWith("/data/")) return null;
  if (new TextEncoder().encode(path).length > PATH_MAX_BYTES - 1) return null;
  const parts = path.slice("/data".length).split("/").slice(1);
  return parts.every((part) => part.length > 0 && part !== "." && part !== ".." && /^[!-)+-.0-~]+$/.test(part)) ? path : null;
}

/** The data disk's files: path → contents, and what a handler's run changed, until it commits. */
export class DataFiles {
  readonly files = new Map<string, Uint8Array>();
  /** The running handler's writes (null: removed), in the order made. */
  private pending = new Map<string, Uint8Array | null>();

  constructor(files: Record<string, string | Uint8Array> = {}) {
    for (const [path, contents] of Object.entries(files)) {
      const resolved = resolveDataPath(path, "");
      if (resolved === null || resolved === "/data") throw new Error(`harness: dataFiles: "${path}": expected a path /data/<directory>/<file>`);
      this.files.set(resolved, typeof contents === "string" ? new TextEncoder().encode(contents) : contents);
    }
  }

  /** The contents a reader sees now (the run's own writes first), or undefined. */
  get(path: string): Uint8Array | undefined {
    if (this.pending.has(path)) return this.pending.get(path) ?? undefined;
    return this.files.get(path);
  }

  /** Every path a reader sees now, in name order. */
  paths(): string[] {
    const seen = new Set(this.files.keys());
    for (const [path, contents] of this.pending) contents === null ? seen.delete(path) : seen.add(path);
    return [...seen].sort();
  }

  isDirectory(path: string): boolean {
    return path === "/data" || this.paths().some((other) => other.startsWith(`${path}/`));
  }

  /** A write or removal: held for the run (pending) or made at once (a program's); null, or the error's name. */
  change(path: string, contents: Uint8Array | null, pending: boolean): "IS_DIRECTORY" | "NOT_DIRECTORY" | "NO_SPACE" | null {
    if (this.isDirectory(path)) return "IS_DIRECTORY";
    const parts = path.split("/");
    for (let end = 3; end < parts.length; end++) if (this.get(parts.slice(0, end).join("/")) !== undefined) return "NOT_DIRECTORY";
    if (contents !== null && this.get(path) === undefined && this.paths().length >= DATA_FILES_MAX) return "NO_SPACE";
    if (pending) this.pending.set(path, contents);
    else if (contents === null) this.files.delete(path);
    else this.files.set(path, contents);
    return null;
  }

  /** Whether the running handler's run already changed `path`. */
  isPending(path: string): boolean {
    return this.pending.has(path);
  }

  /** Writes and removals held for the run (counted against DATA_WRITES_PER_RUN_MAX). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** The run committed: its writes are the files now. */
  commit(): void {
    for (const [path, contents] of this.pending) contents === null ? this.files.delete(path) : this.files.set(path, contents);
    this.pending.clear();
  }

  /** The run rolled back: its writes never happened. */
  rollBack(): void {
    this.pending.clear();
  }

  /** The names directly in directory `path`, in name order, each with whether it is a directory. */
  entries(path: string): Array<{ name: string; directory: boolean }> {
    const children = new Map<string, boolean>();
    for (const other of this.paths()) {
      if (!other.startsWith(`${path}/`)) continue;
      const rest = other.slice(path.length + 1);
      const slash = rest.indexOf("/");
      children.set(slash < 0 ? rest : rest.slice(0, slash), slash >= 0 || (children.get(rest) ?? false));
    }
    return [...children.keys()].sort().map((name) => ({ name, directory: children.get(name)! }));
  }
}
