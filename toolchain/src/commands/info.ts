// `optios info`: sizes of the store, its pool and each generation.
import { listGenerations } from "../store/generations.ts";
import { STORE_HELP, formatBytes, guarded, withStore, parseOptions, storeOption, type Command } from "./command.ts";

const help = `usage: optios info [--json] [--store DIR]

Prints the store's location, its number of entries and their total size (each file counted
once per entry; shared files take disk space once), and each generation's size.

options:
  --json             print the numbers as JSON
${STORE_HELP}`;

export const infoCommand: Command = {
  name: "info",
  summary: "sizes of the store and of each generation",
  help,
  run: (argv) => guarded("info", async () => {
    const parsed = parseOptions(argv, { ...storeOption, json: { type: "boolean" } }, help);
    if (parsed === null) return 0;
    return withStore(parsed.values, async (store) => {
      const totals = store.metadata.prepare("SELECT count(*) AS entries, coalesce(sum(size), 0) AS bytes FROM entries").get() as { entries: number; bytes: number };
      const unique = store.metadata.prepare("SELECT coalesce(sum(size), 0) AS bytes FROM (SELECT DISTINCT hash, size FROM entry_files)").get() as { bytes: number };
      const generations = listGenerations(store).map((generation) => ({ number: generation.number, size: generation.size, isDefault: generation.isDefault }));
      const info = { store: store.root, entries: totals.entries, entryBytes: totals.bytes, uniqueFileBytes: unique.bytes, generations };
      if (parsed.values.json === true) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return 0;
      }
      process.stdout.write(`store        ${info.store}\nentries      ${info.entries} (${formatBytes(info.entryBytes)}; ${formatBytes(info.uniqueFileBytes)} on disk after dedup)\n`);
      for (const generation of generations) process.stdout.write(`generation ${generation.number}${generation.isDefault ? " (default)" : ""}  ${formatBytes(generation.size)}\n`);
      return 0;
    });
  }),
};
