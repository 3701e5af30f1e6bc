// console: a program for the harness's own tests — it echoes lines and runs a few commands that need capabilities.
import { listDirectory, powerOff, print, readFile, readLine, run } from "optios";

export function main(): void {
  while (true) {
    const line = readLine();
    if (line == "end") return;
    if (line == "off") powerOff();
    else if (line.startsWith("cat ")) {
      const data = readFile(line.substring(4));
      print(data == null ? "no file\n" : String.UTF8.decode(data.buffer) + "\n");
    } else if (line == "ls") {
      const entries = listDirectory("/etc");
      if (entries != null) for (let i = 0; i < entries.length; i++) print(entries[i].name + (entries[i].isDirectory ? "/" : "") + "\n");
    } else if (line.startsWith("run ")) print("console " + run(line.substring(4)).toString() + "\n");
    else print("you said: " + line + "\n");
  }
}
