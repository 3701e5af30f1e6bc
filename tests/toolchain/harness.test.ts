// The host harness (toolchain/src/harness/): state kept between runs, rollback on trap, the gate's refusals, emits, clocks.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { calls } from "../../interface/optios.ts";
import { implementations, missingImplementations } from "../../toolchain/src/harness/calls.ts";
import { eventNumber, loadHandler, loadProgram } from "../../toolchain/src/harness/index.ts";
import { toolchainRepository } from "../../toolchain/src/project.ts";

const keeperSource = join(import.meta.dirname, "harness/keeper/handler.ts");
const consoleSource = join(import.meta.dirname, "harness/console/program.ts");
const grants = ["emit:door.*", "status:keeper", "post:inbox", "call:bank"];
const keeper = (options = {}) => loadHandler(keeperSource, { capabilities: grants, ...options });

describe("the harness implements the interface", () => {
  it("has an implementation for every call interface/optios.ts declares, taking the declared arguments", () => {
    expect(missingImplementations()).toEqual([]);
    for (const call of calls) expect(implementations[call.name].length - 1, call.name).toBeLessThanOrEqual(call.arguments.length);
  });
});

describe("the data disk in the harness", () => {
  const diarySource = join(import.meta.dirname, "harness/diary/handler.ts");
  const diary = (options = {}) => loadHandler(diarySource, { capabilities: ["data"], ...options });

  it("keeps a run's appends in the handler's own directory; a trapping run's are dropped with it", async () => {
    const handler = await diary();
    expect(handler.post("write", "one").logs).toEqual(["appended"]);
    const failed = handler.post("fail", "two");
    expect(failed).toMatchObject({ committed: false, logs: ["appended"] });
    expect(handler.post("read").logs).toEqual(["one|"]);
    expect(new TextDecoder().decode(handler.world.data!.files.get("/data/diary/diary.txt"))).toBe("one\n");
    expect(handler.post("list").logs).toEqual(["diary.txt"]);
    expect(handler.post("tear").logs).toEqual(["removed"]);
    expect(handler.post("read").logs).toEqual(["no diary: diary.txt: no such file"]);
  });

  it("refuses another directory without data.read for it, and reads it with the grant; no disk is its own error", async () => {
    const dataFiles = { "/data/other/secret.txt": "s3cret" };
    const refused = await diary({ dataFiles });
    expect(refused.post("peek").logs).toEqual(["peek refused -1: /data/other/secret.txt: not granted: the module's capabilities do not allow this call"]);
    expect(refused.refusals).toEqual(["gate: refused diary's call data_size: it needs the capability data.read:/data/other/secret.txt"]);
    const granted = await diary({ dataFiles, capabilities: ["data", "data.read:/data/other/*"] });
    expect(granted.post("peek").logs).toEqual(["peeked s3cret"]);
    const diskless = await diary({ dataDisk: false });
    expect(diskless.post("write", "x").logs).toEqual(["refused: diary.txt: there is no data disk, or its state log stopped (see: df)"]);
  });
});

describe("a handler in the harness", () => {
  it("keeps its globals and heap between runs, and reads its declared version", async () => {
    const handler = await keeper();
    expect(handler.version).toBe("7");
    expect(handler.post("add", new Uint8Array([2])).logs).toEqual(["total 2 after 1 adds"]);
    expect(handler.post("add", new Uint8Array([3])).logs).toEqual(["total 5 after 2 adds"]);
    expect(handler.logs).toEqual(["total 2 after 1 adds", "total 5 after 2 adds"]);
  });

  it("tells the handler the event's name: an app event's, or timer, or boot; and its number", async () => {
    const handler = await keeper();
    const number = eventNumber("names");
    expect(handler.post("names").logs).toEqual([`event named 'names', number ${number}`]);
    expect(handler.timer().logs).toEqual(["event named 'timer', number 0"]);
    expect(handler.boot().logs).toEqual(["event named 'boot', number 0"]);
  });

  it("posts a message to a handler that takes them (kept with the run's emits); one that takes none is refused", async () => {
    const handler = await keeper({ capabilities: [...grants, "post:*"], handlers: { inbox: { messages: true }, quiet: { messages: false } } });
    const run = handler.post("post", "hello");
    expect(run.logs).toEqual(["inbox: queued", "quiet: refused -16"]);
    expect(run.emitted.map((event) => [event.name, new TextDecoder().decode(event.payload)])).toEqual([["post:inbox", "hello"]]);
    expect(handler.message("bell", "ding").logs).toEqual(["message from bell: ding"]);
  });

  it("gives each run its own payload, also when runs of one length share the array (the API reuses it)", async () => {
    const handler = await keeper({ capabilities: grants });
    const texts = ["ding", "dong", "bong", "hi", "ding"];
    expect(texts.map((text) => handler.message("bell", text).logs)).toEqual(texts.map((text) => [`message from bell: ${text}`]));
  });

  it("answers a call with reply(), and calls another handler through the answer the test gives", async () => {
    const handler = await keeper({
      handlers: { bank: { answer: (request: Uint8Array) => (new TextDecoder().decode(request) === "broke" ? null : "ok") } },
    });
    handler.post("add", new Uint8Array([4]));
    const answered = handler.call("teller", "how much?");
    expect(new TextDecoder().decode(answered.reply!)).toBe("total 4 for teller");
    expect(handler.post("ask", "fine").logs).toEqual(["bank said ok"]);
    expect(handler.post("ask", "broke").logs).toEqual(["ask failed -18"]); // ERROR_CALL_FAILED
    expect(handler.calls.map((made) => made.name)).toEqual(["bank", "bank"]);
  });

  it("rolls a trapping run back: memory and globals as before, its emits withdrawn, the failure counted", async () => {
    const handler = await keeper();
    handler.post("add", new Uint8Array([4]));
    const failed = handler.post("fail");
    expect(failed).toMatchObject({ committed: false, trap: { name: "ABORT" }, emitted: [] });
    expect(failed.failure).toMatch(/^aborted: asked to fail at .*keeper\/handler\.ts:\d+:\d+$/);
    expect(failed.logs).toEqual(["failing with total 999"]);
    expect(handler.emitted).toEqual([]);
    expect(handler.post("add", new Uint8Array([1])).logs).toEqual(["total 5 after 2 adds"]);
    const divided = handler.post("divide");
    expect(divided.trap?.name).toBe("DIVIDE_BY_ZERO");
    expect(handler.post("status").logs).toEqual(["runs 4 failures 2"]); // the run asking is not counted yet
  });

  it("runs migrate() for a live upgrade, and rolls a failing one back like any run", async () => {
    const handler = await keeper();
    handler.post("add", new Uint8Array([4]));
    const failed = handler.upgrade("broken");
    expect(failed).toMatchObject({ committed: false, logs: ["migrating from version broken"] });
    expect(failed.failure).toMatch(/^aborted: cannot migrate from a broken version at /);
    expect(handler.post("add", new Uint8Array([1])).logs).toEqual(["total 5 after 2 adds"]); // its state as before
    expect(handler.upgrade("6").logs).toEqual(["migrating from version 6"]);
    expect(handler.post("add", new Uint8Array([1])).logs).toEqual(["total 1001 after 3 adds"]); // migrate's change committed
  });

  it("reset() puts it back to its initial state", async () => {
    const handler = await keeper();
    handler.post("add", new Uint8Array([9]));
    handler.reset();
    expect(handler.logs).toEqual([]);
    expect(handler.post("add", new Uint8Array([1])).logs).toEqual(["total 1 after 1 adds"]);
    expect(handler.status.restarts).toBe(1n);
  });

  it("refuses what is not granted with the interface's error code, and records the kernel's refusal line", async () => {
    const handler = await keeper({ capabilities: ["emit:door.*", "status:other", "post:nobody", "call:nobody"] });
    handler.post("add", new Uint8Array([3]));
    const opened = handler.post("open");
    expect(opened.logs).toEqual(["door.opened taken by someone", "window.opened: refused -1"]);
    expect(opened.emitted.map((event) => [event.name, [...event.payload]])).toEqual([["door.opened", [3]]]);
    expect(handler.post("status").logs).toEqual(["status refused -1"]);
    expect(handler.refusals).toEqual([
      "gate: refused keeper's call emit: it needs the capability emit:window.opened",
      "gate: refused keeper's call status: it needs the capability status:keeper",
    ]);
  });

  it("refuses to load a module the build would refuse (a call whose capability is not granted at all)", async () => {
    await expect(loadHandler(keeperSource, { capabilities: ["emit:door.*"] })).rejects.toThrow(/calls status, which needs the capability 'status'/);
  });

  it("counts subscribers as the kernel does: none subscribed is ERROR_NO_SUBSCRIBER", async () => {
    const handler = await keeper({ handlers: { bell: { events: ["window.opened"] } } });
    expect(handler.post("open").logs[0]).toBe("door.opened taken by nobody: -8");
    expect(handler.emitted).toEqual([]);
  });

  it("advances the monotonic and the wall clock together; a machine without a real-time clock gives 0", async () => {
    const handler = await keeper({ wallTime: 1_000n });
    handler.advance("1500ms");
    expect(handler.post("clock").logs).toEqual(["now 1500000000 wall 1500001000"]);
    const withoutClock = await keeper({ wallTime: null });
    expect(withoutClock.post("clock").logs).toEqual(["now 0 wall 0"]);
  });

  it("takes grants, subscriptions and the other handlers from a system.toml entry", async () => {
    const ping = await loadHandler(join(toolchainRepository, "handlers/ping/handler.ts"), { system: join(toolchainRepository, "systems/default/system.toml") });
    expect(ping.grants).toEqual(["emit:ping"]);
    expect(() => ping.post("ping")).toThrow(/not subscribed to "ping"/);
    expect(ping.timer().emitted.map((event) => event.name)).toEqual(["ping"]);
    await expect(loadHandler(keeperSource, { system: join(toolchainRepository, "systems/default/system.toml") })).rejects.toThrow(/declares no handler 'keeper'/);
  });
});

describe("a program in the harness", () => {
  it("runs main() with scripted lines and captures what it prints", async () => {
    const program = await loadProgram(consoleSource, { capabilities: ["files:read", "programs", "power"], files: { "/etc/motd": "hello", "/etc/os/name": "optios" } });
    const run = program.run(["hi", "cat /etc/motd", "cat /etc/none", "ls", "run counter", "end"]);
    expect(run).toMatchObject({ ended: "returned", trap: null });
    expect(run.output).toBe("you said: hi\nhello\nno file\nmotd\nos/\nrun: started 'counter' on console 2\nconsole 2\n");
    expect(run.started).toEqual([{ name: "counter", argumentLine: "", here: false }]);
    expect(program.run(["hi"])).toMatchObject({ ended: "input", output: "you said: hi\n" });
    expect(program.run(["off"]).ended).toBe("power off");
  });

  it("gets the kernel's refusal for a capability narrower than the call needs", async () => {
    const program = await loadProgram(consoleSource, { capabilities: ["files:read", "programs", "power"], foregroundMax: 1 });
    expect(program.run(["run counter", "end"]).output).toContain("run: all 1 console has a program ([foreground] max = 1)");
  });

  it("gets its argument line; a program it runs here is recorded with its arguments and answered as ended", async () => {
    const program = await loadProgram(consoleSource, { capabilities: ["files:read", "programs", "power"], programs: ["counter"] });
    const run = program.run(["arguments", "here counter", "here nosuch", "end"], { argumentLine: "one two" });
    expect(run.output).toBe("arguments 'one two'\nexit 0\nrun: 'nosuch' is not a program of this system (see: ls /bin)\nexit -1\n");
    expect(run.started).toEqual([{ name: "counter", argumentLine: "with arguments", here: true }]);
  });
});
