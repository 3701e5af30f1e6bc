// `optios gc [--keep N]`: removes old generations and deletes the entries nothing references.
import { collectGarbage } from "../store/gc.ts";
import { DEFAULT_KEEP_GENERATIONS } from "../system/schema.ts";
import { STORE_HELP, formatBytes, guarded, withStore, parseOptions, storeOption, type Command } from "./command.ts";

const help = `usage: optios gc [--keep N] [--store DIR]

Removes every generation but the newest N (and the one \`optios rollback\` made the
default), then deletes each store entry whose reference count reached zero. Only those
entries are touched: gc never scans the whole store (see docs/store.md).

options:
  --keep N           generations to keep (default: ${DEFAULT_KEEP_GENERATIONS}, or [system] keep_generations at build time)
${STORE_HELP}`;

export const gcCommand: Command = {
  name: "gc",
  summary: "remove old generations and delete unreferenced store entries",
  help,
  run: (argv) => guarded("gc", async () => {
    const parsed = parseOptions(argv, { ...storeOption, keep: { type: "string" } }, help);
    if (parsed === null) return 0;
    const keepText = parsed.values.keep ?? String(DEFAULT_KEEP_GENERATIONS);
    if (!/^[1-9][0-9]*$/.test(keepText)) throw new Error(`--keep ${keepText}: expected a whole number, at least 1`);
    return withStore(parsed.values, async (store) => {
      const result = await collectGarbage(store, { keep: Number(keepText) });
      const removed = result.removedGenerations.length === 0 ? "no generations" : `generations ${result.removedGenerations.join(", ")}`;
      process.stdout.write(`removed ${removed}; deleted ${result.deletedEntries.length} entries, ${formatBytes(result.freedBytes)}\n`);
      return 0;
    });
  }),
};
