// `optios new handler|program <name>`: scaffolds a handler or program with a test and a README.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { toolchainRepository } from "../project.ts";
import { NAME_FORM, NAME_PATTERN } from "../system/schema.ts";
import { guarded, parseOptions, type Command } from "./command.ts";

/** What the scaffolded tests import: the host harness, named relative to the test. */
const harnessEntry = join(toolchainRepository, "toolchain", "src", "harness", "index.ts");

const help = `usage: optios new handler|program <name> [--udp PORT | --http PORT] [--root DIR]

Creates handlers/<name>/ (or programs/<name>/) with a source file, a test that runs it on
the host harness (\`optios test <name>\`, docs/testing.md), and a README. Add the handler to a system.toml
with [[handlers]] name = "<name>", source = "<path to handler.ts>", version = "1" and a trigger.

options:
  --udp PORT         a handler that answers UDP datagrams on PORT (docs/network.md)
  --http PORT        a handler that answers HTTP requests on TCP port PORT
  --root DIR         project root (default: the working directory)
  -h, --help         show this help`;

function handlerSource(name: string): string {
  return `// ${name}: <one line saying what this handler does>.
import { Event, log, on } from "optios";
export { handle } from "optios";

/** Change this when the state below changes shape: a new version starts from fresh state. */
export const version = "1";

let runs: u32 = 0;

on((event: Event): void => {
  runs++;
  log("${name}: run " + runs.toString());
});
`;
}

/** What a network handler listens on: `--udp 9000` or `--http 8080`. */
interface Listening {
  protocol: "udp" | "http";
  port: number;
}

function udpHandlerSource(name: string): string {
  return `// ${name}: <one line saying what this handler does>. Answers each UDP datagram to its port.
//
// A datagram arrives as an EVENT_UDP (event.address and event.port are the sender's); the
// answer leaves when the run commits, and a run that traps sends nothing (docs/network.md).
import { Event, EVENT_UDP, on, payloadText, udpReply } from "optios";
export { handle } from "optios";

export const version = "1";

let answered: u32 = 0;

on((event: Event): void => {
  if (event.kind != EVENT_UDP) return;
  answered++;
  const text = payloadText(event);
  udpReply(event, Uint8Array.wrap(String.UTF8.encode("${name} #" + answered.toString() + ": " + text)));
});
`;
}

function httpHandlerSource(name: string): string {
  return `// ${name}: <one line saying what this handler does>. Answers HTTP requests on its TCP port.
//
// A connection arrives as EVENT_TCP_OPENED, its data as EVENT_TCP_DATA, its end as
// EVENT_TCP_CLOSED; event.connection names it. A request is gathered until its blank line,
// answered, and the connection closed. What a run writes leaves when it commits (docs/network.md).
import { Event, EVENT_TCP_CLOSED, EVENT_TCP_DATA, EVENT_TCP_OPENED, on, payloadText, tcpClose, tcpSendText } from "optios";
export { handle } from "optios";

export const version = "1";

const requests = new Map<u32, string>();

function respond(status: string, body: string): string {
  return "HTTP/1.1 " + status + "\\r\\nContent-Type: text/plain\\r\\nContent-Length: " + String.UTF8.byteLength(body).toString() +
    "\\r\\nConnection: close\\r\\n\\r\\n" + body;
}

on((event: Event): void => {
  const connection = event.connection;
  if (event.kind == EVENT_TCP_OPENED) requests.set(connection, "");
  else if (event.kind == EVENT_TCP_CLOSED) {
    if (requests.has(connection)) requests.delete(connection);
  } else if (event.kind == EVENT_TCP_DATA) {
    const request = (requests.has(connection) ? requests.get(connection) : "") + payloadText(event);
    if (request.indexOf("\\r\\n\\r\\n") < 0) {
      requests.set(connection, request);
      return;
    }
    if (requests.has(connection)) requests.delete(connection);
    const path = request.split(" ").length > 1 ? request.split(" ")[1] : "";
    tcpSendText(connection, path == "/" ? respond("200 OK", "hello from ${name}\\n") : respond("404 Not Found", "not found\\n"));
    tcpClose(connection);
  }
});
`;
}

function udpHandlerTest(name: string, harness: string, port: number): string {
  return `// ${name}: its tests on the host harness (docs/testing.md); run them with \`optios test ${name}\`.
//
// handler.udp(port, from, data) delivers a datagram as the network stack does; what the handler
// sends is in the run's \`emitted\`, as "udp:<address>:<port>", and withdrawn if the run traps.
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadHandler } from "${harness}";

it("answers each datagram, counting", async () => {
  const handler = await loadHandler(join(import.meta.dirname, "handler.ts"), { capabilities: ["net.udp:${port}"] });
  const run = handler.udp(${port}, "10.0.2.2:40000", "hello");
  expect(run.committed).toBe(true);
  expect(run.emitted.map((sent) => [sent.name, new TextDecoder().decode(sent.payload)])).toEqual([["udp:10.0.2.2:40000", "${name} #1: hello"]]);
  expect(new TextDecoder().decode(handler.udp(${port}, "10.0.2.2:40001", "again").emitted[0].payload)).toBe("${name} #2: again");
});
`;
}

function httpHandlerTest(name: string, harness: string, port: number): string {
  return `// ${name}: its tests on the host harness (docs/testing.md); run them with \`optios test ${name}\`.
//
// tcpOpened, tcpData and tcpClosed deliver a connection as the network stack does; what the
// handler writes is in the run's \`emitted\` as "tcp:<connection>", its close as "close:<connection>".
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadHandler } from "${harness}";

it("answers GET / and closes the connection", async () => {
  const handler = await loadHandler(join(import.meta.dirname, "handler.ts"), { capabilities: ["net.tcp:${port}"] });
  handler.tcpOpened(1, ${port}, "10.0.2.2:51000");
  const run = handler.tcpData(1, "GET / HTTP/1.1\\r\\nHost: optios\\r\\n\\r\\n");
  const written = run.emitted.filter((sent) => sent.name === "tcp:1").map((sent) => new TextDecoder().decode(sent.payload)).join("");
  expect(written.split("\\r\\n")[0]).toBe("HTTP/1.1 200 OK");
  expect(written.endsWith("hello from ${name}\\n")).toBe(true);
  expect(run.emitted.some((sent) => sent.name === "close:1")).toBe(true);
});
`;
}

function handlerTest(name: string, harness: string): string {
  return `// ${name}: its tests on the host harness (docs/testing.md); run them with \`optios test ${name}\`.
//
// The harness compiles handler.ts as the build does and runs it like the kernel: each post(),
// timer() or boot() is one run, top-level state persists between runs, and a run that traps
// is rolled back. Grant what the handler needs as system.toml would (capabilities: ["emit:door.*"]),
// or take its entry from a system: loadHandler(source, { system: "systems/x/system.toml" }).
import { join } from "node:path";
import { beforeEach, expect, it } from "vitest";
import { type HandlerHarness, loadHandler } from "${harness}";

let handler: HandlerHarness;
beforeEach(async () => {
  handler = await loadHandler(join(import.meta.dirname, "handler.ts"), { capabilities: [] });
});

it("logs its run count, which persists between runs", () => {
  expect(handler.timer().logs).toEqual(["${name}: run 1"]);
  handler.advance("1s");
  const second = handler.timer();
  expect(second.committed).toBe(true);
  expect(second.logs).toEqual(["${name}: run 2"]);
  expect(handler.version).toBe("1");
});
`;
}

function programTest(name: string, harness: string): string {
  return `// ${name}: its tests on the host harness (docs/testing.md); run them with \`optios test ${name}\`.
//
// run() starts the program afresh and calls main() with the lines given as typed input; it
// ends when main returns (or when it waits for a line after the last one given).
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadProgram } from "${harness}";

it("answers each line it reads, and ends on an empty one", async () => {
  const program = await loadProgram(join(import.meta.dirname, "program.ts"), { capabilities: [] });
  const run = program.run(["hello", "world", ""]);
  expect(run.ended).toBe("returned");
  expect(run.output).toBe("${name}: type a line, or an empty one to end\\n${name}: hello\\n${name}: world\\n");
});
`;
}

function readme(kind: string, name: string, file: string, listening?: Listening): string {
  return `# ${name}

A ${kind} for OptiOS, scaffolded by \`optios new ${kind} ${name}\`.

- \`${file}\`: the source. The API is handlers/api/optios.ts (docs/handlers.md, docs/programs.md).
- \`${file.replace(".ts", ".test.ts")}\`: its tests on the host harness, which compiles the source as
  the build does and runs it like the kernel (docs/testing.md). Run them with
  \`optios test ${name}\` (\`make test\` runs them too).
${kind === "handler" ? `
Declare it in a system.toml (see docs/system-config.md):

\`\`\`toml
[[handlers]]
name = "${name}"
source = "../../handlers/${name}/handler.ts"   # relative to the system.toml
version = "1"
${listening?.protocol === "udp" ? `udp = [${listening.port}]
capabilities = ["net.udp:${listening.port}"]   # answer from that port (docs/network.md); the system needs [network]` :
    listening?.protocol === "http" ? `tcp = [${listening.port}]
capabilities = ["net.tcp:${listening.port}"]   # write to its connections (docs/network.md); the system needs [network]` :
    `every = "1s"
capabilities = []        # what it may do beyond log, time and random, e.g. ["emit:door.*"] (docs/gate.md)`}
\`\`\`
` : `
Declare it in a system.toml (see docs/system-config.md); it is built into the boot
filesystem's /bin. At the shell, \`run ${name} ARGS…\` runs it on the shell's console with
its arguments (\`programArguments()\`), and the shell waits until it ends (Ctrl-C stops it).
\`run -b ${name}\` starts it on a console of its own beside the shell instead, which needs
\`[foreground] max = 2\` or more; or list it in \`[foreground] programs\` to start it at boot:

\`\`\`toml
[[programs]]
name = "${name}"
source = "../../programs/${name}/program.ts"   # relative to the system.toml
capabilities = []        # its console, log, time and random need none; see docs/gate.md
\`\`\`
`}`;
}

function programSource(name: string): string {
  return `// ${name}: <one line saying what this program does>.
// A foreground program: main() runs on its own console until it returns (docs/programs.md).
import { print, readLine } from "optios";

export function main(): void {
  print("${name}: type a line, or an empty one to end\\n");
  while (true) {
    const line = readLine();
    if (line.length == 0) return;
    print("${name}: " + line + "\\n");
  }
}
`;
}

/**
 * The tsconfig.json of an AssemblyScript folder (handlers/, programs/): what AssemblyScript's
 * asinit writes (extend assemblyscript/std/assembly.json), plus the API mapped as "optios",
 * so an editor knows u32, @external and the imports (docs/editors.md). Tests beside the
 * modules are Node code, not AssemblyScript, and stay out.
 */
export function editorConfig(apiFromFolder: string): string {
  return `${JSON.stringify({
    extends: "assemblyscript/std/assembly.json",
    compilerOptions: { paths: { optios: [`${apiFromFolder}/optios.ts`] } },
    include: ["./**/*.ts"],
    exclude: ["./**/*.test.ts"],
  }, null, 2)}\n`;
}

/** --udp PORT or --http PORT (handlers only, one of them); undefined for neither. */
function listeningOf(kind: string, udp: string | undefined, http: string | undefined): Listening | undefined {
  if (udp === undefined && http === undefined) return undefined;
  if (kind !== "handler") throw new Error("--udp and --http are for handlers");
  if (udp !== undefined && http !== undefined) throw new Error("expected one of --udp PORT and --http PORT, not both");
  const text = (udp ?? http)!;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : 0;
  if (port < 1 || port > 65535) throw new Error(`--${udp !== undefined ? "udp" : "http"} ${text}: expected a port number from 1 to 65535`);
  return { protocol: udp !== undefined ? "udp" : "http", port };
}

export const newCommand: Command = {
  name: "new",
  summary: "scaffold a handler or program with a test",
  help,
  run: (argv) => guarded("new", async () => {
    const parsed = parseOptions(argv, { root: { type: "string" }, udp: { type: "string" }, http: { type: "string" },
      help: { type: "boolean", short: "h" } }, help);
    if (parsed === null) return 0;
    const [kind, name, ...rest] = parsed.positionals;
    if ((kind !== "handler" && kind !== "program") || name === undefined || rest.length > 0) throw new Error("expected: new handler|program <name>");
    if (!NAME_PATTERN.test(name)) throw new Error(`name '${name}': expected ${NAME_FORM}`);
    const listening = listeningOf(kind, parsed.values.udp as string | undefined, parsed.values.http as string | undefined);
    const folder = join(resolve(parsed.values.root ?? "."), `${kind}s`, name);
    if (existsSync(folder)) throw new Error(`${folder} already exists; choose another name or remove it`);
    const file = kind === "handler" ? "handler.ts" : "program.ts";
    await mkdir(folder, { recursive: true });
    const harness = relative(folder, harnessEntry).split(sep).join("/");
    const [source, test] = kind === "program" ? [programSource(name), programTest(name, harness)]
      : listening?.protocol === "udp" ? [udpHandlerSource(name), udpHandlerTest(name, harness, listening.port)]
        : listening?.protocol === "http" ? [httpHandlerSource(name), httpHandlerTest(name, harness, listening.port)]
          : [handlerSource(name), handlerTest(name, harness)];
    await writeFile(join(folder, file), source);
    await writeFile(join(folder, file.replace(".ts", ".test.ts")), test);
    await writeFile(join(folder, "README.md"), readme(kind, name, file, listening));
    process.stdout.write(`created ${kind}s/${name}/: ${file}, ${file.replace(".ts", ".test.ts")}, README.md\n`);
    const editorFile = join(resolve(parsed.values.root ?? "."), `${kind}s`, "tsconfig.json");
    if (!existsSync(editorFile)) {
      await writeFile(editorFile, editorConfig(kind === "handler" ? "./api" : "../handlers/api"));
      process.stdout.write(`created ${kind}s/tsconfig.json, so editors understand AssemblyScript (docs/editors.md)\n`);
    }
    return 0;
  }),
};
