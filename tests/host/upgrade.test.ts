// Live upgrades on the host: the deploy port's transfer parser, and what a new version's
// [[handlers]] entry may change, both with the kernel's own code (docs/upgrade.md).
import { describe, expect, test } from "vitest";
import { recordLayout, recordNamed } from "../../interface/optios.ts";
import { encodeDescriptor } from "../../toolchain/src/build/boot_descriptor.ts";
import { encodeTransfer } from "../../toolchain/src/deploy.ts";
import type { HandlerConfig, SystemConfig } from "../../toolchain/src/system/schema.ts";
import { startKernel } from "./fake_machine";

async function upgrades() {
  const started = await startKernel(undefined, "upgrade_under_test");
  const memory = () => new Uint8Array(started.kernel.memory.buffer);
  return {
    kernel: started.kernel,
    put(bytes: Uint8Array) {
      memory().set(bytes, started.kernel.inputPointer());
      return bytes.length;
    },
    text(length: number) {
      return Buffer.from(memory().subarray(started.kernel.outputPointer(), started.kernel.outputPointer() + length)).toString("utf8");
    },
  };
}

const RELAY: HandlerConfig = {
  name: "relay", source: "r.ts", version: "1",
  triggers: { everyNanoseconds: null, afterNanoseconds: null, events: ["go"], boot: false, messages: true, calls: false },
  budgetNanoseconds: 10_000_000, memoryBytes: 65_536, capabilities: ["post:relay", "emit:door.*"], queueDepth: 16,
};

function descriptor(relay: Partial<HandlerConfig>): Buffer {
  const system: SystemConfig = {
    system: { hostname: "box", version: "1", keepGenerations: 5, deploy: true },
    foreground: { max: 1, programs: [] },
    handlers: [{ ...RELAY, ...relay }],
    programs: [],
    network: {},
  };
  return encodeDescriptor(system);
}

async function compare(asked: Partial<HandlerConfig>): Promise<string> {
  const { kernel, put, text } = await upgrades();
  const running = descriptor({});
  const next = descriptor(asked);
  put(Buffer.concat([running, next]));
  return text(kernel.compareEntries(running.length, next.length));
}

describe("what a live upgrade may change in a handler's entry", () => {
  test.each([
    ["the same entry with another version", { version: "2" }, "wider: none | changed: "],
    ["fewer capabilities", { capabilities: ["post:relay"] }, "wider: none | changed: "],
    ["a capability a running prefix covers", { capabilities: ["emit:door.bell", "emit:door.b*"] }, "wider: none | changed: "],
    ["a wider prefix", { capabilities: ["emit:*"] }, "wider: emit:* | changed: "],
    ["a capability it did not have", { capabilities: ["post:relay", "status:relay"] }, "wider: status:relay | changed: "],
    ["another budget and queue", { budgetNanoseconds: 20_000_000, queueDepth: 8 }, "wider: none | changed: budget, queue"],
    ["other triggers", { triggers: { ...RELAY.triggers, everyNanoseconds: 1_000_000_000, boot: true, events: ["go", "stop"] } },
      "wider: none | changed: every, boot, events"],
    ["another memory limit, and calls", { memoryBytes: 131_072, triggers: { ...RELAY.triggers, calls: true } }, "wider: none | changed: memory, calls"],
  ])("%s", async (_, asked, expected) => {
    expect(await compare(asked as Partial<HandlerConfig>)).toBe(expected);
  });
});

describe("the descriptor a deploy sends", () => {
  async function readForDeploy(asked: Partial<HandlerConfig>, relay = true): Promise<string> {
    const { kernel, put, text } = await upgrades();
    const running = descriptor({});
    const next = descriptor(asked);
    put(Buffer.concat([running, next]));
    return text(kernel.readForDeploy(running.length, next.length, relay));
  }

  test("an entry that reads as the running one shares its objects: a deploy of the same entry makes nothing (the kernel's runtime never frees)", async () => {
    expect(await readForDeploy({})).toBe("version: same | events: same | grants: same, budget 10000000");
  });

  test("what differs is read anew, and only that", async () => {
    expect(await readForDeploy({ version: "2", budgetNanoseconds: 20_000_000 })).toBe("version: new | events: same | grants: same, budget 20000000");
    expect(await readForDeploy({ capabilities: ["post:relay"], triggers: { ...RELAY.triggers, events: ["stop"] } }))
      .toBe("version: same | events: new | grants: new, budget 10000000");
  });

  test("a descriptor without the handler says so", async () => {
    expect(await readForDeploy({}, false)).toBe("no such handler");
  });
});

const headerField = (name: string) => recordLayout(recordNamed("DeployHeader")).offsets.get(name)!;

function transfer(edit: (header: DataView) => void = () => {}): Buffer {
  const bytes = encodeTransfer("relay", descriptor({}), new Uint8Array(64).fill(7));
  edit(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return bytes;
}

async function feed(bytes: Uint8Array, lossAt = -1): Promise<string> {
  const { kernel, put, text } = await upgrades();
  return text(kernel.feed(put(bytes), lossAt));
}

describe("the deploy port's transfers", () => {
  test.each([
    ["another format", (view: DataView) => view.setUint32(headerField("version"), 9, true),
      "failed: transfer format 9, but this kernel reads format 1 (deploy with the toolchain the kernel was built with)"],
    ["an empty name", (view: DataView) => view.setUint32(headerField("nameBytes"), 0, true), "failed: a name of 0 bytes (1 to 32)"],
    ["a name too long", (view: DataView) => view.setUint32(headerField("nameBytes"), 33, true), "failed: a name of 33 bytes (1 to 32)"],
    ["a descriptor too big", (view: DataView) => view.setUint32(headerField("descriptorBytes"), 65_537, true),
      "failed: a descriptor of 65537 bytes (1 to 65536)"],
    ["a module too big", (view: DataView) => view.setUint32(headerField("moduleBytes"), 2_000_000, true),
      "failed: a module of 2000000 bytes (1 to 1048576)"],
  ])("a header with %s is refused before anything is allocated", async (_, edit, expected) => {
    expect(await feed(transfer(edit))).toBe(`${expected}\nseeking`);
  });

  test("bytes before the magic are skipped, however much of it they repeat, and a header after them is read", async () => {
    const bad = transfer((view) => view.setUint32(headerField("version"), 9, true));
    const noise = Buffer.from("ODP-OD-OOOODPODPLx", "latin1"); // "ODPL" is the magic: "ODPLx" here starts a header
    expect(await feed(Buffer.concat([Buffer.from("hello"), noise.subarray(0, 14), bad]))).toMatch(/^failed: transfer format 9, .*\nseeking$/);
  });

  test("after a refused transfer the port finds the next one", async () => {
    const bad = transfer((view) => view.setUint32(headerField("nameBytes"), 0, true));
    const worse = transfer((view) => view.setUint32(headerField("moduleBytes"), 0, true));
    expect(await feed(Buffer.concat([bad, worse]))).toBe("failed: a name of 0 bytes (1 to 32)\nfailed: a module of 0 bytes (1 to 1048576)\nseeking");
  });

  test("a byte lost in the header gives up the transfer, saying how far it came", async () => {
    expect(await feed(transfer().subarray(0, 20), 10)).toBe(
      "failed: bytes were lost on the way (a UART overrun) after 10 of its bytes; send it again\nseeking");
  });

  test("a header cut short leaves the port waiting for the rest", async () => {
    expect(await feed(transfer().subarray(0, 12))).toBe("in a transfer");
  });
});
