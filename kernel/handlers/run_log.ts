// A handler run's log lines, held until the run ends (the dispatcher releases them).
//
// A run is a transaction, and so is what it says: lines it logs wait here, and reach the
// kernel log only when the run is over, each under the handler's name. A run that rolled
// back has its lines marked, so nobody mistakes them for what a committed run did:
//
//   [ping] pong 3 came back                      committed run
//   [crasher] (rolled back) run 7 fails now      run that trapped or overran
//
// Lines are held as they came, already escaped, in a small ring (RUN_LOG_BYTES): a run
// that logs more keeps its last lines, and the release says how many went first.

import { Text } from "../console/text";
import { LEVEL_DEBUG, LEVEL_INFO, log } from "../log/log";
import { LogRing } from "../log/ring";
import { RUN_LOG_BYTES } from "../params";

const held = new LogRing(RUN_LOG_BYTES);
const released = new Text();

/** Holds one line (escaped text, kernel memory) of the running handler's run at `level`. */
export function runLogHold(level: u8, text: Text): void {
  held.append(level, text.pointer, text.length);
}

/**
 * Writes the held lines to the kernel log under `name` and forgets them. A rolled-back
 * run's lines are marked; with `quiet` (a repeat of a failure already reported) they go
 * to the log at debug level only.
 */
export function runLogRelease(name: string, rolledBack: bool, quiet: bool): void {
  if (held.lines == 0 && held.dropped == 0) return;
  if (held.dropped > 0) {
    log(quiet ? LEVEL_DEBUG : LEVEL_INFO, prefix(name, rolledBack).decimal(held.dropped)
      .string(held.dropped == 1 ? " earlier line" : " earlier lines").string(" of this run not kept (a run holds ")
      .decimal(RUN_LOG_BYTES).string(" bytes of log)"));
  }
  for (let cursor = held.first(); held.lines > 0 && cursor != held.end(); cursor = held.next(cursor)) {
    const text = prefix(name, rolledBack);
    const length = held.lineLength(cursor);
    for (let i = 0; i < length; i++) text.char(held.lineByte(cursor, i));
    log(quiet ? LEVEL_DEBUG : held.lineLevel(cursor), text);
  }
  held.clear();
}

function prefix(name: string, rolledBack: bool): Text {
  released.clear().string("[").string(name).string("] ");
  return rolledBack ? released.string("(rolled back) ") : released;
}
