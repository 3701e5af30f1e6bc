// The OptiOS shell: the default foreground program. Reads a line, runs the command, repeats.
//
// Every command is a few calls into the kernel through the optios API; the kernel writes
// its reports (handlers, mem, log, ps, uptime) and the outcome of system requests straight
// to this console. Bad input never ends the shell: unknown commands and wrong arguments get
// a message saying what was expected. Paths under /data are the data disk's (the optios API
// sends them to the data calls); the rest are the boot filesystem's.

import { dataAppendText, dataList, dataRead, dataRemove, dataWriteText, ipv4, ping, emit, ERROR_NOT_GRANTED, LOG_DEBUG, LOG_INFO, runOnConsole, errorText, fileError, lastError, listDirectory, powerOff, print, readFile, readLine, reboot, report,
  REPORT_CAPABILITIES, REPORT_DISKS, REPORT_HANDLERS, REPORT_LOG, REPORT_NETWORK, REPORT_MEMORY, REPORT_PROGRAMS, REPORT_UPTIME, resetHandler, run, stop, sync,
  wallTime } from "optios";

const PROMPT = "optios$ ";

const HELP = `commands:
  help                   this list
  ls [path]              list a directory: the boot filesystem, or the data disk under /data (default /)
  cat <file>             print a file
  rm <file>              remove a file from the data disk (/data/...)
  write <file> <text>    make a file on the data disk hold the text and a newline (append <file> <text> adds them)
  echo <text>            print the text
  handlers               every handler: version, runs, failures, state bytes, queue, calls, state, last failure
  df                     the data disk: size, label, format, write cache, requests; every disk seen at boot
  net                    the network: cards, address, what the stack received, sent and dropped, and why
  ping <address> [count] have the network stack ping an IPv4 address (answers come in the log)
  sync                   flush the data disk: every handler state written to it is durable
  capabilities           what each handler and running program may do
  emit <event> [payload] send an app event to the handlers subscribed to it
  reset <handler>        put a handler back to its initial state (lifts quarantine)
  uptime                 time since boot
  date                   the date and time (UTC), from the real-time clock
  mem                    physical memory in use
  log [debug]            the kernel log (debug: with the debug-level lines)
  ps                     foreground programs and their consoles
  run <program> [args]   run /bin/<program> here and wait for it (Ctrl-C stops it)
  run -b <program> [args]  start it on the next free console instead
  stop <console>         stop the program on console 1-4
  reboot                 restart the machine
  poweroff               turn the machine off
consoles: Alt+F1..F4 on the keyboard, ESC 1..4 on a serial terminal
`;

export function main(): void {
  print("OptiOS shell. Type help for the commands.\n");
  while (true) {
    print(PROMPT);
    const words = split(readLine());
    if (words.length > 0) execute(words);
  }
}

/** The line's words, separated by spaces; the rest of the line stays in the last word for echo and emit. */
function split(line: string): string[] {
  const words = new Array<string>();
  const parts = line.split(" ");
  for (let i = 0; i < parts.length; i++) if (parts[i].length > 0) words.push(parts[i]);
  return words;
}

/** Says so when the kernel refused a call for want of a capability (the kernel logs it too). */
function refused(command: string, done: bool): void {
  if (!done && lastError == ERROR_NOT_GRANTED) print(command + ": " + errorText(lastError) + "\n");
}

function execute(words: string[]): void {
  const command = words[0];
  const count = words.length - 1;
  if (command == "help") print(HELP);
  else if (command == "ls") list(count > 0 ? words[1] : "/");
  else if (command == "write" || command == "append") {
    if (count < 2 || !onDataDisk(words[1])) usage(command + " <file> <text>, a file on the data disk such as /data/notes/todo.txt");
    else writeCommand(command, words[1], words.slice(2).join(" ") + "\n");
  } else if (command == "rm") {
    if (count != 1) usage("rm <file>, a file on the data disk such as /data/notes/todo.txt");
    else if (!dataRemove(words[1])) print("rm: " + fileError + "\n");
  }
  else if (command == "cat") {
    if (count != 1) usage("cat <file>");
    else cat(words[1]);
  } else if (command == "echo") print(words.slice(1).join(" ") + "\n");
  else if (command == "handlers") refused(command, report(REPORT_HANDLERS));
  else if (command == "capabilities") refused(command, report(REPORT_CAPABILITIES));
  else if (command == "emit") {
    if (count < 1) usage("emit <event> [payload]");
    else emitEvent(words[1], words.slice(2).join(" "));
  } else if (command == "reset") {
    if (count != 1) usage("reset <handler>");
    else refused(command, resetHandler(words[1]));
  } else if (command == "uptime") refused(command, report(REPORT_UPTIME));
  else if (command == "date") printDate();
  else if (command == "mem") refused(command, report(REPORT_MEMORY));
  else if (command == "df") refused(command, report(REPORT_DISKS));
  else if (command == "net") refused(command, report(REPORT_NETWORK));
  else if (command == "ping") pingCommand(words);
  else if (command == "sync") print(sync() ? "sync: every handler state written to the data disk is durable\n" : "sync: " + errorText(lastError) + "\n");
  else if (command == "log") {
    if (count > 1 || (count == 1 && words[1] != "debug")) usage("log [debug]");
    else refused(command, report(REPORT_LOG, count == 1 ? LOG_DEBUG : LOG_INFO));
  }
  else if (command == "ps") refused(command, report(REPORT_PROGRAMS));
  else if (command == "run") runCommand(words); else if (command == "stop") {
    const number = count == 1 ? parseConsole(words[1]) : 0;
    if (number == 0) usage("stop <console>, a console number from 1 to 4 (see: ps)");
    else refused(command, stop(number));
  } else if (command == "reboot") {
    reboot();
    refused(command, false);
  } else if (command == "poweroff") {
    powerOff();
    refused(command, false);
  }
  else print(command + ": unknown command (type help for the list)\n");
}

/** run <program> [args]: here, waiting for it; run -b <program> [args]: on the next free console. */
function runCommand(words: string[]): void {
  const background = words.length > 1 && words[1] == "-b";
  const first = background ? 2 : 1;
  if (words.length <= first) {
    usage("run [-b] <program> [args] (see: ls /bin)");
    return;
  }
  const name = words[first];
  const argumentLine = words.slice(first + 1).join(" ");
  if (background) refused("run", runOnConsole(name, argumentLine) > 0);
  else refused("run", run(name, argumentLine) >= 0);
}

function usage(form: string): void {
  print("usage: " + form + "\n");
}

/** write/append <file> <text>: the file holds the text (and a newline), or gets it at its end; durable when it returns. */
function writeCommand(command: string, path: string, text: string): void {
  const done = command == "write" ? dataWriteText(path, text) : dataAppendText(path, text);
  if (!done) print(command + ": " + fileError + "\n");
}

/** Whether `path` is the data disk's: /data and below (the rest is the boot filesystem's). */
function onDataDisk(path: string): bool {
  return path == "/data" || path.startsWith("/data/");
}

function list(path: string): void {
  const entries = onDataDisk(path) ? dataList(path) : listDirectory(path);
  if (entries == null) {
    print("ls: " + fileError + "\n");
    return;
  }
  for (let i = 0; i < entries.length; i++) print(entries[i].name + (entries[i].isDirectory ? "/" : "") + "\n");
  // The data disk is mounted at /data, beside the boot filesystem's root.
  if (path == "/" && dataList("/data") != null) print("data/\n");
}

function cat(path: string): void {
  const data = onDataDisk(path) ? dataRead(path) : readFile(path);
  if (data == null) {
    print("cat: " + fileError + "\n");
    return;
  }
  const text = String.UTF8.decode(data.buffer);
  print(text.length > 0 && !text.endsWith("\n") ? text + "\n" : text);
}

function emitEvent(name: string, payload: string): void {
  const bytes = Uint8Array.wrap(String.UTF8.encode(payload));
  if (emit(name, bytes)) print("emitted '" + name + "'\n");
  else print("emit: '" + name + "': " + errorText(lastError) + "\n");
}

/** Prints the wall-clock time as "2026-11-27 15:20:01 UTC". */
function printDate(): void {
  const nanoseconds = wallTime();
  if (nanoseconds == 0) {
    print("date: " + errorText(lastError) + "\n");
    return;
  }
  const seconds = <i64>(nanoseconds / 1_000_000_000);
  const days = seconds / 86400;
  const time = seconds % 86400;
  // Howard Hinnant's civil_from_days: the calendar date of a day count since 1970-01-01.
  const z = days + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const dayOfEra = z - era * 146097;
  const yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
  const dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
  const monthIndex = (5 * dayOfYear + 2) / 153;
  const day = dayOfYear - (153 * monthIndex + 2) / 5 + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  print(year.toString() + "-" + twoDigits(month) + "-" + twoDigits(day) + " " + twoDigits(time / 3600) + ":" +
    twoDigits(time / 60 % 60) + ":" + twoDigits(time % 60) + " UTC\n");
}

function twoDigits(value: i64): string {
  return (value < 10 ? "0" : "") + value.toString();
}

/** "1" … "4" as a number; 0 for anything else. */
function parseConsole(word: string): i32 {
  if (word.length != 1) return 0;
  const digit = word.charCodeAt(0) - 0x30;
  return digit >= 1 && digit <= 4 ? digit : 0;
}

/** ping <address> [count]: the stack sends the requests; each answer comes as a log line on this console. */
function pingCommand(words: string[]): void {
  const address = words.length > 1 ? ipv4(words[1]) : 0;
  const count = words.length > 2 ? I32.parseInt(words[2]) : 1;
  if (words.length < 2 || words.length > 3 || address == 0 || count < 1 || count > 10) {
    usage("ping <address> [count], an IPv4 address such as 10.0.2.2 and 1 to 10 requests");
    return;
  }
  if (ping(address, <u32>count)) print("ping: " + words[1] + ": " + count.toString() + " echo request" + (count > 1 ? "s" : "") + " sent; answers come in the log\n");
  else print("ping: " + errorText(lastError) + "\n");
}
