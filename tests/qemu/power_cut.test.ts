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
import { filesOfCommit, readBoot } from "./durable_boot.ts";
import { logRecords } from "../../toolchain/src/disk_log.ts";
import { readWriteLog, replay } from "./write_log.ts";
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
        const files = filesOfCommit(boot.resumed!);
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
      "its state and files fall back to the last good commit before it");
    expect(second.output).toContain(`data disk: 'tally' resumed the last good state before the damaged record at sector ${damaged.sector}`);
    const tally = readBoot(second.output, "tally");
    expect(tally.resumed, "tally resumes before the damaged delta's commit").toBeLessThan(last - 2);
    expect(tally.resumed).toBeGreaterThan(0);
    expect(tally.committed[0]).toBe(tally.resumed! + 1); // and goes on from there
    expect(tally.files, "its files fell back with its state").toBe(filesOfCommit(tally.resumed!));
    expect(second.output).toMatch(/data disk: 'batch' resumed its last durable state/);
    expect(second.output).not.toMatch(/PANIC|CPU exception/);
  }, 2 * CUT_TIMEOUT_MILLISECONDS);
});

// Worse than pulling the plug: a SIGKILL keeps every write QEMU completed, flushed or not. A real
// power cut may lose unflushed writes, or keep a later one and lose an earlier (the device
// reorders within a flush). QEMU's blklogwrites driver records every write and flush of one run,
// in order; from it the test rebuilds the disks such cuts leave (the method of dm-log-writes
// and CrashMonkey) and boots each one. CRASH_STATES (default 24) is about how many.
const CRASH_STATES = Number(process.env.CRASH_STATES ?? 24);

describe("worse than pulling the plug", () => {
  test("from the disk a power cut leaves after any flush, with the writes after it lost or reordered, nothing durable is lost", async () => {
    const disk = join(scratch!.root, "build", "logged.img");
    const log = join(scratch!.root, "build", "logged.log");
    createDataDisk(disk, 8 * 1024 * 1024);
    const base = readFileSync(disk);
    writeFileSync(log, "");
    // Cut points: after a flush, spread over the run; at each, the epoch's unflushed writes until the next flush.
    const points = Math.max(1, Math.floor(CRASH_STATES / 3));
    // Long enough for that many flushes: tally flushes at each of its commits (every 150 ms), batch's groups between.
    const run = startMachine({ iso: scratch!.iso, memory: "64M", dataDisk: disk, dataDiskLog: log });
    await run.waitFor(new RegExp(`\\[tally\\] tally: commit ${Math.max(10, points)}\\r?\\n`), BOOT_TIMEOUT_MILLISECONDS);
    // Turned off, not killed: QEMU writes the disk before the log, so a kill between the two would leave a write the log lacks.
    await run.type("poweroff\r");
    expect(await run.waitForExit(BOOT_TIMEOUT_MILLISECONDS)).toBe(0);
    await stopAllMachines();
    const writes = readWriteLog(readFileSync(log));
    expect(replay(base, writes).equals(readFileSync(disk)), "the log replays to the disk QEMU wrote").toBe(true);
    const flushes = writes.flatMap((write, index) => (write.flush ? [index] : []));
    expect(flushes.length).toBeGreaterThan(10);
    expect(flushes.length, "fewer flushes than cut points").toBeGreaterThanOrEqual(points);
    const chosen = [...new Set(Array.from({ length: points }, (_, i) => flushes[Math.floor((i * (flushes.length - 1)) / Math.max(1, points - 1))]))];
    const recovered = new Map<string, number>();
    let states = 0;
    const bootState = async (writesKept: typeof writes, what: string) => {
      const image = join(scratch!.root, "build", "state.img");
      writeFileSync(image, replay(base, writesKept));
      const machine = startMachine({ iso: scratch!.iso, memory: "64M", dataDisk: image });
      await machine.waitFor(/\[batch\] tally: files at .*\r?\n/, BOOT_TIMEOUT_MILLISECONDS);
      await machine.waitFor(/\[tally\] tally: files at .*\r?\n/, BOOT_TIMEOUT_MILLISECONDS);
      machine.kill();
      await stopAllMachines();
      expect(machine.output, what).not.toMatch(/PANIC|CPU exception|handler state is no longer written/);
      const result = new Map<string, number>();
      for (const name of HANDLERS) {
        const boot = readBoot(machine.output, name);
        expect(boot.files, `${what}: ${name}'s files against its state (resumed at ${boot.resumed})`).toBe(filesOfCommit(boot.resumed!));
        result.set(name, boot.resumed!);
      }
      states++;
      return result;
    };
    let previous = new Map(HANDLERS.map((name) => [name, 0]));
    for (const flush of chosen) {
      const next = flushes.find((index) => index > flush) ?? writes.length;
      const unflushed = writes.slice(flush + 1, next);
      const kept = await bootState(writes.slice(0, flush + 1), `the cut right after flush ${flush}`);
      const variants: Array<[string, typeof writes]> = [
        ["only the last unflushed write reached the disk (reordered)", unflushed.slice(-1)],
        ["every other unflushed write reached the disk", unflushed.filter((_, i) => i % 2 === 0)],
      ];
      for (const [name, extra] of variants) {
        if (extra.length === 0) continue;
        const result = await bootState([...writes.slice(0, flush + 1), ...extra], `after flush ${flush}, ${name}`);
        for (const handler of HANDLERS) {
          expect(result.get(handler), `after flush ${flush}, ${name}: ${handler} lost what the flush made durable`).toBeGreaterThanOrEqual(kept.get(handler)!);
        }
      }
      for (const handler of HANDLERS) {
        expect(kept.get(handler), `flush ${flush}: ${handler} went back`).toBeGreaterThanOrEqual(previous.get(handler)!);
      }
      previous = kept;
      for (const [name, value] of kept) recovered.set(name, value);
    }
    // The whole log: every commit the kernel reported durable in the run is there.
    const whole = await bootState(writes, "the whole run");
    for (const handler of HANDLERS) {
      const durable = readBoot(run.output, handler).durable ?? 0;
      expect(whole.get(handler), `${handler}: its last durable commit of the run`).toBeGreaterThanOrEqual(durable);
    }
    console.log(`write log: ${writes.length} writes and flushes recorded by blklogwrites; ${states} crash states booted and checked`);
  }, (CRASH_STATES + 4) * CUT_TIMEOUT_MILLISECONDS);
});

describe("a disk that fails mid-write", () => {
  test("a failed write is one line naming the disk and the sectors; the handlers run on in RAM, and every commit reported durable before it is kept", async () => {
    const disk = join(scratch!.root, "build", "failing.img");
    createDataDisk(disk, 8 * 1024 * 1024);
    // The log starts at sector 8 and grows with every commit: within a second it reaches sector 1000, whose writes fail.
    const failing = startMachine({ iso: scratch!.iso, memory: "64M", dataDisk: disk, dataDiskFailingSector: 1000 });
    await failing.waitFor(/data disk: handler state is no longer written: .*\r?\n/, BOOT_TIMEOUT_MILLISECONDS);
    const stopped = /data disk: handler state is no longer written: writing sectors (\d+)-(\d+) of virtio-blk 00:0\d\.0: the disk reported an I\/O error \(status 1\); it is kept in RAM \(and across warm reboots\); files on it cannot be read or written until the next boot/.exec(failing.output);
    expect(stopped, failing.readableOutput()).not.toBeNull();
    expect(Number(stopped![1])).toBeLessThanOrEqual(1000);
    expect(Number(stopped![2])).toBeGreaterThanOrEqual(1000);
    const before = readBoot(failing.output, "tally");
    await failing.waitFor(new RegExp(`\\[tally\\] tally: commit ${before.committed.at(-1)! + 3}\\r?\\n`), BOOT_TIMEOUT_MILLISECONDS); // it runs on
    expect(failing.output).toContain("[tally] tally: count refused: count: there is no data disk, or its state log stopped (see: df)");
    failing.kill();
    await stopAllMachines();
    const durable = readBoot(failing.output.slice(0, stopped!.index), "tally").durable ?? 0;
    const again = startMachine({ iso: scratch!.iso, memory: "64M", dataDisk: disk });
    await again.waitFor(/\[tally\] tally: files at .*\r?\n/, BOOT_TIMEOUT_MILLISECONDS);
    again.kill();
    await stopAllMachines();
    const resumed = readBoot(again.output, "tally");
    expect(resumed.resumed, "tally resumes at its last commit reported durable before the failure, or later").toBeGreaterThanOrEqual(durable);
    expect(resumed.files).toBe(filesOfCommit(resumed.resumed!));
  }, 3 * CUT_TIMEOUT_MILLISECONDS);
});

describe("a USB stick pulled out", () => {
  test("while handlers commit: one line naming the stick, the handlers run on in RAM, and every commit reported durable before it is on the stick", async () => {
    const disk = join(scratch!.root, "build", "stick.img");
    createDataDisk(disk, 8 * 1024 * 1024);
    const stick = startMachine({ iso: scratch!.iso, memory: "64M", dataDisk: disk, dataDiskBus: "usb", monitor: true });
    await stick.waitFor(/\[tally\] tally: commit 3\r?\n/, BOOT_TIMEOUT_MILLISECONDS);
    expect(stick.output).toMatch(/data disk: 'optios-data' on usb 00:0\d\.0 port 1, 8\.0 MiB/);
    await stick.monitorCommand("device_del stick"); // the stick leaves the USB port
    const stopped = await stick.waitFor(/data disk: handler state is no longer written: .*\r?\n/, BOOT_TIMEOUT_MILLISECONDS);
    // The port's status change ends the request at once (not at the 5 s deadline), and says why: the
    // write ("writing sectors … of usb …") or flush ("flushing usb …") in flight, or, when a read (an
    // append's) met the empty port first, the next write, refused at once.
    expect(stopped.match[0]).toMatch(/(of|flushing) usb 00:0\d\.0 port 1: ((WRITE|SYNCHRONIZE CACHE)[^:]* failed: )?it was unplugged \(port 1 lost its device\); it is kept in RAM/);
    const before = readBoot(stick.output, "tally");
    await stick.waitFor(new RegExp(`\\[tally\\] tally: commit ${before.committed.at(-1)! + 3}\\r?\\n`), BOOT_TIMEOUT_MILLISECONDS); // it runs on
    stick.kill();
    await stopAllMachines();
    const durable = readBoot(stick.output.slice(0, stopped.match.index), "tally").durable ?? 0;
    const again = startMachine({ iso: scratch!.iso, memory: "64M", dataDisk: disk, dataDiskBus: "usb" }); // plugged in again
    await again.waitFor(/\[tally\] tally: files at .*\r?\n/, BOOT_TIMEOUT_MILLISECONDS);
    again.kill();
    await stopAllMachines();
    const resumed = readBoot(again.output, "tally");
    expect(resumed.resumed, "tally resumes at its last commit reported durable before the stick left, or later").toBeGreaterThanOrEqual(durable);
    expect(resumed.files).toBe(filesOfCommit(resumed.resumed!));
  }, 3 * CUT_TIMEOUT_MILLISECONDS);
});

describe("a program's files while handlers commit", () => {
  test("a program writing and reading files while two handlers commit: every request completes, none interleaves with theirs", async () => {
    const disk = join(scratch!.root, "build", "program-files.img");
    createDataDisk(disk, 32 * 1024 * 1024);
    const machine = startMachine({ iso: scratch!.iso, memory: "64M", dataDisk: disk });
    await machine.waitFor(SHELL_PROMPT, BOOT_TIMEOUT_MILLISECONDS);
    for (let round = 1; round <= 3; round++) {
      const from = machine.output.length;
      await machine.type("run filebench\r");
      await machine.waitFor(/filebench: .*\r?\n/, BOOT_TIMEOUT_MILLISECONDS, from);
      expect(machine.output.slice(from), `round ${round}`).toMatch(/filebench: wrote 16 files of 256 KiB in \d+ ms, read them in \d+ ms/);
    }
    machine.kill();
    await stopAllMachines();
    expect(machine.output).not.toMatch(/handler state is no longer written|PANIC|CPU exception/);
  }, 3 * CUT_TIMEOUT_MILLISECONDS);
});
