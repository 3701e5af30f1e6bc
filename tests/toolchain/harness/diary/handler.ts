// Harness fixture: a diary in its own directory on the data disk (/data/diary/). "write TEXT"
// appends a line; "fail TEXT" appends, then traps; "read" logs the diary; "peek" reads another
// handler's file; "list" logs /data/diary's entries; "tear" removes the diary.
import { dataAppendText, dataList, dataReadText, dataRemove, Event, fileError, lastError, log, on, payloadText } from "optios";
export { handle } from "optios";

export const version = "1";

on((event: Event): void => {
  const name = event.name;
  if (name == "write" || name == "fail") {
    log(dataAppendText("diary.txt", payloadText(event) + "\n") ? "appended" : "refused: " + fileError);
    if (name == "fail") throw new Error("the diary fails after appending");
  } else if (name == "read") {
    const text = dataReadText("diary.txt");
    log(text == null ? "no diary: " + fileError : text.replaceAll("\n", "|"));
  } else if (name == "peek") {
    const text = dataReadText("/data/other/secret.txt");
    log(text == null ? "peek refused " + lastError.toString() + ": " + fileError : "peeked " + text);
  } else if (name == "list") {
    const entries = dataList("/data/diary");
    if (entries == null) log("no listing: " + fileError);
    else for (let i = 0; i < entries.length; i++) log(entries[i].name + (entries[i].isDirectory ? "/" : ""));
  } else if (name == "tear") {
    log(dataRemove("diary.txt") ? "removed" : "refused: " + fileError);
  }
});
