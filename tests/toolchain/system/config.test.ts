// system.toml validation: a good file normalises as documented; each mistake has its exact message.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { loadSystem } from "../../../toolchain/src/system/load.ts";
import { locateKeys } from "../../../toolchain/src/system/locate.ts";
import { parseDuration, parseSize } from "../../../toolchain/src/system/units.ts";
import { SYSTEM, errorOf, load, writeFiles } from "./helpers.ts";

const HANDLER = `[[handlers]]\nname = "heartbeat"\nsource = "handlers/heartbeat.ts"\nversion = "1"\n`;
const PROGRAM = `[[programs]]\nname = "shell"\nsource = "programs/shell.ts"\n`;

describe("units", () => {
  it("parses durations with the kernel's grammar", () => {
    expect(parseDuration("250ms")).toBe(250_000_000);
    expect(parseDuration("2s")).toBe(2_000_000_000);
    expect(parseDuration("1h")).toBe(3_600_000_000_000);
    expect(parseDuration("7us")).toBe(7_000);
    for (const bad of ["", "ms", "1.5s", "-1s", " 1s", "1 s", "1S", "1000000000000000s", "1d"]) expect(parseDuration(bad)).toBeNull();
  });
  it("parses sizes in binary units up to 4GiB", () => {
    expect(parseSize("1MiB")).toBe(1_048_576);
    expect(parseSize("64KiB")).toBe(65_536);
    expect(parseSize("4GiB")).toBe(4 * 1024 ** 3);
    for (const bad of ["1MB", "5GiB", "1.5MiB", "MiB"]) expect(parseSize(bad)).toBeNull();
  });
});

describe("a valid system.toml", () => {
  it("normalises durations, sizes, hostname case and source paths", async () => {
    const folder = writeFiles({
      "programs/shell.ts": "",
      "system.toml": `[system]\nhostname = "Kitchen-Box"\nversion = "2.1"\nkeep_generations = 3\n[foreground]\nmax = 2\nprograms = ["shell"]\n` +
        `${HANDLER}every = "250ms"\nafter = "2s"\nevents = ["door.opened"]\nboot = true\nbudget = "5ms"\nmemory = "128KiB"\ncapabilities = []\n` +
        `${PROGRAM}memory = "2MiB"\n`,
    });
    const { config, canonicalJson, hash } = await load(folder);
    expect(config).toEqual({
      system: { hostname: "kitchen-box", version: "2.1", keepGenerations: 3, deploy: false },
      foreground: { max: 2, programs: ["shell"] },
      handlers: [{
        name: "heartbeat", source: "handlers/heartbeat.ts", version: "1",
        triggers: { everyNanoseconds: 250_000_000, afterNanoseconds: 2_000_000_000, events: ["door.opened"], boot: true, messages: false, calls: false, udp: [], tcp: [] },
        budgetNanoseconds: 5_000_000, memoryBytes: 131_072, capabilities: [], queueDepth: 16,
      }],
      programs: [{ name: "shell", source: "programs/shell.ts", memoryBytes: 2_097_152, capabilities: [] }],
      network: null,
    });
    expect(canonicalJson.startsWith('{"foreground":{"max":2,"programs":["shell"]},"handlers":[{"budgetNanoseconds"')).toBe(true);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("fills defaults: keep 5, max 1, no programs started, budget 10ms, memory 1MiB", async () => {
    const { config } = await load(writeFiles({ "programs/shell.ts": "", "system.toml": `${SYSTEM}${HANDLER}boot = true\n${PROGRAM}` }));
    expect(config.system.keepGenerations).toBe(5);
    expect(config.foreground).toEqual({ max: 1, programs: [] });
    expect(config.handlers[0].budgetNanoseconds).toBe(10_000_000);
    expect(config.handlers[0].memoryBytes).toBe(1_048_576);
    expect(config.programs).toEqual([{ name: "shell", source: "programs/shell.ts", memoryBytes: 1_048_576, capabilities: [] }]);
  });

  it("starts declared programs at boot in the order listed, up to max", async () => {
    const folder = writeFiles({
      "programs/shell.ts": "", "monitor.ts": "",
      "system.toml": `${SYSTEM}[foreground]\nmax = 2\nprograms = ["monitor", "shell"]\n${PROGRAM}[[programs]]\nname = "monitor"\nsource = "./monitor.ts"\nmemory = "64KiB"\n`,
    });
    const { config } = await load(folder);
    expect(config.foreground).toEqual({ max: 2, programs: ["monitor", "shell"] });
    expect(config.programs.map((program) => [program.name, program.source, program.memoryBytes])).toEqual([
      ["shell", "programs/shell.ts", 1_048_576], ["monitor", "monitor.ts", 65_536],
    ]);
  });

  it("hashes the same system written two ways identically", async () => {
    const first = await load(writeFiles({ "system.toml": `${SYSTEM}${HANDLER}every = "1s"\n` }));
    const second = await load(writeFiles({ "system.toml": `[system]\nversion = "1.0"\nhostname = "BOX"\n${HANDLER}every = "1000ms"\n` }));
    expect(second.hash).toBe(first.hash);
  });

  it("accepts the repository's example system", async () => {
    const { config } = await loadSystem(join(import.meta.dirname, "../../../systems/default/system.toml"));
    expect(config.system.hostname).toBe("optios");
    // The default system grows (demos come and go); the heartbeat is the one it always has.
    const heartbeat = config.handlers.find((handler) => handler.name === "heartbeat");
    expect(heartbeat?.source).toBe("../../handlers/heartbeat/handler.ts");
  });
});

describe("durability", () => {
  it.each([
    ["commit", {}],
    ["none", { durability: "none" }],
    ["interval:250ms", { durability: "interval", durabilityIntervalNanoseconds: 250_000_000 }],
  ])("durability = %j", async (value, expected) => {
    const { config } = await load(writeFiles({ "handlers/heartbeat.ts": "", "system.toml": `${SYSTEM}${HANDLER}boot = true\ndurability = "${value}"\n` }));
    const handler = config.handlers[0];
    expect({ durability: handler.durability, durabilityIntervalNanoseconds: handler.durabilityIntervalNanoseconds })
      .toEqual({ durability: undefined, durabilityIntervalNanoseconds: undefined, ...expected });
  });
});

describe("each mistake has its exact message", () => {
  const cases: Array<[string, string, string]> = [
    ["a misspelt handler key", `${SYSTEM}${HANDLER}every = "1s"\n${HANDLER.replace("heartbeat", "pulse")}evrey = "250ms"\n`,
      "system.toml:13: unknown key 'evrey' in [[handlers]] #2 (name 'pulse'); did you mean 'every'?"],
    ["an unknown top-level key", `sytem = 1\n${SYSTEM}`, "system.toml:1: unknown key 'sytem' at the top level; did you mean 'system'?"],
    ["an unknown key with nothing close", `${SYSTEM}colour = "red"\n`, "system.toml:4: unknown key 'colour' in [system]; expected one of: hostname, version, keep_generations, deploy"],
    ["a bad hostname", `[system]\nhostname = "my_box"\nversion = "1"\n`,
      `system.toml:2: [system] hostname: expected an RFC 1123 label (1 to 63 letters, digits or '-', not starting or ending with '-'), got "my_box"`],
    ["a missing version", `[system]\nhostname = "box"\n`, "system.toml: [system] version: missing in this file and its includes; expected a version string of 1 to 64 printable characters without spaces"],
    ["foreground max out of range", `${SYSTEM}[foreground]\nmax = 5\n`, "system.toml:5: [foreground] max: expected a whole number from 1 to 4, got 5"],
    ["a fractional max", `${SYSTEM}[foreground]\nmax = 1.5\n`, "system.toml:5: [foreground] max: expected a whole number from 1 to 4, got 1.5"],
    ["a bad duration", `${SYSTEM}${HANDLER}every = "1.5s"\n`,
      `system.toml:8: [[handlers]] #1 (name 'heartbeat') every: expected a whole number followed by ns, us, ms, s, m or h (for example "250ms"), greater than zero, got "1.5s"`],
    ["a durability of no known kind", `${SYSTEM}${HANDLER}boot = true\ndurability = "sometimes"\n`,
      `system.toml:9: [[handlers]] #1 (name 'heartbeat') durability: expected "commit" (each committed run written to the data disk and flushed before the next), ` +
      `"interval:DURATION" (written at each commit, flushed within DURATION, 1ms to 60s: group commit) or "none", got "sometimes"`],
    ["a group commit interval out of range", `${SYSTEM}${HANDLER}boot = true\ndurability = "interval:2m"\n`,
      `system.toml:9: [[handlers]] #1 (name 'heartbeat') durability: expected "commit" (each committed run written to the data disk and flushed before the next), ` +
      `"interval:DURATION" (written at each commit, flushed within DURATION, 1ms to 60s: group commit) or "none", got "interval:2m"`],
    ["a zero budget", `${SYSTEM}${HANDLER}boot = true\nbudget = "0ms"\n`,
      `system.toml:9: [[handlers]] #1 (name 'heartbeat') budget: expected a whole number followed by ns, us, ms, s, m or h (for example "250ms"), greater than zero, got "0ms"`],
    ["memory not page-granular", `${SYSTEM}${HANDLER}boot = true\nmemory = "100KiB"\n`,
      `system.toml:9: [[handlers]] #1 (name 'heartbeat') memory: expected a whole number followed by B, KiB, MiB or GiB (for example "1MiB"), a whole number of 64 KiB pages (64KiB) up to 256MiB, got "100KiB"`],
    ["an unknown capability", `${SYSTEM}${HANDLER}boot = true\ncapabilities = ["emti:door.*"]\n`,
      `system.toml:9: [[handlers]] #1 (name 'heartbeat') capabilities[1]: unknown capability "emti:door.*"; did you mean 'emit'? expected one of emit:<event>, status:<handler>, reset:<handler>, report:<topic>, files:<access>, programs, power, post:<handler>, call:<handler>, net.stack, net.udp:<port>, net.tcp:<port>, net.send, net.connect:<host>, net.ping, data:<path>, data.read:<path>`],
    ["a capability without its argument", `${SYSTEM}${HANDLER}boot = true\ncapabilities = ["emit"]\n`,
      `system.toml:9: [[handlers]] #1 (name 'heartbeat') capabilities[1]: "emit": 'emit' needs an argument (the event it allows), such as "emit:*"`],
    ["an argument where none is taken", `${SYSTEM}${HANDLER}boot = true\ncapabilities = ["power:now"]\n`,
      `system.toml:9: [[handlers]] #1 (name 'heartbeat') capabilities[1]: "power:now": 'power' takes no argument; write "power"`],
    ["an argument outside a fixed set", `${SYSTEM}${HANDLER}boot = true\ncapabilities = ["files:write"]\n`,
      `system.toml:9: [[handlers]] #1 (name 'heartbeat') capabilities[1]: "files:write": 'files' allows "files:read" or "files:*"`],
    ["a data path outside /data", `${SYSTEM}${HANDLER}boot = true\ncapabilities = ["data.read:/etc/*"]\n`,
      `system.toml:9: [[handlers]] #1 (name 'heartbeat') capabilities[1]: "data.read:/etc/*": expected a path on the data disk ("data.read:/data/notes/log.txt"), a prefix ending in '*' ("data.read:/data/notes/*"), or "data.read:*"`],
    ["data.read without a path", `${SYSTEM}${HANDLER}boot = true\ncapabilities = ["data.read"]\n`,
      `system.toml:9: [[handlers]] #1 (name 'heartbeat') capabilities[1]: "data.read": 'data.read' needs an argument (the path it allows), such as "data.read:*"`],
    ["a port without its capability", `${SYSTEM}[network]\n${HANDLER}udp = [7]\n`,
      `system.toml:9: [[handlers]] #1 (name 'heartbeat') udp = [7]: port 7 needs the capability "net.udp:7"; add it to capabilities`],
    ["a port number out of range", `${SYSTEM}[network]\n${HANDLER}tcp = [80, 70000]\ncapabilities = ["net.tcp:*"]\n`,
      `system.toml:9: [[handlers]] #1 (name 'heartbeat') tcp: expected a list of distinct port numbers from 1 to 65535, at most 4, such as [80], got a list`],
    ["a port without [network]", `${SYSTEM}${HANDLER}udp = [7]\ncapabilities = ["net.udp:7"]\n`,
      `system.toml:4: 'heartbeat' udp = [7]: the system has no [network] table; add [network] (docs/network.md)`],
    ["capabilities that are not a list", `${SYSTEM}${HANDLER}boot = true\ncapabilities = "power"\n`,
      `system.toml:9: [[handlers]] #1 (name 'heartbeat') capabilities: expected a list of capability names such as "emit:door.opened" or "power", got "power"`],
    ["no trigger", `${SYSTEM}${HANDLER}`, "system.toml:4: [[handlers]] #1 (name 'heartbeat'): no trigger; expected at least one of every, after, events, udp, tcp, boot = true, messages = true or calls = true"],
    ["a missing source", `${SYSTEM}[[handlers]]\nname = "x"\nversion = "1"\nboot = true\n`,
      "system.toml:4: [[handlers]] #1 (name 'x') source: missing; expected a path to the handler's source (AssemblyScript .ts, or WebAssembly text .wat), relative to this file"],
    ["a bad event name, named by its place in the list", `${SYSTEM}${HANDLER}events = ["door.closed", "Door Opened"]\n`,
      "system.toml:8: [[handlers]] #1 (name 'heartbeat') events[2]: expected an event name of 1 to 64 lower-case letters, digits, '_', '-' or '.', starting with a letter, got \"Door Opened\""],
    ["events that are not a list", `${SYSTEM}${HANDLER}events = "door.opened"\n`,
      "system.toml:8: [[handlers]] #1 (name 'heartbeat') events: expected a list, each an event name of 1 to 64 lower-case letters, digits, '_', '-' or '.', starting with a letter, got \"door.opened\""],
    ["a network address without its prefix", `${SYSTEM}[network]\naddress = "10.0.0.2"\n`,
      `system.toml:5: [network] address: expected an IPv4 address with its prefix length, such as "10.0.2.15/24", got "10.0.0.2"`],
    ["a network key", `${SYSTEM}[network]\nproxy = "10.0.0.2"\n`, "system.toml:5: unknown key 'proxy' in [network]; expected one of: dhcp, address, gateway, dns, dhcp_timeout"],
    ["no DHCP and no address", `${SYSTEM}[network]\ndhcp = false\n`, "system.toml:4: [network] dhcp = false: no address; expected address = \"a.b.c.d/prefix\" (or dhcp = true)"],
    ["a handler name used twice", `${SYSTEM}${HANDLER}boot = true\n${HANDLER}boot = true\n`,
      "system.toml:9: [[handlers]] name: handler 'heartbeat' is defined in system.toml:4 and again in system.toml:9; expected each handler name once"],
    ["invalid TOML", `${SYSTEM}[foreground]\nmax = = 2\n`, "system.toml:5: invalid TOML at column 7: invalid value"],
    ["a misspelt program key", `${SYSTEM}${PROGRAM}memroy = "2MiB"\n`,
      "system.toml:7: unknown key 'memroy' in [[programs]] #1 (name 'shell'); did you mean 'memory'?"],
    ["a program key with nothing close", `${SYSTEM}${PROGRAM}budget = "5ms"\n`,
      "system.toml:7: unknown key 'budget' in [[programs]] #1 (name 'shell'); expected one of: name, source, memory, capabilities"],
    ["a program without a source", `${SYSTEM}[[programs]]\nname = "shell"\n`,
      "system.toml:4: [[programs]] #1 (name 'shell') source: missing; expected a path to the program's AssemblyScript source, relative to this file"],
    ["a program source that does not exist", `${SYSTEM}${PROGRAM.replace("shell.ts", "shel.ts")}`,
      `system.toml:6: [[programs]] #1 (name 'shell') source: file not found: "programs/shel.ts"; expected a path to the program's AssemblyScript source, relative to this file`],
    ["a program source that is a folder", `${SYSTEM}${PROGRAM.replace("programs/shell.ts", "programs")}`,
      `system.toml:6: [[programs]] #1 (name 'shell') source: "programs" is a directory, not a regular file; expected a path to the program's AssemblyScript source, relative to this file: a regular file of at most 4MiB inside the project root`],
    ["a bad program name", `${SYSTEM}${PROGRAM.replace('"shell"', '"Shell"')}`,
      "system.toml:5: [[programs]] #1 (name 'Shell') name: expected a name of 1 to 32 lower-case letters, digits, '_' or '-', starting with a letter, got \"Shell\""],
    ["program memory not page-granular", `${SYSTEM}${PROGRAM}memory = "1000B"\n`,
      `system.toml:7: [[programs]] #1 (name 'shell') memory: expected a whole number followed by B, KiB, MiB or GiB (for example "1MiB"), a whole number of 64 KiB pages (64KiB) up to 256MiB, got "1000B"`],
    ["a program name used twice", `${SYSTEM}${PROGRAM}${PROGRAM}`,
      "system.toml:7: [[programs]] name: program 'shell' is defined in system.toml:4 and again in system.toml:7; expected each program name once"],
    ["programs that are not tables", `programs = ["shell"]\n${SYSTEM}`,
      `system.toml:1: programs: expected [[programs]] tables, got a list`],
    ["starting a misspelt program", `${SYSTEM}[foreground]\nprograms = ["shel"]\n${PROGRAM}`,
      "system.toml:5: [foreground] programs: unknown program 'shel'; did you mean 'shell'?"],
    ["starting an undeclared program", `${SYSTEM}[foreground]\nprograms = ["editor"]\n${PROGRAM}`,
      "system.toml:5: [foreground] programs: unknown program 'editor'; expected the name of a [[programs]] entry: shell"],
    ["starting a program when none is declared", `${SYSTEM}[foreground]\nprograms = ["shell"]\n`,
      "system.toml:5: [foreground] programs: unknown program 'shell'; expected the name of a [[programs]] entry, and none is declared"],
    ["starting more programs than max", `${SYSTEM}[foreground]\nmax = 1\nprograms = ["shell", "monitor"]\n${PROGRAM}${PROGRAM.replace(/shell/g, "monitor")}`,
      "system.toml:6: [foreground] programs: 2 programs to start at boot, one per virtual console, but [foreground] max is 1; expected at most 1"],
    ["starting more programs than the default max", `${SYSTEM}[foreground]\nprograms = ["shell", "monitor"]\n${PROGRAM}${PROGRAM.replace(/shell/g, "monitor")}`,
      "system.toml:5: [foreground] programs: 2 programs to start at boot, one per virtual console, but [foreground] max is 1; expected at most 1"],
  ];
  for (const [title, text, message] of cases) {
    it(title, async () => expect(await errorOf({ "system.toml": text, "programs/shell.ts": "", "programs/monitor.ts": "" })).toBe(message));
  }

  it("reports every problem of a file in one run, in file order (an invalid value is not also reported missing)", async () => {
    const message = await errorOf({ "system.toml": `[system]\nhostname = "-x"\nversion = "1"\n[foreground]\nmax = 0\n` });
    expect(message.split("\n")).toEqual([
      `system.toml:2: [system] hostname: expected an RFC 1123 label (1 to 63 letters, digits or '-', not starting or ending with '-'), got "-x"`,
      "system.toml:5: [foreground] max: expected a whole number from 1 to 4, got 0",
    ]);
  });
});

describe("the key line finder", () => {
  it("counts [[handlers]] occurrences and skips multi-line values", () => {
    const lines = locateKeys(`a = 1\n[[handlers]]\nname = "x"\nevents = [\n  "fake = 1",\n]\n[[handlers]]\ntext = """\nname = 2\n"""\nname = "y"\n`);
    expect(lines.get("a")).toBe(1);
    expect(lines.get("handlers.0")).toBe(2);
    expect(lines.get("handlers.0.events")).toBe(4);
    expect(lines.get("handlers.1")).toBe(7);
    expect(lines.get("handlers.1.name")).toBe(11);
    expect(lines.has("fake")).toBe(false);
  });
});
