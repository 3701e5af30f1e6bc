// The files a system names: regular files of bounded size inside the project root.
//
// The rule (docs/system-config.md, "Which files a system may name"): a path is resolved
// against the file that names it, without following symbolic links, and must then lie inside
// the project root; so "../../elsewhere.toml" or "/dev/zero" are refused by their path. A
// symbolic link inside the project is followed (a project may link its sources in, as the test
// scratch roots do), and what it leads to must be a regular file no larger than the cap, so a
// device, a FIFO or a directory is never opened. The checks give reasons without the location
// or the field; the caller puts them into its message.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { formatSize } from "./units.ts";

/** Whether `path` (absolute, lexical) lies inside `root`, by its path alone. */
export function isInside(root: string, path: string): boolean {
  const rest = relative(resolve(root), resolve(path));
  return rest !== "" && rest !== ".." && !rest.startsWith(`..${sep}`) && !isAbsolute(rest);
}

/** "a directory", "a character device": what a path that is not a regular file is. */
function describeKind(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isSocket()) return "a socket";
  return "not a regular file";
}

/** Why a file of these stats may not be read, or null when it may. */
function statsProblem(stats: Stats, shown: string, maxBytes: number): string | null {
  if (!stats.isFile()) return `${shown} is ${describeKind(stats)}, not a regular file`;
  if (stats.size > maxBytes) return `${shown} is ${stats.size} bytes, more than ${formatSize(maxBytes)} (${maxBytes} bytes)`;
  return null;
}

export type FileCheck = { problem: null } | { problem: string; missing: boolean };

/**
 * Checks `path` (absolute, lexical) against the rule, shown as `shown` in the reason. A missing
 * file is a problem with `missing` set, so a caller that allows it (a handler's source, found
 * later by the compiler) can tell it apart.
 */
export function checkNamedFile(path: string, shown: string, root: string, maxBytes: number): FileCheck {
  // stat opens nothing, so a device is named as one even outside the project.
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats !== undefined && !stats.isFile()) return { problem: statsProblem(stats, shown, maxBytes)!, missing: false };
  if (!isInside(root, path)) return { problem: `${shown} is outside the project root ${resolve(root)}`, missing: false };
  if (stats === undefined) return { problem: `file not found: ${shown}`, missing: true };
  const problem = statsProblem(stats, shown, maxBytes);
  return problem === null ? { problem: null } : { problem, missing: false };
}

/**
 * Reads a file `checkNamedFile` accepted, as UTF-8. It is opened without blocking and checked
 * again on the open descriptor, so a file replaced meanwhile by a FIFO or grown past the cap
 * is still refused; returns the text or the reason.
 */
export function readNamedFile(path: string, shown: string, maxBytes: number): { text: string } | { problem: string } {
  const descriptor = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const problem = statsProblem(fstatSync(descriptor), shown, maxBytes);
    if (problem !== null) return { problem };
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length;) {
      read = readSync(descriptor, buffer, length, buffer.length - length, null);
      length += read;
    }
    if (length > maxBytes) return { problem: `${shown} is more than ${formatSize(maxBytes)} (${maxBytes} bytes)` };
    return { text: buffer.toString("utf8", 0, length) };
  } finally {
    closeSync(descriptor);
  }
}
