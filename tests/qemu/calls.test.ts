// Synchronous calls between handlers, in QEMU: call(name, request) runs the callee nested in
// the caller's run as a sub-transaction and returns its reply.
//
// Builds tests/qemu/systems/calls.toml (client → ledger, calls = true) and drives the client
// from the shell's `emit ask <request>`. The ledger answers "balance=B served=S", so every
// answer shows what the ledger's state is after the transactions before it.
import { describe, expect, test } from "vitest";
import { shellCommand, useSystemAtShell } from "./shell_session.ts";

const guest = useSystemAtShell("tests/qemu/systems/calls.toml");
const ask = (request: string, until: RegExp) => shellCommand(guest(), `emit ask ${request}`, until);

describe.sequential("calls between handlers", () => {
  test("a call returns the callee's reply, and the callee's state persists between calls", async () => {
    expect(await ask("add 5", /client: add 5 -> .*\r?\n/)).toContain("[client] client: add 5 -> balance=5 served=1");
    const output = await ask("add 2", /client: add 2 -> .*\r?\n/);
    expect(output).toContain("[ledger] ledger: add 2 from client"); // Event.name is the caller's name
    expect(output).toContain("[client] client: add 2 -> balance=7 served=2");
  });

  test("a callee that traps gives the caller an error, and its changes are undone; the caller goes on", async () => {
    const output = await ask("fail 100", /client: fail 100 -> .*\r?\n/);
    expect(output).toContain("[client] client: fail 100 -> failed: the called handler trapped or overran; its changes were rolled back");
    expect(output).toContain("handlers: call from 'client' to 'ledger' failed: aborted: ledger fails on purpose at tests/qemu/handlers/ledger.ts");
    expect(output).toContain("[ledger] (rolled back) ledger: fail 100 from client"); // the failed call's lines are marked
    expect(output).not.toMatch(/'client' (aborted|trapped)/); // the caller's run committed
    expect(await ask("get", /client: get -> .*\r?\n/)).toContain("client: get -> balance=7 served=3");
  });

  test("a caller that fails after a successful call rolls back both: one transaction", async () => {
    const output = await ask("add-then-fail 50", /'client' aborted: client fails after its call/);
    expect(output).toContain("[client] (rolled back) client: add-then-fail 50 -> balance=57 served=4");
    expect(output).toContain("[ledger] (rolled back) ledger: add 50 from client");
    await shellCommand(guest(), "reset client", /reset: 'client' is back to its initial state/); // its retries would fail the same way
    expect(await ask("get", /client: get -> .*\r?\n/)).toContain("client: get -> balance=7 served=4");
  });

  test("a callee that overruns uses up the caller's budget: both are stopped and rolled back", async () => {
    const output = await ask("spin", /'client' overran its 50ms budget/);
    expect(output).toContain("handlers: call from 'client' to 'ledger' failed: overran the budget of the run that called it");
    await shellCommand(guest(), "reset client", /reset: 'client' is back to its initial state/);
    expect(await ask("get", /client: get -> .*\r?\n/)).toContain("client: get -> balance=7 served=5");
  });

  test("a handler calling itself, and a name not granted, are refused with their errors", async () => {
    expect(await ask("self", /client: self -> .*\r?\n/)).toContain("[client] client: self -> failed: a handler may not call itself");
    const output = await ask("nobody", /client: nobody -> .*\r?\n/);
    expect(output).toContain("client: nobody -> failed: not granted: the module's capabilities do not allow this call");
    expect(output).toContain("gate: refused client's call handler_call: it needs the capability call:nobody");
  });

  test("handlers shows calls made and served, and each handler's last failed call", async () => {
    const output = await shellCommand(guest(), "handlers");
    // client: at least the 9 asks above, "self" and "nobody" included (a failed run's retries, before
    // its reset, call again), none served; ledger: none made, at least the 5 calls that succeeded.
    const client = /^client\s+1\s+\d+\s+\d+\s+\d+\s+0\/16\s+(\d+)\/(\d+)\s/m.exec(output);
    const ledger = /^ledger\s+1\s+\d+\s+\d+\s+\d+\s+0\/16\s+(\d+)\/(\d+)\s/m.exec(output);
    expect(client, output).not.toBeNull();
    expect(ledger, output).not.toBeNull();
    expect(Number(client![1])).toBeGreaterThanOrEqual(9);
    expect(Number(client![2])).toBe(0);
    expect(Number(ledger![1])).toBe(0);
    expect(Number(ledger![2])).toBeGreaterThanOrEqual(5);
    // A call the gate refuses (call:nobody not granted) never reaches the callee: the gate logs it,
    // naming the capability; the last call that failed past the gate was the call to itself.
    expect(output).toContain("client: last failed call to 'client': a handler may not call itself");
  });
});
