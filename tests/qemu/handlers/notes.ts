// Test fixture for files on the data disk (tests/qemu/files.test.ts): keeps notes.txt in its own
// directory, /data/notes/. "note TEXT" appends a line; "note.fail TEXT" appends and then fails,
// so the run and its append roll back; "note.spin" appends (reading the file from the disk) and
// never ends, so its budget must stop it; "note.check" logs the file; "note.clear" removes it;
// "note.fill" writes another 1 MiB file until the disk's file space refuses one. At boot it logs
// what it finds, so a test sees what survived the reboot.
import { dataAppendText, dataList, dataReadText, dataRemove, dataWrite, Event, EVENT_BOOT, fileError, log, on, payloadText } from "optios";
export { handle } from "optios";

export const version = "1";

let filled: u32 = 0;
/** note.fill's megabyte, made once: a run that allocated its own would grow the memory every checkpoint writes. */
const block = new Uint8Array(1024 * 1024);

/** notes.txt on one line ('|' for each newline), or why it cannot be read. */
function notes(): string {
  const text = dataReadText("notes.txt");
  return text == null ? "(" + fileError + ")" : text.replaceAll("\n", "|");
}

on((event: Event): void => {
  if (event.kind == EVENT_BOOT) {
    const entries = dataList("/data/notes");
    log("notes: boot: " + notes() + " in " + (entries == null ? "(" + fileError + ")" : entries.length.toString() + " files"));
    return;
  }
  const name = event.name;
  if (name == "note" || name == "note.fail" || name == "note.spin") {
    if (!dataAppendText("notes.txt", payloadText(event) + "\n")) log("notes: append refused: " + fileError);
    log("notes: now " + notes());
    if (name == "note.fail") throw new Error("notes fails on purpose after appending");
    if (name == "note.spin") while (filled < 0xffffffff) filled = filled ^ 1; // never ends: its budget must stop it
  } else if (name == "note.check") {
    log("notes: check " + notes());
  } else if (name == "note.clear") {
    log(dataRemove("notes.txt") ? "notes: removed" : "notes: remove refused: " + fileError);
  } else if (name == "note.fill") {
    const path = "big-" + (filled + 1).toString();
    block.fill(<u8>(0x41 + filled));
    if (dataWrite(path, block)) {
      filled++;
      log("notes: wrote " + path);
    } else {
      log("notes: write refused: " + fileError);
    }
  }
});
