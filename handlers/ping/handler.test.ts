// ping and pong: ping's timer sends a numbered "ping", pong answers with the same number, ping hears it.
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadHandler } from "../../toolchain/src/harness/index.ts";

const system = join(import.meta.dirname, "../../systems/default/system.toml");

it("sends numbered pings that pong answers with the same number", async () => {
  const ping = await loadHandler(join(import.meta.dirname, "handler.ts"), { system });
  const pong = await loadHandler(join(import.meta.dirname, "../pong/handler.ts"), { system });
  for (const number of [1, 2]) {
    const [sent] = ping.timer().emitted;
    expect([sent.name, [...sent.payload]]).toEqual(["ping", [number]]);
    const answered = pong.post("ping", sent.payload);
    expect(answered.logs).toEqual([`pong: got ping ${number} (${number} answered)`]);
    expect(ping.post("pong", answered.emitted[0].payload).logs).toEqual([`ping: pong ${number} came back`]);
  }
});

it("says so when nobody listens for ping", async () => {
  const ping = await loadHandler(join(import.meta.dirname, "handler.ts"), { capabilities: ["emit:ping"], handlers: {} });
  expect(ping.timer().logs).toEqual(["ping: nobody listens for ping"]);
});
