// `optios store verify | recover`: re-hash every entry and report corruption; rebuild a lost metadata.db.
import { resolve } from "node:path";
import { recoverMetadata } from "../store/recovery.ts";
import { verifyStore } from "../store/verify.ts";
import { STORE_HELP, guarded, withStore, parseOptions, storeOption, type Command } from "./command.ts";

const help = `usage: optios store verify [--store DIR]
       optios store recover [--store DIR]

verify   Re-hashes every file of every entry and checks each entry's hash against its
         name. Prints each problem with the entry's or file's path; exits 1 when there
         is any. This reads the whole store, unlike gc.
recover  Rebuilds metadata.db from the store itself, when it is damaged or lost: every
         entry folder whose files still hash to its name, and every generation recorded
         in .generations/ whose entries all survived. The old file is kept beside it as
         metadata.db.damaged-<time>. Reads the whole store.

options:
${STORE_HELP}`;

export const storeCommand: Command = {
  name: "store",
  summary: "store verify | recover: re-hash every entry; rebuild a damaged metadata.db",
  help,
  run: (argv) => guarded("store", async () => {
    const parsed = parseOptions(argv, storeOption, help);
    if (parsed === null) return 0;
    const subcommand = parsed.positionals.join(" ");
    if (subcommand === "recover") {
      const report = await recoverMetadata(resolve(parsed.values.store ?? "store"));
      if (report.keptDamaged !== undefined) process.stdout.write(`kept the old database as ${report.keptDamaged}\n`);
      for (const problem of report.problems) process.stdout.write(`${problem}\n`);
      const count = report.generations.length;
      const generations = count === 0 ? "no generations" : `generation${count === 1 ? "" : "s"} ${report.generations.join(", ")}`;
      process.stdout.write(`recovered ${report.entries} entries and ${generations}\n`);
      return 0;
    }
    if (subcommand !== "verify") throw new Error(`expected the subcommand 'verify' or 'recover', got '${subcommand}'`);
    return withStore(parsed.values, async (store) => {
      const report = await verifyStore(store);
      for (const problem of report.problems) process.stdout.write(`${problem.path}: ${problem.problem}\n`);
      process.stdout.write(`checked ${report.entriesChecked} entries, ${report.filesChecked} files: ${report.problems.length === 0 ? "intact" : `${report.problems.length} problems`}\n`);
      return report.problems.length === 0 ? 0 : 1;
    });
  }),
};
