// The state log against power cuts at every point (the method of dm-log-writes and CrashMonkey):
// a handler commits again and again on a disk in memory while every write is journaled; then,
// for every point in that journal, and for every write torn in half, the disk a power cut
// there would leave is rebuilt and recovered by a fresh kernel. What it restores must be
// exactly the state of the last commit whose record reached the disk (docs/storage.md). The
// same for files: a run's file records and its state record count together, or not at all.
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

/** A fresh kernel with the disk `image` in memory and the handler tally, its log recovered from the disk. */
async function kernelOn(image: Buffer) {
  const { kernel, machine } = await startKernel(undefined, "state_log_under_test");
  const module: { globals: Buffer; dirty: number[]; restored?: State } = { globals: Buffer.alloc(8), dirty: [] };
  fakeModule(machine, module);
  machine.writePhysical(DISK_BASE, image);
  expect(kernel.setUp(BigInt(SECTORS))).toBe(1);
  kernel.addHandler(BigInt(MEMORY_BYTES));
  kernel.recover();
  return { kernel, machine, module };
}

/** Runs COMMITS commits (some of them checkpoints); the journal, the state after each commit, and where each commit's record ended. */
async function record() {
  const { kernel, machine, module } = await kernelOn(blankImage());
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
    recordEnds.push(flushAfter(kernel, before)); // the record's writes come before the commit's first flush
  }
  return { journal: journalOf(kernel, machine), states, recordEnds };
}

/**
 * Crash images of `journal`: at every point, and with the write at that point torn; `check`
 * gets each with the number of journal entries that reached the disk whole.
 */
async function everyCrash(journal: Array<{ sector: number; count: number; data: Buffer }>, check: (image: Buffer, point: number, where: string) => Promise<void>) {
  let checked = 0;
  for (let point = 0; point <= journal.length; point++) {
    for (const torn of [false, true]) {
      if (torn && (point === journal.length || journal[point].count === 0)) continue;
      const image = blankImage();
      for (const entry of journal.slice(0, point)) entry.data.copy(image, entry.sector * SECTOR);
      let reached = point;
      if (torn) {
        const entry = journal[point];
        const half = entry.count > 1 ? Math.floor(entry.count / 2) * SECTOR : SECTOR / 2; // the rest never reached the disk
        entry.data.subarray(0, half).copy(image, entry.sector * SECTOR);
        // A write whose lost half held what the disk had there already (zeros, say) is whole.
        const start = entry.sector * SECTOR;
        if (image.subarray(start, start + entry.data.length).equals(entry.data)) reached = point + 1;
      }
      await check(image, reached, `a cut at journal entry ${point}${torn ? " (torn)" : ""}`);
      checked++;
    }
  }
  return checked;
}

/** The journal as the test reads it back from the under-test kernel. */
function journalOf(kernel: Awaited<ReturnType<typeof startKernel>>["kernel"], machine: FakeMachine) {
  return Array.from({ length: kernel.journalLength() }, (_, i) => ({
    sector: Number(kernel.journalSector(i)),
    count: kernel.journalCount(i),
    data: kernel.journalCount(i) === 0 ? Buffer.alloc(0) : Buffer.from(machine.readPhysical(kernel.journalData(i), kernel.journalCount(i) * SECTOR)),
  }));
}

/** The first flush at or after journal entry `from`: a commit is durable once it is done. */
function flushAfter(kernel: Awaited<ReturnType<typeof startKernel>>["kernel"], from: number): number {
  let flush = from;
  while (kernel.journalCount(flush) !== 0) flush++;
  return flush;
}

/** A fresh kernel recovering from `image`: the state it restored, if any. */
async function recoverFrom(image: Buffer): Promise<State | undefined> {
  const { kernel, machine, module } = await kernelOn(image);
  return module.restored;
}

describe("the state log", () => {
  test("recovers, from a power cut at every write and with every write torn, exactly the last commit that reached the disk", async () => {
    const { journal, states, recordEnds } = await record();
    const writes = journal.filter((entry) => entry.count > 0);
    expect(writes.some((entry) => entry.sector < 2), "the log was never compacted (no superblock write)").toBe(true);
    expect(writes.some((entry, i) => i > 0 && entry.sector < writes[i - 1].sector && entry.sector >= 8), "the log never wrapped").toBe(true);
    const checked = await everyCrash(journal, async (image, point, where) => {
      let expected = 0;
      while (expected + 1 < recordEnds.length && recordEnds[expected + 1] <= point) expected++;
      const restored = await recoverFrom(image);
      if (expected === 0) expect(restored, `${where}: expected commit 0`).toBeUndefined();
      else {
        expect(restored?.globals.readBigUInt64LE(), `${where}: expected commit ${expected}`).toBe(BigInt(expected));
        expect(restored!.memory.equals(states[expected].memory), `${where}: commit ${expected}'s memory`).toBe(true);
      }
    });
    console.log(`state log: ${checked} crash states checked over ${journal.length} journal entries (${COMMITS} commits)`);
    expect(checked).toBeGreaterThan(2 * COMMITS);
  }, 120_000);

  test("keeps a run's files and its state in one step: after a cut anywhere, every file is exactly as the last durable commit left it", async () => {
    const { journal, commits, globals } = await recordFiles();
    const writes = journal.filter((entry) => entry.count > 0);
    expect(writes.some((entry) => entry.sector < 2), "the log was never compacted (no superblock write)").toBe(true);
    const checked = await everyCrash(journal, async (image, point, where) => {
      let expected = 0;
      while (expected + 1 < commits.length && commits[expected + 1].end <= point) expected++;
      const recovered = await recoverFilesFrom(image);
      const files = commits[expected].files;
      const what = `${where}: expected commit point ${expected}`;
      expect(recovered.count, `${what}: files`).toBe(files.size);
      for (const path of FILE_PATHS) {
        const wanted = files.get(path);
        if (wanted === undefined) expect(recovered.read(path), `${what}: ${path} absent`).toBeNull();
        else expect(recovered.read(path)?.equals(wanted), `${what}: ${path}'s ${wanted.length} bytes`).toBe(true);
      }
      if (commits[expected].globals !== undefined) expect(recovered.globals, `${what}: the state with them`).toBe(commits[expected].globals);
    });
    console.log(`state log with files: ${checked} crash states checked over ${journal.length} journal entries (${globals} handler commits)`);
    expect(checked).toBeGreaterThan(2 * FILE_COMMITS);
  }, 240_000);

  test("does not drop a file whose sectors the disk fails to read while it compacts: the log stops and the file keeps its last version", async () => {
    const { kernel, machine } = await kernelOn(blankImage());
    const change = (path: string, contents: Buffer) => {
      const address = kernel.change(setPath(kernel, path), BigInt(contents.length), 0, 0);
      expect(address, `the change to ${path}`).not.toBe(0n);
      machine.writePhysical(address, contents);
    };
    const kept = Buffer.alloc(1000, 0x5a);
    change("/data/tally/a", kept);
    expect(kernel.commit(false)).toBe(1);
    kernel.failReadsAt(kernel.fileSector(setPath(kernel, "/data/tally/a")) + 1n); // the file's first sector of contents
    // Other commits fill the log until it is compacted, which copies a (and cannot read it).
    let commits = 0;
    for (; commits < 400 && kernel.commit(false) === 1; commits++) change("/data/tally/b", Buffer.alloc(3000, commits & 0xff));
    expect(commits, "the log stops at the compaction that cannot read the file").toBeLessThan(400);
    const recovered = await recoverFilesFrom(Buffer.from(machine.readPhysical(BigInt(DISK_BASE), SECTORS * SECTOR)));
    expect(recovered.read("/data/tally/a")?.equals(kept), "a's last version, after the reboot").toBe(true);
  });
});

const FILE_COMMITS = 40;
const FILE_PATHS = ["/data/tally/a", "/data/tally/b", "/data/tally/c", "/data/shell/p"];

/** Writes `path`'s bytes into the under-test kernel's path buffer; its length. */
function setPath(kernel: Awaited<ReturnType<typeof startKernel>>["kernel"], path: string): number {
  for (let i = 0; i < path.length; i++) kernel.pathByte(i, path.charCodeAt(i));
  return path.length;
}

/**
 * FILE_COMMITS handler commits, each rewriting a, growing b (as an append would), removing or
 * making c now and then, with its state; every 7th followed by a program's write of p. The
 * journal, and each commit point: the files after it, the handler's globals, where it is durable.
 */
async function recordFiles() {
  const { kernel, machine, module } = await kernelOn(blankImage());
  // Memory that is not zeros, so a torn checkpoint differs from the blank disk under it.
  machine.writePhysical(MEMORY, Buffer.alloc(MEMORY_BYTES, 0xa5));
  const files = new Map<string, Buffer>();
  const commits: Array<{ files: Map<string, Buffer>; globals?: bigint; end: number }> = [{ files: new Map(), end: 0 }];
  let globals = 0n;
  const change = (path: string, contents: Buffer | null, program = false) => {
    const address = kernel.change(setPath(kernel, path), BigInt(contents?.length ?? 0), contents === null ? 1 : 0, program ? 1 : 0);
    expect(address, `the change to ${path}`).not.toBe(0n);
    if (contents !== null) machine.writePhysical(address, contents);
    if (contents === null) files.delete(path);
    else files.set(path, contents);
  };
  for (let k = 1; k <= FILE_COMMITS; k++) {
    const before = kernel.journalLength();
    change("/data/tally/a", Buffer.alloc((k * 337) % 3000, k));
    const grown = Buffer.concat([files.get("/data/tally/b") ?? Buffer.alloc(0), Buffer.alloc(100 + k, 0x80 + k)]);
    change("/data/tally/b", grown.length > 6000 ? grown.subarray(grown.length - 500) : grown);
    if (k % 5 === 0 && files.has("/data/tally/c")) change("/data/tally/c", null);
    if (k % 5 === 2) change("/data/tally/c", Buffer.from(`made by commit ${k}`));
    module.globals.writeBigUInt64LE(BigInt(k));
    module.dirty = [k % 16];
    machine.writePhysical(MEMORY + (k % 16) * PAGE, Buffer.alloc(PAGE, k));
    expect(kernel.commit(k % 13 === 0)).toBe(1);
    globals = BigInt(k);
    commits.push({ files: new Map(files), globals, end: flushAfter(kernel, before) });
    if (k % 7 === 0) {
      const programBefore = kernel.journalLength();
      change("/data/shell/p", Buffer.alloc(k * 10, 0x30 + k), true);
      expect(kernel.commitProgram()).toBe(1);
      commits.push({ files: new Map(files), globals, end: flushAfter(kernel, programBefore) });
    }
  }
  return { journal: journalOf(kernel, machine), commits, globals: FILE_COMMITS };
}

/** A fresh kernel recovering from `image`: its files (read back from the disk) and the handler's globals. */
async function recoverFilesFrom(image: Buffer) {
  const { kernel, machine, module } = await kernelOn(image);
  return {
    count: kernel.fileCount(),
    globals: module.restored?.globals.readBigUInt64LE(),
    read(path: string): Buffer | null {
      const length = setPath(kernel, path);
      const size = kernel.fileSize(length);
      if (size < 0n) return null;
      const address = kernel.fileData(length);
      expect(address, `${path} reads back with its checksum`).not.toBe(0n);
      return Buffer.from(machine.readPhysical(address, Number(size)));
    },
  };
}
