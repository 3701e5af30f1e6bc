// Input under load: thousands of shell lines written at once to the serial console.
//
// Builds tests/qemu/systems/shell.toml into a scratch root, boots it, and writes LINES
// `echo  flood  N  end` lines to QEMU's standard input in one write. Each line either runs
// whole — the shell prints `flood N end` on a line of its own (the double spaces of the typed
// line make its echo tell apart from the command's output) — or is refused whole and counted
// in the `log` report's input lines; the two add up to what was sent, no number runs twice,
// no output is glued to another line, and the shell answers afterwards. No timing is asserted.
import { describe, expect, test } from "vitest";
import { outputSince, shellCommand, useSystemAtShell } from "./shell_session.ts";

const FLOOD_TIMEOUT_MILLISECONDS = 600_000;
const LINES = 3000;

const guest = useSystemAtShell("tests/qemu/systems/shell.toml");

/** Console 1's input counters from the `log` report. */
async function inputCounters(): Promise<{ entered: number; refused: number }> {
  const report = await shellCommand(guest(), "log", /input: bytes lost: .*\r?\n/); // the report's last line
  const match = /^input: console 1: (\d+) lines entered, (\d+) refused$/m.exec(report);
  if (!match) throw new Error(`no input line for console 1 in the log report:\n${report}`);
  return { entered: Number(match[1]), refused: Number(match[2]) };
}

describe.sequential("serial input under load", () => {
  test("flood: every line runs whole or is refused whole and counted; the counts add up; the shell answers", async () => {
    const before = await inputCounters();
    const from = guest().output.length;
    const lines = Array.from({ length: LINES }, (_, n) => `echo  flood  ${n}  end\r`).join("");
    await guest().type(lines + "echo  flood  done  now\r");
    await guest().waitFor(/flood done now\r?\noptios\$ /, FLOOD_TIMEOUT_MILLISECONDS, from); // and the prompt after it
    const output = outputSince(guest(), from);

    const ran = new Map<number, number>();
    for (const match of output.matchAll(/flood (\d+) end([\s\S]?)/g)) {
      expect(match[2], `output glued to what followed it: ${JSON.stringify(match[0])}`).toBe("\n");
      ran.set(Number(match[1]), (ran.get(Number(match[1])) ?? 0) + 1);
    }
    const twice = [...ran].filter(([, count]) => count > 1).map(([number]) => number);
    expect(twice, "lines that ran more than once").toEqual([]);
    expect([...ran.keys()].every((number) => number >= 0 && number < LINES)).toBe(true);
    expect(output, "typed lines glued together").not.toMatch(/endecho/);

    const after = await inputCounters();
    const refused = after.refused - before.refused;
    expect(ran.size + refused).toBe(LINES);
    expect(after.entered - before.entered).toBe(ran.size + 2); // the flood's lines that ran, "done" and this "log"
    // One space: the shell's answer, not the typed line (which may follow the last prompt on its line).
    expect(await shellCommand(guest(), "echo  still  here", /still here\r?\n/)).toMatch(/still here$/m);
  }, FLOOD_TIMEOUT_MILLISECONDS + 60_000);
});
