// A handler run's log lines, held until the run ends (the dispatcher releases them).
//
// A run is a transaction, and so is what it says: lines it logs wait here, and reach the
// kernel log only when the run is over, each under the handler's name. A run that rolled
// back has its lines marked, so nobody mistakes them for what a committed run did:
//
//   [ping] pong 3 came back                      committed run
//   [crasher] (rolled back) run 7 fails now      run that trapped or overran
//
// Lines are held as they came, already escaped, with the name of the module that logged
// them (a handler the run called logs into the same run), in a small ring (RUN_LOG_BYTES):
// a run that logs more keeps its last lines, and the release says how many went first.

import { Text } from "../console/text";
import { LEVEL_DEBUG, LEVEL_INFO, log } from "../log/log";
import { LogRing } from "../log/ring";
import { RUN_LOG_BYTES } from "../params";

const held = new LogRing(RUN_LOG_BYTES);
const released = new Text();
const record = new Text();
/** Lines held since the run began (the ring may have dropped the oldest). */
let appended: i32 = 0;
/** Set on a line's level byte: it belongs to a call that failed inside a run that goes on. */
const ROLLED_BACK: u8 = 0x80;
const NAME_END: u8 = 0;

/** Holds one line (escaped text) that module `name` logged during the running handler's run, at `level`. */
export function runLogHold(level: u8, name: string, text: Text): void {
  record.clear().string(name).char(NAME_END).raw(text.pointer, text.length);
  held.append(level, record.pointer, record.length);
  appended++;
}

/** Where the run's lines stand now: runLogRollBackSince(mark) marks every line after it. */
export function runLogMark(): i32 {
  return appended;
}

/** Marks the lines held since `mark` as rolled back: a call inside the run failed, and the run goes on. */
export function runLogRollBackSince(mark: i32): void {
  let index = appended - held.lines; // the oldest line still held
  for (let cursor = held.first(); held.lines > 0 && cursor != held.end(); cursor = held.next(cursor)) {
    if (index++ >= mark) held.setLineLevel(cursor, held.lineLevel(cursor) | ROLLED_BACK);
  }
}

/**
 * Writes the held lines to the kernel log, each under its module's name, and forgets them.
 * A rolled-back run's lines are marked, and so are those of a call that failed within it;
 * with `quiet` (a repeat of a failure already reported) they go to the log at debug level
 * only. `name` is the handler whose run it was.
 */
export function runLogRelease(name: string, rolledBack: bool, quiet: bool): void {
  if (held.lines == 0 && held.dropped == 0) return;
  if (held.dropped > 0) {
    log(quiet ? LEVEL_DEBUG : LEVEL_INFO, released.clear().string("[").string(name).string("] ").string(rolledBack ? "(rolled back) " : "")
      .decimal(held.dropped).string(held.dropped == 1 ? " earlier line" : " earlier lines").string(" of this run not kept (a run holds ")
      .decimal(RUN_LOG_BYTES).string(" bytes of log)"));
  }
  for (let cursor = held.first(); held.lines > 0 && cursor != held.end(); cursor = held.next(cursor)) {
    const level = held.lineLevel(cursor);
    const text = released.clear().char(0x5b); // "["
    const length = held.lineLength(cursor);
    let i = 0;
    for (; i < length && held.lineByte(cursor, i) != NAME_END; i++) text.char(held.lineByte(cursor, i));
    text.string("] ");
    if (rolledBack || (level & ROLLED_BACK) != 0) text.string("(rolled back) ");
    for (i++; i < length; i++) text.char(held.lineByte(cursor, i));
    log(quiet ? LEVEL_DEBUG : level & ~ROLLED_BACK, text);
  }
  held.clear();
  appended = 0;
}
