// The bench's Linux comparison guest, without network or QEMU: pins, vmlinux extraction, initramfs, cache key, helpers.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseLinuxGuestOutput, ratio, roundTripRows } from "../../toolchain/src/bench/linux_bench.ts";
import { parseFsyncLine } from "../../toolchain/src/bench/durable_bench.ts";
import {
  BUSYBOX_PACKAGE, currentGuestInputs, extractVmlinux, fetchPackage, guestCacheKey, HELPERS, KERNEL_PACKAGE, prepareLinuxGuest, verifyPackage,
  type GuestInputs, type PinnedPackage,
} from "../../toolchain/src/bench/linux_guest.ts";
import { initramfsEntries, writeNewcArchive } from "../../toolchain/src/bench/linux_initramfs.ts";

const scratch = mkdtempSync(join(tmpdir(), "optios-linux-guest-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");
const xz = (bytes: Buffer): Buffer => execFileSync("xz", ["--compress", "--stdout", "--format=xz"], { input: bytes });

describe("pinned packages", () => {
  const contents = Buffer.from("!<arch>\na package\n");
  const pin: PinnedPackage = { name: "example", version: "1:2.0-1", sha256: sha256(contents), file: "./bin/example" };

  test("a .deb whose sha256 is the pin's passes", () => {
    const deb = join(scratch, "good.deb");
    writeFileSync(deb, contents);
    expect(verifyPackage(deb, pin)).toBe(deb);
  });

  test("a tampered .deb is refused, naming the file and both hashes", () => {
    const deb = join(scratch, "tampered.deb");
    const tampered = Buffer.concat([contents, Buffer.from("x")]);
    writeFileSync(deb, tampered);
    expect(() => verifyPackage(deb, pin)).toThrow(deb);
    expect(() => verifyPackage(deb, pin)).toThrow(sha256(tampered));
    expect(() => verifyPackage(deb, pin)).toThrow(pin.sha256);
  });

  test("a cached .deb matching its pin is used without apt (name: package_version with the epoch's colon as %3a)", () => {
    const directory = join(scratch, "debs");
    const log: string[] = [];
    const cached = join(directory, "example_1%3a2.0-1_amd64.deb");
    execFileSync("mkdir", ["-p", directory]);
    writeFileSync(cached, contents);
    expect(fetchPackage(pin, directory, (line) => log.push(line))).toBe(cached);
    expect(log).toEqual([]);
  });

  describe("downloads, with a fake apt-get on PATH that writes what $FAKE_DEB holds", () => {
    const fakeBin = join(scratch, "fake-bin");
    const originalPath = process.env.PATH;
    beforeAll(() => {
      execFileSync("mkdir", ["-p", fakeBin]);
      // apt-get download NAME=VERSION writes NAME_VERSION_amd64.deb (epoch colon as %3a) into its folder.
      writeFileSync(join(fakeBin, "apt-get"), '#!/bin/sh\n[ "$1" = download ] || exit 0\n' +
        'name=$(printf %s "$3" | sed "s/=/_/; s/:/%3a/")\ncp "$FAKE_DEB" "${name}_amd64.deb"\n');
      chmodSync(join(fakeBin, "apt-get"), 0o755);
      process.env.PATH = `${fakeBin}:${originalPath}`;
    });
    afterAll(() => {
      process.env.PATH = originalPath;
      delete process.env.FAKE_DEB;
    });

    test("a cached .deb that no longer matches is downloaded again", () => {
      const directory = join(scratch, "redownload");
      execFileSync("mkdir", ["-p", directory]);
      writeFileSync(join(directory, "example_1%3a2.0-1_amd64.deb"), "stale");
      process.env.FAKE_DEB = join(scratch, "good.deb");
      writeFileSync(process.env.FAKE_DEB, contents);
      const log: string[] = [];
      const deb = fetchPackage(pin, directory, (line) => log.push(line));
      expect(readFileSync(deb).equals(contents)).toBe(true);
      expect(log.join("\n")).toMatch(/does not match the pinned sha256[\s\S]*apt-get download example=1:2.0-1/);
    });

    test("a download that does not match its pin is refused, naming the file and both hashes", () => {
      const directory = join(scratch, "refused");
      process.env.FAKE_DEB = join(scratch, "evil.deb");
      writeFileSync(process.env.FAKE_DEB, "evil");
      expect(() => fetchPackage(pin, directory)).toThrow(
        `${join(directory, "example_1%3a2.0-1_amd64.deb")}: sha256 ${sha256(Buffer.from("evil"))} does not match the pinned sha256 ${pin.sha256}`);
    });
  });

  test("the pins are exact versions with full sha256 digests", () => {
    for (const package_ of [KERNEL_PACKAGE, BUSYBOX_PACKAGE]) {
      expect(package_.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(package_.version).toMatch(/^[\d:.+~a-z-]+$/);
    }
    expect(KERNEL_PACKAGE.file).toBe(`./boot/vmlinuz-${KERNEL_PACKAGE.name.replace(/^linux-image-/, "")}`);
  });
});

describe("extractVmlinux", () => {
  // A 64-bit ELF header's first bytes, then a body: enough for the check the extraction makes.
  const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(4096, 0x90)]);
  const magic = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

  test("finds the XZ payload after a decoy magic and ignores what follows it", () => {
    const bzImage = Buffer.concat([
      Buffer.alloc(512, 0x55), // the setup header's place
      magic, Buffer.from("not a stream"), // a chance occurrence of the magic: xz fails there, the next one is tried
      Buffer.alloc(100, 0xaa),
      xz(elf),
      Buffer.alloc(333, 0xee), // what follows the payload in a bzImage
    ]);
    expect(extractVmlinux(bzImage).equals(elf)).toBe(true);
  });

  test("refuses an image whose XZ payload is not a 64-bit ELF", () => {
    const thirtyTwoBit = Buffer.from(elf);
    thirtyTwoBit[4] = 1;
    expect(() => extractVmlinux(Buffer.concat([Buffer.alloc(64), xz(thirtyTwoBit)]))).toThrow(/no XZ-compressed 64-bit ELF/);
    expect(() => extractVmlinux(Buffer.alloc(1024, 0x11))).toThrow(/no XZ-compressed 64-bit ELF/);
  });
});

describe("the initramfs", () => {
  const contents = { busybox: Buffer.from("BUSYBOX"), helpers: { pingpong: Buffer.from("PING"), marker: Buffer.from("MARK!") }, init: "#!/bin/sh\necho hi\n" };
  const archive = join(scratch, "initramfs.cpio");
  writeFileSync(archive, writeNewcArchive(initramfsEntries(contents)));
  const cpio = (...args: string[]): string => execFileSync("cpio", ["--quiet", "-i", "-F", archive, ...args], { encoding: "latin1" });

  test("GNU cpio lists its entries: folders, busybox with its applets, the helpers, /dev/console, /init", () => {
    const lines = cpio("-tv", "--numeric-uid-gid").trim().split("\n");
    const entries = lines.map((line) => {
      const fields = line.split(/\s+/);
      return `${fields[0]} ${fields.slice(fields[0].startsWith("c") ? 9 : 8).join(" ")}`;
    });
    expect(entries).toEqual([
      "drwxr-xr-x .",
      "drwxr-xr-x bench",
      "-rwxr-xr-x bench/marker",
      "-rwxr-xr-x bench/pingpong",
      "drwxr-xr-x bin",
      "-rwxr-xr-x bin/busybox",
      "lrwxrwxrwx bin/sh -> busybox",
      "lrwxrwxrwx bin/poweroff -> busybox",
      "drwxr-xr-x dev",
      "crw------- dev/console",
      "crw-rw-rw- dev/null",
      "-rwxr-xr-x init",
    ]);
    expect(lines.find((line) => line.endsWith("dev/console"))).toMatch(/ 0 +0 +5, +1 /);
    expect(lines.find((line) => line.endsWith("dev/null"))).toMatch(/ 0 +0 +1, +3 /);
  });

  test("file contents survive, and the same inputs give the same bytes", () => {
    expect(cpio("--to-stdout", "init")).toBe(contents.init);
    expect(cpio("--to-stdout", "bench/marker")).toBe("MARK!");
    expect(cpio("--to-stdout", "bin/busybox")).toBe("BUSYBOX");
    expect(writeNewcArchive(initramfsEntries(contents)).equals(readFileSync(archive))).toBe(true);
  });
});

describe("the cache key", () => {
  const inputs: GuestInputs = {
    packages: [KERNEL_PACKAGE, BUSYBOX_PACKAGE],
    helperSources: { marker: "int main(void) { return 0; }", pingpong: "int main(void) { return 1; }" },
    init: "#!/bin/sh\n",
    compilerFlags: ["-static"],
    compiler: "gcc (Debian 12.2.0-14) 12.2.0",
  };
  const key = guestCacheKey(inputs);

  test("is stable for the same inputs, whatever order the helpers are listed in", () => {
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(guestCacheKey({ ...inputs, helperSources: { pingpong: inputs.helperSources.pingpong, marker: inputs.helperSources.marker } })).toBe(key);
  });

  test("changes with a pinned version or checksum, a helper's source, the init script, the flags or gcc", () => {
    const changed: GuestInputs[] = [
      { ...inputs, packages: [{ ...KERNEL_PACKAGE, version: "6.1.193-1" }, BUSYBOX_PACKAGE] },
      { ...inputs, packages: [KERNEL_PACKAGE, { ...BUSYBOX_PACKAGE, sha256: "0".repeat(64) }] },
      { ...inputs, helperSources: { ...inputs.helperSources, pingpong: "int main(void) { return 2; }" } },
      { ...inputs, init: "#!/bin/sh\necho\n" },
      { ...inputs, compilerFlags: ["-static", "-O2"] },
      { ...inputs, compiler: "gcc (Debian 13.1.0-1) 13.1.0" },
    ];
    const keys = changed.map(guestCacheKey);
    for (const other of keys) expect(other).not.toBe(key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test("a guest cached under the current key is reused without building or fetching anything", () => {
    const directory = join(scratch, "cache");
    const key = guestCacheKey(currentGuestInputs());
    execFileSync("mkdir", ["-p", join(directory, key)]);
    writeFileSync(join(directory, key, "vmlinux"), "ELF");
    writeFileSync(join(directory, key, "initramfs.cpio"), "CPIO");
    const log: string[] = [];
    const guest = prepareLinuxGuest(directory, (line) => log.push(line));
    expect(guest).toMatchObject({ key, built: false, vmlinux: join(directory, key, "vmlinux"), initramfs: join(directory, key, "initramfs.cpio") });
    expect(guest.packages).toEqual([`${KERNEL_PACKAGE.name} ${KERNEL_PACKAGE.version}`, `${BUSYBOX_PACKAGE.name} ${BUSYBOX_PACKAGE.version}`]);
    expect(log).toEqual([]);
  });

  test("covers this checkout's helpers and init script, which runs each helper from /bench", () => {
    const current = currentGuestInputs();
    expect(Object.keys(current.helperSources).sort()).toEqual([...HELPERS].sort());
    for (const helper of HELPERS) expect(current.init).toMatch(new RegExp(`^\\s*/bench/${helper}\\b`, "m"));
    for (const module of current.modules) expect(current.init).toContain(module.split("/").pop()!);
  });
});

describe("the helpers and their output", () => {
  test("pingpong and marker build with gcc -static and print the lines the bench parses", () => {
    const inputs = currentGuestInputs();
    const run = (name: string, ...args: string[]): string => {
      const binary = join(scratch, name);
      execFileSync("gcc", [...inputs.compilerFlags, "-o", binary, "-x", "c", "-"], { input: inputs.helperSources[name] });
      return execFileSync(binary, args, { encoding: "utf8" });
    };
    const parsed = parseLinuxGuestOutput(run("marker") + run("pingpong", "200"));
    expect(parsed.userspaceTsc).toBeGreaterThan(0);
    expect(parsed.pingPong.roundTrips).toBe(200);
    expect(parsed.pingPong.p99Cycles).toBeGreaterThanOrEqual(parsed.pingPong.p50Cycles);
    expect(parsed.pingPong.p50Cycles).toBeGreaterThan(0);
    expect(parsed.pingPong.tscMegahertz).toBeGreaterThan(0);
  });

  test("fsyncwriter builds with gcc -static, writes and fsyncs a file, and prints the line the durability bench parses", () => {
    const inputs = currentGuestInputs();
    const binary = join(scratch, "fsyncwriter");
    execFileSync("gcc", [...inputs.compilerFlags, "-o", binary, "-x", "c", "-"], { input: inputs.helperSources.fsyncwriter });
    const target = join(scratch, "fsync-target");
    writeFileSync(target, "");
    const figures = parseFsyncLine(execFileSync(binary, [target, "30", "1024"], { encoding: "utf8" }));
    expect(figures.commits).toBe(30);
    expect(figures.p99Cycles).toBeGreaterThanOrEqual(figures.p50Cycles);
    expect(figures.p50Cycles).toBeGreaterThanOrEqual(figures.fsyncP50Cycles);
    expect(statSync(target).size).toBe((20 + 30) * 1024); // the warm-up commits and the timed ones, one after another
    expect(() => execFileSync(binary, [target, "30", "1000"], { stdio: "pipe" })).toThrow(/BYTES a positive multiple of 512/);
  });

  test("a missing line is named", () => {
    expect(() => parseLinuxGuestOutput("linux-guest: userspace at tsc 5\r\n")).toThrow(/no ping-pong line/);
    expect(() => parseLinuxGuestOutput("pingpong: 1 round trips p50 1 p99 1 cycles, mean 1 ns, tsc 1 MHz\n")).toThrow(/no marker line/);
  });

  test("round-trip rows: a figure the handler bench did not report is not compared; ratios are Linux ÷ OptiOS", () => {
    const rows = roundTripRows(100_000, { emptyRunCycles: 25_000, switchRoundTripCycles: 6_000 });
    expect(rows.map(ratio)).toEqual([undefined, 4, 100_000 / 6_000]);
    expect(ratio(roundTripRows(100_000, { callRoundTripCycles: 1_000 })[0])).toBe(100);
  });
});
