// What every store command shares: its shape, option parsing with --help, and opening the store.
import { resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { withStoreAt } from "../store/recovery.ts";
import type { Store } from "../store/store.ts";

/** A command of the `optios` CLI, registered by toolchain/src/cli.ts. */
export interface Command {
  name: string;
  summary: string;
  help: string;
  /** Runs with the arguments after the command name; resolves to the exit status. */
  run(argv: string[]): Promise<number>;
}

export const STORE_HELP = `  --store DIR        the store (default: ./store)
  -h, --help         show this help`;

export const storeOption = { store: { type: "string" }, help: { type: "boolean", short: "h" } } as const;

/** Parses `argv`; prints `help` and returns null for --help; throws a usage error for anything unknown. */
export function parseOptions<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T, help: string) {
  const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  if ((parsed.values as Record<string, unknown>).help === true) {
    process.stdout.write(`${help}\n`);
    return null;
  }
  return parsed;
}

/** Opens the store named by --store (default ./store), runs `work` with it, and always closes it. */
export function withStore<Result>(values: Record<string, unknown>, work: (store: Store) => Promise<Result> | Result): Promise<Result> {
  return withStoreAt(resolve(typeof values.store === "string" ? values.store : "store"), work);
}

/** Runs `body`, turning thrown errors into a message on stderr and exit status 1 (2 for usage errors). */
export async function guarded(name: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const usage = (error as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS") === true;
    process.stderr.write(`optios ${name}: ${(error as Error).message}${usage ? `\nsee: optios ${name} --help` : ""}\n`);
    return usage ? 2 : 1;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
