// echo: each datagram goes back to its sender, from the port it came to; nothing else is answered.
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadHandler } from "../../toolchain/src/harness/index.ts";

const system = join(import.meta.dirname, "../../systems/default/system.toml");

it("sends each datagram back to where it came from", async () => {
  const echo = await loadHandler(join(import.meta.dirname, "handler.ts"), { system });
  const run = echo.udp(7, "10.0.2.2:40000", "hello");
  expect(run.committed).toBe(true);
  expect(run.emitted.map((sent) => [sent.name, new TextDecoder().decode(sent.payload)])).toEqual([["udp:10.0.2.2:40000", "hello"]]);
  expect(echo.udp(7, "192.168.1.20:5", "x".repeat(1472)).emitted[0].payload.length).toBe(1472);
});

it("needs net.udp:7 to answer from port 7", async () => {
  const echo = await loadHandler(join(import.meta.dirname, "handler.ts"), { capabilities: ["net.udp:9"] });
  expect(echo.udp(7, "10.0.2.2:40000", "hello").emitted).toEqual([]);
  expect(echo.refusals).toEqual(["gate: refused echo's call udp_send: it needs the capability net.udp:7"]);
});
