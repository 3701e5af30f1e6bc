// The state log against power cuts at every point (the method of dm-log-writes and CrashMonkey):
// a handler commits again and again on a disk in memory while every write is journaled; then,
// for every point in that journal, and for every write torn in half, the disk a power cut
// there would leave is rebuilt and recovered by a fresh kernel. What it restores must be
// exactly the state of the last commit whose record reached the disk (docs/storage.md).
import { describe, expect, test } from "vitest";
import { encodeSuperblock } from "../../toolchain/src/disk.ts";
import { type FakeMachine, startKernel } from "./fake_machine";

const DISK_BASE = 0x2000000;
const MEMORY = 0x6000000;
const MEMORY_BYTES = 65536;
const PAGE = 4096;
const SECTOR = 512;
/** Just over the log's minimum (two of the largest deltas): compactions and wraps come within COMMITS. */
const SECTORS = 8 + 1600;
const COMMITS = 60;

interface State { globals: Buffer; memory: Buffer }

/** The module primitives the log calls, played over fake memory: `dirty` is the last transaction's pages. */
function fakeModule(machine: FakeMachine, module: { globals: Buffer; dirty: number[]; restored?: State }): void {
  Object.assign(machine.hardwareFakes, {
    module_footprint: (_id: number, which: number) => (which === 2 ? BigInt(MEMORY_BYTES) : 0n),
    module_memory_address: () => BigInt(MEMORY),
    module_dirty_page: (_id: number, index: number) => (index < module.dirty.length ? BigInt(module.dirty[index] * PAGE) : 0xffffffffffffffffn),
    module_globals_save: (_id: number, destination: bigint) => {
      machine.writePhysical(destination, module.globals);
      return module.globals.length;
    },
    module_globals_layout: () => 0x1234,
    module_state_restore: (_id: number, source: bigint, globalsBytes: number, memoryBytes: bigint) => {
      module.restored = {
        globals: Buffer.from(machine.readPhysical(source, globalsBytes)),
        memory: Buffer.from(machine.readPhysical(source + BigInt(globalsBytes), Number(memoryBytes))),
      };
      return 0;
    },
  });
}

function blankImage(): Buffer {
  const image = Buffer.alloc(SECTORS * SECTOR);
  encodeSuperblock("log-test", 1n, BigInt(SECTORS), 0n).copy(image, 0);
  encodeSuperblock("log-test", 2n, BigInt(SECTORS), 0n).copy(image, SECTOR);
  return image;
}

/** Runs COMMITS commits (some of them checkpoints); the journal, the state after each commit, and where each commit's record ended. */
async function record() {
  const { kernel, machine } = await startKernel(undefined, "state_log_under_test");
  const module = { globals: Buffer.alloc(8), dirty: [] as number[] };
  fakeModule(machine, module);
  machine.writePhysical(DISK_BASE, blankImage());
  expect(kernel.setUp(BigInt(SECTORS))).toBe(1);
  kernel.addHandler(BigInt(MEMORY_BYTES));
  kernel.recover();
  const states: State[] = [{ globals: Buffer.alloc(8), memory: Buffer.alloc(MEMORY_BYTES) }];
  const recordEnds: number[] = [0];
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let k = 1; k <= COMMITS; k++) {
    const pages = [Math.floor(random() * 16), Math.floor(random() * 16), 3];
    for (const page of pages) machine.writePhysical(MEMORY + page * PAGE, Buffer.alloc(PAGE, (k * 7 + page) & 0xff));
    module.globals.writeBigUInt64LE(BigInt(k));
    module.dirty = [...pages, pages[0]]; // a page listed twice, as a savepoint lists it
    const before = kernel.journalLength();
    expect(kernel.commit(k % 17 === 0)).toBe(1);
    states.push({ globals: Buffer.from(module.globals), memory: Buffer.from(machine.readPhysical(MEMORY, MEMORY_BYTES)) });
    let flush = before;
    while (kernel.journalCount(flush) !== 0) flush++; // the record's writes come before the commit's first flush
    recordEnds.push(flush);
  }
  const journal = Array.from({ length: kernel.journalLength() }, (_, i) => ({
    sector: Number(kernel.journalSector(i)),
    count: kernel.journalCount(i),
    data: kernel.journalCount(i) === 0 ? Buffer.alloc(0) : Buffer.from(machine.readPhysical(kernel.journalData(i), kernel.journalCount(i) * SECTOR)),
  }));
  return { journal, states, recordEnds };
}

/** A fresh kernel recovering from `image`: the state it restored, if any. */
async function recoverFrom(image: Buffer): Promise<State | undefined> {
  const { kernel, machine } = await startKernel(undefined, "state_log_under_test");
  const module: { globals: Buffer; dirty: number[]; restored?: State } = { globals: Buffer.alloc(8), dirty: [] };
  fakeModule(machine, module);
  machine.writePhysical(DISK_BASE, image);
  expect(kernel.setUp(BigInt(SECTORS))).toBe(1);
  kernel.addHandler(BigInt(MEMORY_BYTES));
  kernel.recover();
  return module.restored;
}

describe("the state log", () => {
  test("recovers, from a power cut at every write and with every write torn, exactly the last commit that reached the disk", async () => {
    const { journal, states, recordEnds } = await record();
    const writes = journal.filter((entry) => entry.count > 0);
    expect(writes.some((entry) => entry.sector < 2), "the log was never compacted (no superblock write)").toBe(true);
    expect(writes.some((entry, i) => i > 0 && entry.sector < writes[i - 1].sector && entry.sector >= 8), "the log never wrapped").toBe(true);
    let checked = 0;
    for (let point = 0; point <= journal.length; point++) {
      for (const torn of [false, true]) {
        if (torn && (point === journal.length || journal[point].count === 0)) continue;
        const image = blankImage();
        for (const entry of journal.slice(0, point)) entry.data.copy(image, entry.sector * SECTOR);
        if (torn) {
          const entry = journal[point];
          const half = entry.count > 1 ? Math.floor(entry.count / 2) * SECTOR : SECTOR / 2; // the rest never reached the disk
          entry.data.subarray(0, half).copy(image, entry.sector * SECTOR);
        }
        let expected = 0;
        while (expected + 1 < recordEnds.length && recordEnds[expected + 1] <= point) expected++;
        const restored = await recoverFrom(image);
        const where = `a cut at journal entry ${point}${torn ? " (torn)" : ""}: expected commit ${expected}`;
        if (expected === 0) expect(restored, where).toBeUndefined();
        else {
          expect(restored?.globals.readBigUInt64LE(), where).toBe(BigInt(expected));
          expect(restored!.memory.equals(states[expected].memory), `${where}: its memory`).toBe(true);
        }
        checked++;
      }
    }
    console.log(`state log: ${checked} crash states checked over ${journal.length} journal entries (${COMMITS} commits)`);
    expect(checked).toBeGreaterThan(2 * COMMITS);
  }, 120_000);
});
