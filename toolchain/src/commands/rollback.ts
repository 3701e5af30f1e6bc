// `optios rollback [N]`: makes generation N (default: the one before the current default) the default boot entry.
import { rollback } from "../store/generations.ts";
import { STORE_HELP, guarded, withStore, parseOptions, storeOption, type Command } from "./command.ts";

const help = `usage: optios rollback [N] [--store DIR]

Makes generation N the default GRUB entry; without N, the generation before the current
default. The next \`optios build\` writes the ISO's menu with it selected; every kept
generation stays bootable from the menu either way. A new generation becomes the default again.

options:
${STORE_HELP}`;

export const rollbackCommand: Command = {
  name: "rollback",
  summary: "make generation N (default: the previous one) the default boot entry",
  help,
  run: (argv) => guarded("rollback", async () => {
    const parsed = parseOptions(argv, storeOption, help);
    if (parsed === null) return 0;
    if (parsed.positionals.length > 1 || (parsed.positionals.length === 1 && !/^[1-9][0-9]*$/.test(parsed.positionals[0]))) {
      throw new Error(`expected at most one generation number, got ${parsed.positionals.join(" ")}`);
    }
    return withStore(parsed.values, async (store) => {
      const number = parsed.positionals.length === 1 ? Number(parsed.positionals[0]) : undefined;
      const generation = rollback(store, number);
      process.stdout.write(`generation ${generation.number} is now the default boot entry (${generation.summary})\n`);
      return 0;
    });
  }),
};
