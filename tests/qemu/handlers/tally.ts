// Test fixture for the power-cut test (tests/qemu/power_cut.test.ts): counts its commits and
// says so in every run; at boot it says where it resumed. The log names the handler (tally, batch).
// Each run also rewrites the file count (the commit number) and appends the number to the file
// history (begun afresh every 50 commits), in its own /data/<name>/: at boot it says what both
// hold, which must be the commit its state resumed at, since a run's files commit with its state.
import { dataAppendText, dataReadText, dataWriteText, Event, EVENT_BOOT, fileError, log, on } from "optios";
export { handle } from "optios";

export const version = "1";

let commits: u64 = 0;

/** The last line of the history file, or why there is none. */
function lastEntry(): string {
  const history = dataReadText("history");
  if (history == null) return "(" + fileError + ")";
  const lines = history.trimEnd().split("\n");
  return lines[lines.length - 1];
}

on((event: Event): void => {
  if (event.kind == EVENT_BOOT) {
    log("tally: resumed at " + commits.toString());
    const count = dataReadText("count");
    log("tally: files at " + (count == null ? "(" + fileError + ")" : count) + ", history ends " + lastEntry());
    return;
  }
  commits++;
  if (!dataWriteText("count", commits.toString())) log("tally: count refused: " + fileError);
  const entry = commits.toString() + "\n";
  if (!(commits % 50 == 1 ? dataWriteText("history", entry) : dataAppendText("history", entry))) log("tally: history refused: " + fileError);
  log("tally: commit " + commits.toString());
});
