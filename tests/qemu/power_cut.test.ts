// Pulling the plug: two handlers commit while QEMU is killed with SIGKILL at random instants,
// again and again, on the same data disk (docs/storage.md), each commit rewriting one file and
// appending to another: tally flushes each commit
// (durability "commit", every 150 ms), batch groups its commits (every 10 ms, durability
// "interval:100ms": mostly flushed by the group-commit timer, sometimes by tally's flush). After every
// reboot each handler's state must be exactly one of the commits it made, and never older than
// the last one the kernel reported durable before the kill, and its files exactly those of that
// commit. POWER_CUTS (default 25;
// `make crash-test` sets 300) is how many kills.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Machine, startMachine, stopAllMachines } from "../../toolchain/src/bench/machine.ts";
import { buildSystemInScratch, type ScratchBuild } from "../../toolchain/src/build/scratch.ts";
import { readFileSync, writeFileSync } from "node:fs";
import { constant } from "../../interface/optios.ts";
import { createDataDisk } from "../../toolchain/src/disk.ts";
import { logRecords } from "./log_records.ts";
import { BOOT_TIMEOUT_MILLISECONDS, BUILD_TIMEOUT_MILLISECONDS, SHELL_PROMPT } from "./shell_session.ts";

const POWER_CUTS = Number(process.env.POWER_CUTS ?? 25);
/** Each cut: a boot through SeaBIOS and GRUB, a wait, a kill; a few seconds under TCG. */
const CUT_TIMEOUT_MILLISECONDS = 60_000;

let scratch: ScratchBuild | undefined;
beforeAll(async () => {
  // loglevel=7: the kernel's "durable" lines are at debug level.
  scratch = await buildSystemInScratch("tests/qemu/systems/durable.toml", "console=serial loglevel=7", BUILD_TIMEOUT_MILLISECONDS);
}, BUILD_TIMEOUT_MILLISECONDS);
afterAll(async () => {
  await stopAllMachines();
  scratch?.remove();
});

const HANDLERS = ["tally", "batch"];

/** What one boot's output says of `name`: where it resumed, the commits it logged, the last one reported durable. */
export function readBoot(output: string, name: string): { resumed: number | undefined; files: string | undefined; committed: number[]; durable: number | undefined } {
  let resumed: number | undefined;
  let files: string | undefined;
  const committed: number[] = [];
  let durable: number | undefined;
  let last: number | undefined;
  for (const line of output.split(/\r?\n/)) {
    const resumedAt = new RegExp(`\\[${name}\\] tally: resumed at (\\d+)$`).exec(line);
    if (resumedAt) resumed = Number(resumedAt[1]);
    const filesAt = new RegExp(`\\[${name}\\] tally: files at (.*)$`).exec(line);
    if (filesAt) files = filesAt[1];
    const commit = new RegExp(`\\[${name}\\] tally: commit (\\d+)$`).exec(line);
    if (commit) committed.push((last = Number(commit[1])));
    // A flush makes every commit logged before it durable (tally's right after its run; batch's within 100 ms).
    if (new RegExp(`data disk: durable '${name}' record \\d+$`).test(line)) {
      if (last !== undefined) durable = last;
    }
  }
  return { resumed, files, committed, durable };
}

describe("pulling the plug", () => {
  test(`${POWER_CUTS} kills of QEMU at random instants lose no durable commit`, async () => {
    const disk = join(scratch!.root, "build", "durable.img");
    // 8 MiB: the log (about 9 KiB a commit) passes half its size within 25 cuts, so it is compacted and wraps.
    createDataDisk(disk, 8 * 1024 * 1024);
    let compactions = 0;
    let wraps = 0;
    // Per handler: the last commit reported durable before the previous kill, and the last one logged.
    const durableBefore = new Map(HANDLERS.map((name) => [name, 0]));
    const committedBefore = new Map(HANDLERS.map((name) => [name, 0]));
    let losses = 0;
    for (let cut = 1; cut <= POWER_CUTS; cut++) {
      const machine: Machine = startMachine({ iso: scratch!.iso, memory: "64M", dataDisk: disk });
      await machine.waitFor(/\[batch\] tally: commit \d+\r?\n/, BOOT_TIMEOUT_MILLISECONDS);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 1500));
      machine.kill(); // SIGKILL: no shutdown, no flush
      await stopAllMachines();
      compactions += (machine.output.match(/data disk: state log compacted/g) ?? []).length;
      const scan = /data disk: state log: \d+ records from sector (\d+), next at (\d+)/.exec(machine.output);
      if (scan && Number(scan[2]) < Number(scan[1])) wraps++; // the head has wrapped past the log's end
      expect(machine.output).not.toMatch(/PANIC|CPU exception/);
      for (const name of HANDLERS) {
        const boot = readBoot(machine.output, name);
        const durable = durableBefore.get(name)!;
        const committed = committedBefore.get(name)!;
        expect(boot.resumed, `cut ${cut}: no resume line for ${name} in:\n${machine.readableOutput()}`).toBeDefined();
        // Exactly a state some commit left: no older than the last durable one, no newer than the last made.
        if (boot.resumed! < durable || boot.resumed! > committed) losses++;
        expect(boot.resumed, `cut ${cut}: ${name} resumed at ${boot.resumed}, the last durable commit was ${durable}`).toBeGreaterThanOrEqual(durable);
        expect(boot.resumed, `cut ${cut}: ${name} resumed past its last commit`).toBeLessThanOrEqual(committed);
        if (boot.committed.length > 0) expect(boot.committed[0], `cut ${cut}: ${name}'s first commit after the resume`).toBe(boot.resumed! + 1);
        // Its files are those of the commit its state resumed at: written in the same step, never a torn or other version.
        const files = boot.resumed === 0 ? "(count: no such file), history ends (history: no such file)" : `${boot.resumed}, history ends ${boot.resumed}`;
        if (boot.files !== files) losses++;
        expect(boot.files, `cut ${cut}: ${name}'s files at boot`).toBe(files);
        durableBefore.set(name, boot.durable ?? boot.resumed!);
        committedBefore.set(name, boot.committed.length > 0 ? boot.committed[boot.committed.length - 1] : boot.resumed!);
      }
    }
    console.log(`power cuts: ${POWER_CUTS} kills, ${losses} losses; tally reached commit ${committedBefore.get("tally")}, ` +
      `batch ${committedBefore.get("batch")}; ` +
      `the log was compacted ${compactions} times and found wrapped at ${wraps} boots`);
    expect(losses).toBe(0);
    if (POWER_CUTS >= 25) expect(compactions, "the log never passed half its size: compaction went untested").toBeGreaterThan(0);
  }, POWER_CUTS * CUT_TIMEOUT_MILLISECONDS);
});

describe("a damaged record", () => {
  test("a handler's state record damaged on the disk is refused by name; the handler resumes the last good state before it, the others theirs", async () => {
    const disk = join(scratch!.root, "build", "damaged.img");
    createDataDisk(disk, 64 * 1024 * 1024); // large enough that the log is not compacted: every record below is live
    const first = startMachine({ iso: scratch!.iso, memory: "64M", dataDisk: disk });
    await first.waitFor(/\[tally\] tally: commit 12\r?\n/, BOOT_TIMEOUT_MILLISECONDS);
    await first.waitFor(SHELL_PROMPT, BOOT_TIMEOUT_MILLISECONDS);
    await first.type("poweroff\r");
    expect(await first.waitForExit(BOOT_TIMEOUT_MILLISECONDS)).toBe(0);
    await stopAllMachines();
    const last = readBoot(first.output, "tally").committed.at(-1)!;
    // The fourth-newest of tally's deltas: records of tally and batch follow it.
    const image = readFileSync(disk);
    const deltas = logRecords(image).filter((record) => record.writer === "tally" && record.kind === constant("LOG_DELTA"))
      .sort((a, b) => Number(b.sequence - a.sequence));
    const damaged = deltas[3];
    image[(damaged.sector + 1) * 512 + 5] ^= 0xff;
    writeFileSync(disk, image);
    const second = startMachine({ iso: scratch!.iso, memory: "64M", dataDisk: disk });
    await second.waitFor(/\[tally\] tally: commit \d+\r?\n/, BOOT_TIMEOUT_MILLISECONDS);
    second.kill();
    await stopAllMachines();
    expect(second.output).toContain(`data disk: 'tally': its record at sector ${damaged.sector} fails its checksum (damaged on the disk); ` +
      "its state falls back to the last good one before it");
    expect(second.output).toContain(`data disk: 'tally' resumed the last good state before the damaged record at sector ${damaged.sector}`);
    const tally = readBoot(second.output, "tally");
    expect(tally.resumed, "tally resumes before the damaged delta's commit").toBeLessThan(last - 2);
    expect(tally.resumed).toBeGreaterThan(0);
    expect(tally.committed[0]).toBe(tally.resumed! + 1); // and goes on from there
    expect(second.output).toMatch(/data disk: 'batch' resumed its last durable state/);
    expect(second.output).not.toMatch(/PANIC|CPU exception/);
  }, 2 * CUT_TIMEOUT_MILLISECONDS);
});
