// Messages between handlers, in QEMU: post(name, message) into the receiver's bounded queue,
// delivered in order once the sender's run committed, never from a run that rolled back; a
// full queue, a handler that takes none and an ungranted name are each a named error to the sender.
//
// Builds tests/qemu/systems/messages.toml (poster → inbox with queue = 4) and drives the
// poster from the shell's `emit`.
import { describe, expect, test } from "vitest";
import { shellCommand, useSystemAtShell } from "./shell_session.ts";

const guest = useSystemAtShell("tests/qemu/systems/messages.toml");
const command = (line: string, until: RegExp) => shellCommand(guest(), line, until);

describe.sequential("post between handlers", () => {
  test("messages arrive in the order posted, after the sender's run, with the sender's name", async () => {
    const output = await command("emit send 3", /inbox: got 'batch 1 #3 of 3' from poster/);
    const lines = output.split("\n");
    const done = lines.findIndex((line) => line === "[poster] poster: batch 1 done");
    const got = [1, 2, 3].map((i) => lines.findIndex((line) => line.startsWith(`[inbox] inbox: got 'batch 1 #${i} of 3' from poster`)));
    expect(done).toBeGreaterThanOrEqual(0);
    expect(got.every((index) => index > done)).toBe(true); // the poster's run was over before any arrived
    expect(got).toEqual([...got].sort((a, b) => a - b));
  });

  test("a handler that takes no messages and a name not granted are refused with their errors", async () => {
    const output = await command("emit send 1", /poster: batch 2 done/);
    expect(output).toContain("[poster] poster: ticker: that handler takes no messages (messages = true in its system.toml entry)");
    expect(output).toContain("[poster] poster: nobody: not granted: the module's capabilities do not allow this call");
    expect(output).toContain("gate: refused poster's call post: it needs the capability post:nobody");
  });

  test("a full queue refuses the post and tells the sender; nothing is dropped silently", async () => {
    const output = await command("emit send 6", /inbox: got 'batch 3 #4 of 6' from poster/);
    expect(output).toContain("[poster] poster: post #5 refused: the event queue is full");
    expect(output).toContain("[poster] poster: post #6 refused: the event queue is full");
    expect(output).not.toMatch(/inbox: got 'batch 3 #5/);
    // The handlers table shows each queue's depth (system.toml queue) and what waits in it.
    expect(await command("handlers", /^ticker .*$/m)).toMatch(/^inbox\s+1\s+\d+\s+0\s+\d+\s+0\/4\s+0\/0\s+running\s+-$/m);
  });

  test("a run that rolls back posts nothing, however often it is retried; the queue works on after", async () => {
    // The failing event is retried after each back-off until the poster is quarantined; then `reset` lifts that.
    const failed = await command("emit send.fail", /'poster' aborted: poster fails after posting.*quarantined/);
    expect(failed).toContain("[poster] (rolled back) poster: posted two, now failing");
    await command("reset poster", /reset: 'poster' is back to its initial state/);
    const output = await command("emit send 1", /inbox: got 'batch 1 #1 of 1' from poster/); // a reset poster counts from 1 again
    expect(failed + output).not.toContain("doomed");
  });
});
