// console: a program for the harness's own tests — it echoes lines and runs a few commands that need capabilities.
import { argumentLine, listDirectory, powerOff, print, readFile, readLine, run, runOnConsole } from "optios";

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
    } else if (line.startsWith("run ")) print("console " + runOnConsole(line.substring(4)).toString() + "\n");
    else if (line.startsWith("here ")) print("exit " + run(line.substring(5), "with arguments").toString() + "\n");
    else if (line == "arguments") print("arguments '" + argumentLine() + "'\n");
    else print("you said: " + line + "\n");
  }
}
