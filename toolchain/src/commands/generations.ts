// `optios generations`: lists the recorded generations, newest first.
import { listGenerations } from "../store/generations.ts";
import { formatMenuDate } from "../store/grub_menu.ts";
import { STORE_HELP, formatBytes, guarded, withStore, parseOptions, storeOption, type Command } from "./command.ts";

const help = `usage: optios generations [--json] [--store DIR]

Lists every generation, newest first: number, date, content hash, size, what changed.
The default boot entry is marked with '*' (the newest, unless \`optios rollback\` chose another).

options:
  --json             print the list as JSON
${STORE_HELP}`;

export const generationsCommand: Command = {
  name: "generations",
  summary: "list generations (number, date, hash, size, what changed)",
  help,
  run: (argv) => guarded("generations", async () => {
    const parsed = parseOptions(argv, { ...storeOption, json: { type: "boolean" } }, help);
    if (parsed === null) return 0;
    return withStore(parsed.values, async (store) => {
      const generations = listGenerations(store);
      if (parsed.values.json === true) {
        process.stdout.write(`${JSON.stringify(generations, null, 2)}\n`);
        return 0;
      }
      if (generations.length === 0) process.stdout.write("no generations yet: `optios build` records one\n");
      for (const generation of generations) {
        const marker = generation.isDefault ? "*" : " ";
        const columns = [`${marker}${String(generation.number).padStart(4)}`, formatMenuDate(generation.created), generation.contentHash.slice(0, 12), formatBytes(generation.size).padStart(10), generation.summary];
        process.stdout.write(`${columns.join("  ")}\n`);
      }
      return 0;
    });
  }),
};
