// Live upgrades, in QEMU: `optios deploy` sends a new version of a running handler over the
// deploy port (COM2), and the kernel checks it, swaps it between two runs and answers.
//
// Boots tests/qemu/systems/upgrade.toml (relay version 1, which keeps one message to itself
// in flight once the shell emits "go"), then builds the upgrade_*.toml variants in the same
// scratch root and deploys them with the real command, as a user would: a refused wider
// entry, a refused changed entry, a version whose migrate fails (version 1 runs on), a
// damaged transfer, and finally version 2, which takes over the message queued for version 1.
import { createConnection } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Machine, startMachine, stopAllMachines } from "../../toolchain/src/bench/machine.ts";
import { buildSystemInScratch, runInScratch, type ScratchBuild } from "../../toolchain/src/build/scratch.ts";
import { buildTransfer, deploySocketPath, sendTransfers } from "../../toolchain/src/deploy.ts";
import { defaultKernelArguments } from "../../toolchain/src/project.ts";
import { BOOT_TIMEOUT_MILLISECONDS, BUILD_TIMEOUT_MILLISECONDS, COMMAND_TIMEOUT_MILLISECONDS, SHELL_PROMPT, shellCommand }
  from "./shell_session.ts";

let scratch: ScratchBuild | undefined;
let machine: Machine | undefined;
const guest = () => machine!;

beforeAll(async () => {
  scratch = await buildSystemInScratch("tests/qemu/systems/upgrade.toml", defaultKernelArguments, BUILD_TIMEOUT_MILLISECONDS);
  machine = startMachine({ iso: scratch.iso, memory: "128M", deploySocket: join(scratch.root, deploySocketPath) });
  await machine.waitFor(SHELL_PROMPT, BOOT_TIMEOUT_MILLISECONDS);
}, BUILD_TIMEOUT_MILLISECONDS + BOOT_TIMEOUT_MILLISECONDS);

afterAll(async () => {
  await stopAllMachines();
  scratch?.remove();
});

/** `optios deploy relay` with `systemFile`, in the scratch root; its output, whatever its exit status. */
async function deploy(systemFile: string): Promise<string> {
  const argv = ["deploy", "--root", scratch!.root, "--system", systemFile, "--kernel-arguments", defaultKernelArguments, "relay"];
  try {
    return await runInScratch(scratch!, argv, BUILD_TIMEOUT_MILLISECONDS);
  } catch (error) {
    return (error as Error).message; // a refused deploy exits with status 1; its message carries the output
  }
}

const DEPLOY_TIMEOUT_MILLISECONDS = BUILD_TIMEOUT_MILLISECONDS + 120_000;

describe.sequential("live upgrades", () => {
  test("the chain runs: relay version 1 keeps a message to itself in flight", async () => {
    const output = await shellCommand(guest(), "emit go", /\[relay\] relay 1: chain started\r?\n/);
    expect(output).toContain("relay 1: chain started");
    expect(await shellCommand(guest(), "handlers")).toMatch(/^relay\s+1\s+\d+\s+/m);
  });

  test("a version asking for a capability the running one lacks is refused; version 1 runs on", async () => {
    const output = await deploy("tests/qemu/systems/upgrade_wider.toml");
    expect(output).toContain("deploy: 'relay': refused: it asks for the capability emit:alarm, which the running version lacks; " +
      "more capabilities need its generation booted");
    expect(await shellCommand(guest(), "handlers")).toMatch(/^relay\s+1\s+\d+\s+/m);
  }, DEPLOY_TIMEOUT_MILLISECONDS);

  test("a version whose [[handlers]] entry changed is refused", async () => {
    const output = await deploy("tests/qemu/systems/upgrade_changed.toml");
    expect(output).toContain("deploy: 'relay': refused: its [[handlers]] entry changed (budget, queue); a changed entry needs its generation booted");
  }, DEPLOY_TIMEOUT_MILLISECONDS);

  test("a version whose migrate fails is dropped, and version 1 runs on with its state", async () => {
    const from = guest().output.length;
    const output = await deploy("tests/qemu/systems/upgrade_bad_migrate.toml");
    expect(output).toMatch(/deploy: 'relay': failed: version 3's migrate aborted: relay 3 cannot migrate at tests\/qemu\/handlers\/relay_bad_migrate\.ts:\d+:\d+; version 1 runs on, unchanged/);
    await guest().waitFor(/\[relay\] \(rolled back\) relay 3: migrating from version 1, then failing\r?\n/, COMMAND_TIMEOUT_MILLISECONDS, from);
    const before = Number(/^relay\s+1\s+(\d+)/m.exec(await shellCommand(guest(), "handlers"))![1]);
    const after = Number(/^relay\s+1\s+(\d+)/m.exec(await shellCommand(guest(), "handlers"))![1]);
    expect(after).toBeGreaterThan(before); // the chain goes on under version 1
  }, DEPLOY_TIMEOUT_MILLISECONDS);

  test("a damaged transfer is refused by its checksum, and the port takes the next one", async () => {
    const transfer = buildTransfer(scratch!.root, "relay"); // the last build: version 3's module and descriptor
    transfer[transfer.length - 100] ^= 0xff;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = createConnection(join(scratch!.root, deploySocketPath));
      let received = "";
      socket.on("connect", () => socket.write(transfer));
      socket.on("data", (chunk) => {
        received += chunk.toString();
        const line = /deploy: .*\r?\n/.exec(received);
        if (line) {
          socket.destroy();
          resolve(line[0]);
        }
      });
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^deploy: 'relay': refused: the module's CRC-32 is 0x[0-9a-f]{8}, its generation records 0x[0-9a-f]{8} \(damaged on the way, or not that generation's module\)/);
  }, COMMAND_TIMEOUT_MILLISECONDS);

  test("version 2 replaces version 1 live: migrate runs, and the message queued for version 1 is version 2's", async () => {
    const from = guest().output.length;
    const output = await deploy("tests/qemu/systems/upgrade_v2.toml");
    expect(output).toMatch(/deploy: 'relay': upgraded from version 1 to 2 in [\d.]+ ms \([\d,]+ cycles\); state reset \(new version\); queued events kept: 1/);
    await guest().waitFor(/\[relay\] relay 2: took over the chain at message \d+; ending it\r?\n/, COMMAND_TIMEOUT_MILLISECONDS, from);
    const log = guest().output.slice(from);
    expect(log).toContain("[relay] relay 2: migrating from version 1");
    expect(log.indexOf("relay 2: migrating from version 1")).toBeLessThan(log.indexOf("relay 2: took over the chain"));
    expect(Number(/took over the chain at message (\d+)/.exec(log)![1])).toBeGreaterThan(1);
    expect(await shellCommand(guest(), "handlers")).toMatch(/^relay\s+2\s+\d+\s+\d+\s+\d+\s+0\/16\s/m); // the chain ended: nothing queued
  }, DEPLOY_TIMEOUT_MILLISECONDS);

  test("deploys again and again leave the kernel's heap where it was (its runtime never frees: a deploy makes nothing)", async () => {
    const heap = async () => Number(/^kernel: heap ([\d,]+) bytes /m.exec(await shellCommand(guest(), "mem"))?.[1].replace(/,/g, ""));
    const transfer = buildTransfer(scratch!.root, "relay"); // version 2's module and generation, as running
    const before = await heap();
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 8; i++) {
      const [answer] = await sendTransfers(join(scratch!.root, deploySocketPath), [transfer]);
      expect(answer).toMatch(/^deploy: 'relay': upgraded from version 2 to 2 /);
    }
    // It grew 6.6 KiB a deploy when the kernel read the whole descriptor sent with it.
    expect(await heap() - before, "bytes the kernel's heap grew over 8 deploys").toBeLessThanOrEqual(256); // the `mem` reports' own few bytes
  }, DEPLOY_TIMEOUT_MILLISECONDS);
});
