// The store: layout, immutability, dedup by hard links, atomic writes under SIGKILL, verify.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { blake3Hex, canonicalListing } from "../../../toolchain/src/store/hash.ts";
import { Store } from "../../../toolchain/src/store/store.ts";
import { verifyStore } from "../../../toolchain/src/store/verify.ts";
import { temporaryStore, textFiles } from "./helpers.ts";

describe("hashing", () => {
  it("is BLAKE3 (the reference test vector for empty input)", async () => {
    expect(await blake3Hex("")).toBe("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
  });
  it("lists files sorted by path with their modes", () => {
    expect(canonicalListing([{ path: "b", executable: true, hash: "22" }, { path: "a", executable: false, hash: "11" }])).toBe("0444 11 a\n0555 22 b\n");
  });
});

describe("entries", () => {
  it("are stored at ab/cd/<hash>-<name>, read-only, and found again instead of rewritten", async () => {
    const store = await temporaryStore();
    const entry = await store.addEntry("kernel", [{ path: "kernel.elf", content: "ELF" }, { path: "bin/tool", content: "#!", executable: true }]);
    expect(entry.path).toBe(`${entry.hash.slice(0, 2)}/${entry.hash.slice(2, 4)}/${entry.hash}-kernel`);
    const folder = store.absolutePath(entry.path);
    expect(statSync(folder).mode & 0o777).toBe(0o555);
    expect(statSync(join(folder, "bin")).mode & 0o777).toBe(0o555);
    expect(statSync(join(folder, "kernel.elf")).mode & 0o777).toBe(0o444);
    expect(statSync(join(folder, "bin/tool")).mode & 0o777).toBe(0o555);
    expect(entry.written).toBe(true);
    const again = await store.addEntry("kernel", [{ path: "bin/tool", content: "#!", executable: true }, { path: "kernel.elf", content: "ELF" }]);
    expect(again).toEqual({ ...entry, written: false });
    expect(store.entry(entry.path)).toMatchObject({ hash: entry.hash, name: "kernel", size: 5, refcount: 0 });
    store.close();
  });

  it("hash differently when a mode differs", async () => {
    const store = await temporaryStore();
    const plain = await store.addEntry("x", [{ path: "f", content: "same" }]);
    const executable = await store.addEntry("x", [{ path: "f", content: "same", executable: true }]);
    expect(executable.hash).not.toBe(plain.hash);
    store.close();
  });

  it("store an identical file once: one inode in two entries", async () => {
    const store = await temporaryStore();
    const first = await store.addEntry("first", textFiles({ "shared.bin": "the same bytes", "own.txt": "one" }));
    const second = await store.addEntry("second", textFiles({ "copy/shared.bin": "the same bytes", "own.txt": "two" }));
    const one = statSync(join(store.absolutePath(first.path), "shared.bin"));
    const two = statSync(join(store.absolutePath(second.path), "copy/shared.bin"));
    expect(two.ino).toBe(one.ino);
    expect(one.nlink).toBe(3); // two entries and the pool
    store.close();
  });

  it("refuse unsafe file paths and names", async () => {
    const store = await temporaryStore();
    await expect(store.addEntry("x", textFiles({ "../escape": "" }))).rejects.toThrow("expected a relative path without '.' or '..' parts");
    await expect(store.addEntry(".hidden", textFiles({ a: "" }))).rejects.toThrow("entry name '.hidden'");
    store.close();
  });
});

describe("atomic writes", () => {
  it("leave no partial entry when the writer is killed mid-write, and the next open clears .tmp", async () => {
    const store = await temporaryStore();
    await store.addEntry("before", textFiles({ "a.txt": "kept" }));
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "write_entry_child.ts"), store.root], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("writing")) resolve();
      });
      child.on("exit", () => reject(new Error(`child exited before the write was under way: ${output}`)));
    });
    const exited = new Promise((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    expect(output).not.toContain("finished");
    expect(readdirSync(join(store.root, ".tmp")).length).toBe(1); // the crash's garbage, invisible to readers
    const names = readdirSync(store.root).filter((name) => /^[0-9a-f]{2}$/.test(name)).flatMap((first) =>
      readdirSync(join(store.root, first)).flatMap((second) => readdirSync(join(store.root, first, second))));
    expect(names.filter((name) => name.endsWith("-big"))).toEqual([]);
    store.close();
    const reopened = await Store.open(store.root);
    expect(readdirSync(join(store.root, ".tmp"))).toEqual([]);
    expect((await verifyStore(reopened)).problems).toEqual([]);
    reopened.close();
  });
});

describe("store verify", () => {
  it("reports nothing for an intact store and names a tampered file", async () => {
    const store = await temporaryStore();
    const entry = await store.addEntry("module", textFiles({ "heartbeat.module": "code", "README": "text" }));
    expect(await verifyStore(store)).toEqual({ entriesChecked: 1, filesChecked: 2, problems: [] });
    const file = join(store.absolutePath(entry.path), "heartbeat.module");
    chmodSync(file, 0o644);
    writeFileSync(file, "evil");
    const { problems } = await verifyStore(store);
    expect(problems.map((problem) => problem.path)).toEqual([`${entry.path}/heartbeat.module`, `${entry.path}/heartbeat.module`, entry.path]);
    expect(problems[0].problem).toMatch(/^content changed: hash [0-9a-f]{64}, expected [0-9a-f]{64}$/);
    expect(problems[1].problem).toBe("mode 644, expected 444 or 555 (entries are read-only)");
    expect(problems[2].problem).toMatch(/^entry hash [0-9a-f]{64} does not match its name/);
    store.close();
  });

  it("reports an entry folder the metadata does not know", async () => {
    const store = await temporaryStore();
    const entry = await store.addEntry("module", textFiles({ a: "a" }));
    store.metadata.prepare("DELETE FROM entries").run();
    expect((await verifyStore(store)).problems).toEqual([{ path: entry.path, problem: "untracked: not recorded in the metadata (left by an interrupted write?)" }]);
    expect(existsSync(store.absolutePath(entry.path))).toBe(true);
    store.close();
  });
});
