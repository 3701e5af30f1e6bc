// Messages in system.toml: a handler's `messages` and `queue`, and post:<name> grants checked against them.
import { describe, expect, it } from "vitest";
import { limit } from "../../../interface/optios.ts";
import { SYSTEM, errorOf, load, writeFiles } from "./helpers.ts";

const receiver = (extra = "") => `[[handlers]]\nname = "inbox"\nsource = "h.ts"\nversion = "1"\n${extra}`;
const sender = (capability: string) => `[[handlers]]\nname = "outbox"\nsource = "h.ts"\nversion = "1"\nboot = true\n` +
  `capabilities = ["${capability}"]\n`;

describe("a handler that takes messages", () => {
  it("may have messages = true as its only trigger, and a queue depth; the default queue is QUEUE_DEPTH", async () => {
    const folder = writeFiles({ "system.toml": SYSTEM + receiver("messages = true\nqueue = 64\n") + sender("post:inbox"), "h.ts": "" });
    const { config } = await load(folder);
    expect(config.handlers[0]).toMatchObject({ name: "inbox", queueDepth: 64, triggers: { messages: true } });
    expect(config.handlers[1]).toMatchObject({ name: "outbox", queueDepth: limit("QUEUE_DEPTH"), triggers: { messages: false } });
  });

  it("refuses a queue outside 1 to QUEUE_DEPTH_MAX, naming the line", async () => {
    const message = await errorOf({ "system.toml": SYSTEM + receiver(`messages = true\nqueue = ${limit("QUEUE_DEPTH_MAX") + 1}\n`), "h.ts": "" });
    expect(message).toMatch(new RegExp(`system\\.toml:9: .*queue: .*expected a whole number from 1 to ${limit("QUEUE_DEPTH_MAX")}`));
  });

  it("a handler with no trigger at all is still refused, and the message names messages = true", async () => {
    expect(await errorOf({ "system.toml": SYSTEM + receiver(), "h.ts": "" }))
      .toContain("no trigger; expected at least one of every, after, events, udp, tcp, boot = true, messages = true or calls = true");
  });
});

describe("post:<name> grants", () => {
  it("refuse a handler that takes no messages, saying what to add", async () => {
    expect(await errorOf({ "system.toml": SYSTEM + receiver("boot = true\n") + sender("post:inbox"), "h.ts": "" }))
      .toContain(`'outbox' capabilities: "post:inbox": handler 'inbox' takes no messages; add messages = true to its [[handlers]] entry`);
  });

  it("refuse a name that is no handler, with a suggestion", async () => {
    expect(await errorOf({ "system.toml": SYSTEM + receiver("messages = true\n") + sender("post:inbx"), "h.ts": "" }))
      .toContain(`'outbox' capabilities: "post:inbx" names no handler; expected the name of a [[handlers]] entry (did you mean 'inbox'?)`);
  });

  it("accept a pattern without checking it (post:* may name handlers that take none)", async () => {
    const folder = writeFiles({ "system.toml": SYSTEM + receiver("boot = true\n") + sender("post:*"), "h.ts": "" });
    expect((await load(folder)).config.handlers).toHaveLength(2);
  });
});

describe("call:<name> grants", () => {
  const callee = (extra = "") => `[[handlers]]\nname = "ledger"\nsource = "h.ts"\nversion = "1"\n${extra}`;
  const caller = (capabilities: string, extra = "") => `[[handlers]]\nname = "client"\nsource = "h.ts"\nversion = "1"\nboot = true\n` +
    `capabilities = [${capabilities}]\n${extra}`;

  it("accept a handler that takes calls (calls = true is a trigger of its own)", async () => {
    const folder = writeFiles({ "system.toml": SYSTEM + callee("calls = true\n") + caller(`"call:ledger"`), "h.ts": "" });
    expect((await load(folder)).config.handlers[0]).toMatchObject({ name: "ledger", triggers: { calls: true } });
  });

  it("refuse a handler that takes no calls, saying what to add", async () => {
    expect(await errorOf({ "system.toml": SYSTEM + callee("boot = true\n") + caller(`"call:ledger"`), "h.ts": "" }))
      .toContain(`'client' capabilities: "call:ledger": handler 'ledger' takes no calls; add calls = true to its [[handlers]] entry`);
  });

  it("refuse a handler calling itself, and a handler that takes calls holding a call grant (calls nest one deep)", async () => {
    expect(await errorOf({ "system.toml": SYSTEM + callee("calls = true\n") + caller(`"call:client"`), "h.ts": "" }))
      .toContain(`'client' capabilities: "call:client": a handler may not call itself`);
    expect(await errorOf({ "system.toml": SYSTEM + callee(`calls = true\ncapabilities = ["call:*"]\n`), "h.ts": "" }))
      .toContain(`'ledger' capabilities: "call:*": 'ledger' takes calls, and a handler answering a call may not call another`);
  });
});
