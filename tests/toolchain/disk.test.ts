// `optios disk create` and the superblock it writes (toolchain/src/disk.ts; the kernel's side is tests/host/storage.test.ts).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { createDataDisk, encodeSuperblock, parseDiskSize } from "../../toolchain/src/disk.ts";

const directory = mkdtempSync(join(tmpdir(), "optios-disk-test-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe("data disk images", () => {
  test("optios disk create makes a sparse image of the size asked, its first two sectors the labelled superblock", () => {
    const image = join(directory, "data.img");
    const output = execFileSync(process.execPath, ["toolchain/bin/optios.js", "disk", "create", image, "--size", "16M", "--label", "kitchen"], { encoding: "utf8" });
    expect(output).toBe(`made ${image}: an OptiOS data disk of 16M, label "kitchen"\n`);
    expect(statSync(image).size).toBe(16 * 1024 * 1024);
    const bytes = readFileSync(image);
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("ODAT");
    expect(bytes.readBigUInt64LE(8)).toBe(1n); // sequence of copy 0; copy 1 has 2
    expect(bytes.readBigUInt64LE(512 + 8)).toBe(2n);
    expect(bytes.readBigUInt64LE(16)).toBe(32768n); // sectors
    expect(bytes.readBigUInt64LE(32)).toBe(8n); // the state log's tail: its first sector, empty
    expect(bytes.subarray(56, 63).toString()).toBe("kitchen");
    const sector = Buffer.from(bytes.subarray(0, 512));
    const checksum = sector.readUInt32LE(52);
    sector.writeUInt32LE(0, 52);
    expect(crc32(sector)).toBe(checksum);
    expect(bytes.subarray(1024).every((byte) => byte === 0)).toBe(true);
  });

  test("an existing file is never overwritten", () => {
    const image = join(directory, "precious.img");
    writeFileSync(image, "my data");
    expect(() => createDataDisk(image, 1024 * 1024)).toThrow(`${image} exists; not overwriting it (remove it first to start afresh)`);
    expect(readFileSync(image, "utf8")).toBe("my data");
  });

  test.each([
    ["a size that is not whole sectors", 1024 * 1024 + 1, "a data disk is a whole number of 512-byte sectors, at least 1 MiB; got 1048577 bytes"],
    ["a size under 1 MiB", 512 * 1024, "a data disk is a whole number of 512-byte sectors, at least 1 MiB; got 524288 bytes"],
  ])("refuses %s", (_, bytes, message) => {
    const image = join(directory, `refused-${bytes}.img`);
    expect(() => createDataDisk(image, bytes)).toThrow(message);
    expect(existsSync(image)).toBe(false);
  });

  test("labels are 1 to 32 bytes", () => {
    expect(() => encodeSuperblock("", 1n, 2048n, 0n)).toThrow("a data disk's label is 1 to 32 bytes of UTF-8; got 0");
    expect(() => encodeSuperblock("x".repeat(33), 1n, 2048n, 0n)).toThrow("a data disk's label is 1 to 32 bytes of UTF-8; got 33");
  });

  test.each([["64M", 64 * 1024 ** 2], ["64MiB", 64 * 1024 ** 2], ["1G", 1024 ** 3], ["512k", 512 * 1024], ["4096", 4096], ["64 MB", null], ["lots", null]])(
    "size %s", (text, bytes) => expect(parseDiskSize(text)).toBe(bytes));
});
