// The OptiOS shell in QEMU, driven over the serial port (and once over the PS/2 keyboard).
//
// Builds tests/qemu/systems/shell.toml (the shell and the counter program, max = 2, a
// handler on a 500 ms timer and one answering the app event "greet") into a scratch root,
// boots it once, and runs one command per test in order, checking what each printed.
// The last test powers the machine off and expects QEMU to end.
import { describe, expect, test } from "vitest";
import { COMMAND_TIMEOUT_MILLISECONDS, outputSince, SHELL_PROMPT, shellCommand, useSystemAtShell } from "./shell_session.ts";

const PROMPT = SHELL_PROMPT;
const ESCAPE = "\u001b";

const guest = useSystemAtShell("tests/qemu/systems/shell.toml", { monitor: true });
const since = (from: number) => outputSince(guest(), from);
const command = (line: string, until?: RegExp | string) => shellCommand(guest(), line, until);

/** Waits until the ticker handler has run `count` more times from now (it is on a 500 ms timer). */
async function tickerRunsAgain(count: number): Promise<void> {
  const runs = Array.from({ length: count }, () => "\\[ticker\\] counter: run \\d+").join("[\\s\\S]*");
  await guest().waitFor(new RegExp(runs), COMMAND_TIMEOUT_MILLISECONDS, guest().output.length);
}

/** The counter program's line of `ps`: [turns, cpu milliseconds]. */
function counterUsage(ps: string): [number, number] {
  const match = /^2\s+counter\s+running\s+(\d+)\s+([\d.]+)/m.exec(ps);
  if (!match) throw new Error(`no running counter on console 2 in:\n${ps}`);
  return [Number(match[1]), Number(match[2])];
}

describe.sequential("the shell over serial", () => {
  test("help lists every command", async () => {
    const output = await command("help");
    for (const name of ["help", "ls", "cat", "echo", "handlers", "emit", "reset", "uptime", "mem", "log", "ps", "run", "stop",
      "reboot", "poweroff"]) {
      expect(output).toMatch(new RegExp(`^  ${name}\\b`, "m"));
    }
  });

  test("echo prints its arguments; the line editor echoes what was typed", async () => {
    const output = await command("echo  hello   OptiOS");
    expect(output).toContain("echo  hello   OptiOS\n"); // the editor's echo of the keystrokes
    expect(output).toMatch(/^hello OptiOS$/m);
  });

  test("backspace edits the line before it is entered", async () => {
    const output = await command("echo abx\u007fc");
    expect(output).toMatch(/^abc$/m);
  });

  test("ls lists the boot filesystem: / and the programs in /bin", async () => {
    expect(await command("ls")).toMatch(/^bin\/\netc\/$/m);
    expect(await command("ls /bin")).toMatch(/^counter\nshell$/m);
    expect(await command("ls /nowhere")).toContain("ls: /nowhere: no such directory");
    expect(await command("ls /etc/system.toml")).toContain("ls: /etc/system.toml: not a directory");
  });

  test("cat prints a file; the kernel's config says max = 2", async () => {
    const output = await command("cat /etc/system.toml");
    expect(output).toMatch(/^\[foreground\]\nmax = 2$/m);
    expect(await command("cat /missing")).toContain("cat: /missing: no such file");
    expect(await command("cat /etc")).toContain("cat: /etc: is a directory");
    expect(await command("cat")).toContain("usage: cat <file>");
  });

  test("handlers shows each handler's version, runs, failures, state bytes, queue, calls, state and last failure", async () => {
    await guest().waitFor(/\[ticker\] counter: run 2/, COMMAND_TIMEOUT_MILLISECONDS);
    const output = await command("handlers");
    expect(output).toMatch(/NAME\s+VERSION\s+RUNS\s+FAILURES\s+STATE BYTES\s+QUEUE\s+CALLS\s+STATE\s+LAST FAILURE/);
    const ticker = /^ticker\s+1\s+(\d+)\s+0\s+(\d+)\s+\d+\/16\s+0\/0\s+running\s+-$/m.exec(output);
    expect(ticker, output).not.toBeNull();
    expect(Number(ticker![1])).toBeGreaterThan(0);
    expect(Number(ticker![2])).toBeGreaterThanOrEqual(65536); // at least one wasm page of state
    expect(output).toMatch(/^greeter\s+1\s+0\s+0\s+\d+\s+0\/16\s+0\/0\s+running\s+-$/m);
  });

  test("emit sends an app event with a payload to the handler subscribed to it", async () => {
    const output = await command("emit greet from the shell", /\[greeter\] greeter: got 'from the shell'/);
    expect(output).toContain("emitted 'greet'");
    expect(await command("emit nobody-listens")).toContain("emit: 'nobody-listens': no handler is subscribed to that event");
    expect(await command("emit")).toContain("usage: emit <event> [payload]");
  });

  test("reset puts a handler back to its initial state: its run count starts again at 1", async () => {
    await guest().waitFor(/\[ticker\] counter: run [3-9]/, COMMAND_TIMEOUT_MILLISECONDS);
    const output = await command("reset ticker", /\[ticker\] counter: run 1\r?\n/);
    expect(output).toContain("reset: 'ticker' is back to its initial state");
    expect(output).toContain("handlers: 'ticker' reset to its initial state (version 1)");
    expect(await command("reset nosuch")).toContain("reset: no handler called 'nosuch' (see: handlers)");
  });

  test("uptime, mem and log report from the kernel", async () => {
    expect(await command("uptime")).toMatch(/^up (\d+m )?\d+s \(\d+\.\d{3} s since boot\), 2 handlers$/m);
    expect(await command("mem")).toMatch(/^memory: [\d.]+ MiB total, [\d.]+ (KiB|MiB) used, [\d.]+ MiB free/m);
    const log = await command("log");
    expect(log).toContain("programs: started 'shell' on console 1");
    expect(log).toContain("handlers: started 'greeter' version 1");
  });

  test("unknown commands and bad arguments get a message, and the shell goes on", async () => {
    expect(await command("frobnicate now")).toContain("frobnicate: unknown command (type help for the list)");
    expect(await command("stop nine")).toContain("usage: stop <console>");
    expect(await command("run")).toContain("usage: run [-b] <program> [args] (see: ls /bin)");
    expect(await command("run nosuch")).toContain("run: 'nosuch' is not a program of this system (see: ls /bin)");
    expect(await command("echo still here")).toMatch(/^still here$/m);
  });

  test("with max = 2, run -b starts a second program: both make progress while a handler keeps firing", async () => {
    expect(await command("run -b counter")).toContain("run: started 'counter' on console 2");
    const firstPs = await command("ps");
    expect(firstPs).toMatch(/^1\s+shell\s+/m);
    const [turns, cpu] = counterUsage(firstPs);
    await tickerRunsAgain(2); // the handler keeps its timer while the counter takes the CPU
    const secondPs = await command("ps"); // the shell answering is the shell making progress
    const [laterTurns, laterCpu] = counterUsage(secondPs);
    expect(laterTurns).toBeGreaterThan(turns);
    expect(laterCpu).toBeGreaterThan(cpu);
  });

  test("every console taken: run -b says so, how to raise the limit, and starts nothing", async () => {
    expect(await command("run -b counter")).toContain("run: all 2 consoles have a program ([foreground] max = 2): run it here instead " +
      "(run NAME), stop one (stop N), or raise [foreground] max (at most 4) in the system.toml and rebuild");
  });

  test("ESC 2 on serial shows console 2 with what the counter printed; ESC 1 comes back to the shell", async () => {
    let from = guest().output.length;
    await guest().type(`${ESCAPE}2`);
    await guest().waitFor(/-- console 2 \(Alt\+F2, or ESC 2 on serial\) --\r?\n[\s\S]*?counter: \d+ million\r?\n/, COMMAND_TIMEOUT_MILLISECONDS, from);
    from = guest().output.length;
    await guest().waitFor(/counter: \d+ million\r?\n/, COMMAND_TIMEOUT_MILLISECONDS, from); // and it goes on
    from = guest().output.length;
    await guest().type(`${ESCAPE}1`);
    // Console 1's recent output is redrawn, up to the shell's last answer and prompt…
    await guest().waitFor(/-- console 1 \(Alt\+F1, or ESC 1 on serial\) --\r?\n[\s\S]*run: all 2 consoles have a program.*\r?\noptios\$ /,
      COMMAND_TIMEOUT_MILLISECONDS, from);
    const shown = since(from);
    expect(shown.slice(shown.indexOf("-- console 1"))).not.toMatch(/counter: \d+ million/); // …and nothing of console 2's
  });

  test("stop ends the program on console 2; its slot can be used again", async () => {
    const output = await command("stop 2", /programs: 'counter' on console 2 was stopped/);
    expect(output).toContain("stop: stopping the program on console 2");
    expect(await command("ps")).not.toMatch(/counter/);
    expect(await command("stop 2")).toContain("stop: no other program on console 2");
    expect(await command("run -b counter")).toContain("run: started 'counter' on console 2");
    await command("stop 2", /programs: 'counter' on console 2 was stopped/);
  });

  test("Ctrl-C stops a busy program on its console; at the shell's prompt it only discards the line", async () => {
    expect(await command("run -b counter")).toContain("run: started 'counter' on console 2");
    const from = guest().output.length;
    await guest().type(`${ESCAPE}2`);
    await guest().waitFor(/counter: \d+ million/, COMMAND_TIMEOUT_MILLISECONDS, from);
    await guest().type("\u0003");
    await guest().waitFor(/\^C: stopping 'counter'/, COMMAND_TIMEOUT_MILLISECONDS, from);
    await guest().type(`${ESCAPE}1`);
    await guest().waitFor(/-- console 1 \(Alt\+F1, or ESC 1 on serial\) --/, COMMAND_TIMEOUT_MILLISECONDS, from);
    const typed = guest().output.length;
    await guest().type("echo discarded\u0003");
    expect(await command("echo alive", /^alive\r?\n/m)).toMatch(/^alive$/m);
    expect(since(typed)).not.toMatch(/^discarded$/m);
    expect(await command("ps")).not.toMatch(/counter/);
  });

  test("run passes its arguments and runs the program here: it reads this console's lines, and the shell waits until it ends", async () => {
    const asked = await command("run asker  one two   three", /your name\? /);
    expect(asked).toContain("asker: argument line 'one two three', words [one|two|three]");
    const answered = await command("Ada"); // the line goes to the asker, not to the shell
    expect(answered).toMatch(/^asker: hello Ada$/m);
    expect(answered).not.toMatch(/Ada: unknown command/);
    expect(await command("ps")).not.toMatch(/asker/);
  });

  test("log leaves out debug-level lines and says how many; log debug shows them", async () => {
    // A program run here from the shell (the asker, just now) starts and ends at debug level.
    const info = await command("log");
    expect(info).not.toContain("programs: started 'asker' on console 1");
    expect(info).toMatch(/^\(\d+ lines? at debug level not shown: log debug shows them\)$/m);
    const debug = await command("log debug");
    expect(debug).toContain("programs: started 'asker' on console 1");
    expect(debug).toContain("programs: 'asker' on console 1 ended");
    expect(debug).not.toMatch(/debug level not shown/);
    expect(await command("log everything")).toContain("usage: log [debug]");
  });

  test("a program run here ends by itself and the shell comes back; a bad argument gets its usage", async () => {
    expect(await command("run counter 20")).toMatch(/counter: 10 million\n(.*\n)*counter: counted to 20 million\n/);
    expect(await command("run counter x")).toContain("usage: counter [millions]");
  });

  test("programs started again and again, and starts refused, leave the kernel's heap where it was", async () => {
    // The kernel's runtime never frees: a start that made a string of the program's name, or a
    // new Caller for its module, grew the heap for good with every run.
    const heap = async () => Number(/^kernel: heap ([\d,]+) bytes \([\d.]+ (B|KiB|MiB)\) of /m.exec(await command("mem"))?.[1].replace(/,/g, ""));
    await command("run counter 1");
    const before = await heap();
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 12; i++) {
      expect(await command("run counter 1")).toContain("counter: counted to 1 million");
      expect(await command("run nosuch")).toContain("run: 'nosuch' is not a program of this system");
    }
    expect(await heap() - before, "bytes the kernel's heap grew").toBeLessThanOrEqual(256); // the `mem` reports' own few bytes
  });

  test("Ctrl-C ends a busy program run here, and one that waits for a line; the shell goes on", async () => {
    let from = guest().output.length;
    await guest().type("run counter\r");
    await guest().waitFor(/counter: \d+ million/, COMMAND_TIMEOUT_MILLISECONDS, from);
    await guest().type("\u0003");
    await guest().waitFor(/\^C: stopping 'counter'[\s\S]*programs: 'counter' on console 1 was stopped[\s\S]*optios\$ /,
      COMMAND_TIMEOUT_MILLISECONDS, from);
    await command("run asker", /your name\? /);
    from = guest().output.length;
    await guest().type("half a line\u0003");
    await guest().waitFor(/\^C: stopping 'asker'[\s\S]*programs: 'asker' on console 1 was stopped[\s\S]*optios\$ /,
      COMMAND_TIMEOUT_MILLISECONDS, from);
    expect(since(from)).not.toMatch(/asker: hello/);
    expect(await command("echo alive")).toMatch(/^alive$/m);
  });

  test("a program that traps is reported and ended; the shell and the handlers go on", async () => {
    const output = await command("run trapper", /programs: 'trapper' on console 1 trapped \(integer divide by zero\) and was ended/);
    expect(output).toContain("trapper: about to divide by zero");
    await tickerRunsAgain(1);
    expect(await command("ps")).not.toMatch(/trapper/);
    expect(await command("echo alive")).toMatch(/^alive$/m);
  });

  test("the PS/2 keyboard types into the same shell (QEMU sendkey)", async () => {
    const from = guest().output.length;
    for (const key of ["e", "c", "h", "o", "spc", "shift-k", "b", "d", "ret"]) await guest().sendKey(key);
    await guest().waitFor(/^Kbd$/m, COMMAND_TIMEOUT_MILLISECONDS, from);
    // The ticker's log line may land in the middle of the typed line (the console breaks the line for it).
    expect(since(from).replace(/\n\[ticker\][^\n]*\n/g, "")).toContain("echo Kbd\n");
  });

  test("poweroff turns the machine off through ACPI: QEMU ends", async () => {
    await guest().type("poweroff\r");
    expect(await guest().waitForExit(COMMAND_TIMEOUT_MILLISECONDS)).toBe(0);
    expect(guest().output).toMatch(/power: ACPI S5: PM1a_CNT port 0x/);
  });
});
