// `optios store verify`: re-hashes every store entry and reports corruption.
import { verifyStore } from "../store/verify.ts";
import { STORE_HELP, guarded, withStore, parseOptions, storeOption, type Command } from "./command.ts";

const help = `usage: optios store verify [--store DIR]

Re-hashes every file of every entry and checks each entry's hash against its name. Prints
each problem with the entry's or file's path; exits 1 when there is any. This reads the
whole store, unlike gc.

options:
${STORE_HELP}`;

export const storeCommand: Command = {
  name: "store",
  summary: "store verify: re-hash every entry and report corruption",
  help,
  run: (argv) => guarded("store", async () => {
    const parsed = parseOptions(argv, storeOption, help);
    if (parsed === null) return 0;
    if (parsed.positionals.join(" ") !== "verify") throw new Error(`expected the subcommand 'verify', got '${parsed.positionals.join(" ")}'`);
    return withStore(parsed.values, async (store) => {
      const report = await verifyStore(store);
      for (const problem of report.problems) process.stdout.write(`${problem.path}: ${problem.problem}\n`);
      process.stdout.write(`checked ${report.entriesChecked} entries, ${report.filesChecked} files: ${report.problems.length === 0 ? "intact" : `${report.problems.length} problems`}\n`);
      return report.problems.length === 0 ? 0 : 1;
    });
  }),
};
