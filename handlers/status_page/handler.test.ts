// status_page: GET / answers with every handler's counters as JSON; other requests get the usual errors.
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadHandler } from "../../toolchain/src/harness/index.ts";

const source = join(import.meta.dirname, "handler.ts");
const handlers = {
  heartbeat: { status: { runs: 12n, stateBytes: 65680n } },
  crasher: { status: { runs: 9n, failures: 3n, lastTrap: 101, stateBytes: 70000n } },
};

/** The text written to `connection` in one run, and whether the run closed it. */
function written(run: { emitted: Array<{ name: string; payload: Uint8Array }> }, connection: number): { text: string; closed: boolean } {
  const text = run.emitted.filter((sent) => sent.name === `tcp:${connection}`).map((sent) => new TextDecoder().decode(sent.payload)).join("");
  return { text, closed: run.emitted.some((sent) => sent.name === `close:${connection}`) };
}

it("answers GET / with every handler's status as JSON, then closes", async () => {
  const page = await loadHandler(source, { capabilities: ["net.tcp:80", "status:*"], handlers });
  page.tcpOpened(1, 80, "10.0.2.2:51000");
  expect(page.tcpData(1, "GET / HTTP/1.1\r\nHost: x\r\n").emitted).toEqual([]); // not whole yet
  const { text, closed } = written(page.tcpData(1, "Accept: */*\r\n\r\n"), 1);
  expect(closed).toBe(true);
  const [head, body] = text.split("\r\n\r\n");
  expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\nContent-Type: application\/json\r\nContent-Length: (\d+)\r\nConnection: close$/);
  expect(Number(/Content-Length: (\d+)/.exec(head)![1])).toBe(Buffer.byteLength(body));
  expect(JSON.parse(body)).toEqual({ handlers: [
    { name: "crasher", runs: 9, failures: 3, restarts: 0, lastTrap: "aborted", quarantined: false, stateBytes: 70000 },
    { name: "heartbeat", runs: 12, failures: 0, restarts: 0, lastTrap: null, quarantined: false, stateBytes: 65680 },
  ] });
});

it("answers other paths with 404, other methods with 405, and nonsense with 400", async () => {
  const page = await loadHandler(source, { capabilities: ["net.tcp:80", "status:*"], handlers });
  const cases: Array<[string, string]> = [
    ["GET /secret HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"],
    ["POST / HTTP/1.1\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"],
    ["hello\r\n\r\n", "HTTP/1.1 400 Bad Request"],
  ];
  for (const [index, [request, status]] of cases.entries()) {
    page.tcpOpened(10 + index, 80, "10.0.2.2:51000");
    expect(written(page.tcpData(10 + index, request), 10 + index).text.split("\r\n")[0]).toBe(status);
  }
});

it("writes only to connections it was given", async () => {
  const page = await loadHandler(source, { capabilities: ["net.tcp:80", "status:*"], handlers });
  expect(page.tcpData(7, "GET / HTTP/1.1\r\n\r\n").emitted).toEqual([]); // connection 7 was never its own
});
