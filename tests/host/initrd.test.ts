// The boot filesystem (kernel/fs/cpio.ts) over archives made by the real `cpio -o -H newc`, and broken ones.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initrdArchive, makeInitrd, renderSystemToml } from "../../toolchain/src/build/initrd.ts";
import { paths, type Project } from "../../toolchain/src/project.ts";
import { loadSystem } from "../../toolchain/src/system/load.ts";
import { startKernel, type KernelUnderTest } from "./fake_machine";

const BASE = 0x2000000;
const FILE = 1;
const DIRECTORY = 2;
const SYMLINK = 3;

const blob = Uint8Array.from({ length: 5000 }, (_, index) => (index * 7919 + (index >> 8)) & 0xff);
const files: Record<string, Uint8Array> = {
  "etc/system.toml": new TextEncoder().encode("[foreground]\nmax = 2\n"),
  "etc/empty": new Uint8Array(0),
  "boot/data/blob.bin": blob,
  "boot/data/odd.txt": new TextEncoder().encode("odd"),
  "usr/share/doc/readme.txt": new TextEncoder().encode("read me\n"),
};

let tree: string;

beforeAll(() => {
  tree = mkdtempSync(join(tmpdir(), "optios-initrd-"));
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(tree, path, ".."), { recursive: true });
    writeFileSync(join(tree, path), bytes);
  }
  chmodSync(join(tree, "etc/system.toml"), 0o640);
  mkdirSync(join(tree, "emptydir"));
  symlinkSync("etc/system.toml", join(tree, "link"));
});

afterAll(() => rmSync(tree, { recursive: true, force: true }));

/** Packs the names `find` prints (run in the tree with `findArguments`), sorted, with the real cpio. */
function pack(findArguments: string[]): Uint8Array {
  const names = execFileSync("find", findArguments, { cwd: tree, encoding: "utf8" })
    .split("\n").filter((name) => name !== "").sort();
  return new Uint8Array(execFileSync("cpio", ["-o", "-H", "newc", "--quiet"], { cwd: tree, input: names.join("\n") + "\n" }));
}

interface Layout { name: string; offset: number; dataOffset: number; size: number }

/** Where each entry of a newc archive starts, the way the format defines it (for expected messages). */
function layout(archive: Uint8Array): Layout[] {
  const text = (start: number, length: number) => Buffer.from(archive.subarray(start, start + length)).toString("latin1");
  const entries: Layout[] = [];
  let offset = 0;
  for (;;) {
    const size = parseInt(text(offset + 54, 8), 16);
    const nameSize = parseInt(text(offset + 94, 8), 16);
    const name = text(offset + 110, nameSize - 1);
    const dataOffset = (offset + 110 + nameSize + 3) & ~3;
    entries.push({ name, offset, dataOffset, size });
    if (name === "TRAILER!!!") return entries;
    offset = (dataOffset + size + 3) & ~3;
  }
}

function entryNamed(archive: Uint8Array, suffix: string): Layout {
  return layout(archive).find((entry) => entry.name === suffix || entry.name.endsWith(`/${suffix}`))!;
}

async function mount(archive: Uint8Array, bytes = archive.length): Promise<{ kernel: KernelUnderTest; mounted: boolean }> {
  const kernel = await startKernel((machine) => machine.writePhysical(BASE, archive), "initrd_under_test");
  const mounted = Boolean(kernel.kernel.initrdMount(BigInt(BASE), BigInt(bytes)));
  return { kernel, mounted };
}

async function mountError(archive: Uint8Array, bytes = archive.length): Promise<string> {
  const { kernel, mounted } = await mount(archive, bytes);
  expect(mounted).toBe(false);
  return kernel.result();
}

function lookup(kernel: KernelUnderTest, path: string): number {
  return kernel.kernel.initrdLookupInput(kernel.input(path)) as number;
}

function children(kernel: KernelUnderTest, path: string): string[] {
  const names: string[] = [];
  for (let child = kernel.kernel.initrdFirstChild(lookup(kernel, path)); child >= 0; child = kernel.kernel.initrdNextSibling(child)) {
    kernel.kernel.initrdName(child);
    names.push(kernel.result());
  }
  return names;
}

/** The entry's bytes, read straight from physical memory through its view (address, size). */
function view(kernel: KernelUnderTest, index: number): Uint8Array {
  return kernel.machine.readPhysical(kernel.kernel.initrdAddress(index), Number(kernel.kernel.initrdSize(index)));
}

function read(kernel: KernelUnderTest, index: number, offset: number, length: number): Uint8Array {
  const count = kernel.kernel.initrdRead(index, BigInt(offset), length) as number;
  return new Uint8Array(kernel.kernel.memory.buffer, kernel.kernel.outputPointer(), count).slice();
}

/** A hand-made newc entry, for what the real tool never writes. */
function newcEntry(name: string, mode: number, data: Uint8Array = new Uint8Array(0), fields: { size?: string; magic?: string } = {}): Uint8Array {
  const hex = (value: number) => value.toString(16).toUpperCase().padStart(8, "0");
  const header = (fields.magic ?? "070701") + hex(1) + hex(mode) + hex(0) + hex(0) + hex(1) + hex(0) +
    (fields.size ?? hex(data.length)) + hex(0) + hex(0) + hex(0) + hex(0) + hex(name.length + 1) + hex(0);
  const head = new TextEncoder().encode(`${header}${name}\0`);
  const out = new Uint8Array(((head.length + 3) & ~3) + ((data.length + 3) & ~3));
  out.set(head);
  out.set(data, (head.length + 3) & ~3);
  return out;
}

function concatenate(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const trailer = () => newcEntry("TRAILER!!!", 0);

describe("an archive made by cpio -o -H newc", () => {
  for (const [label, findArguments, rootNames] of [
    ["names from `find .` (\".\" and \"./\" prefixes)", ["."], ["boot", "emptydir", "etc", "link", "usr"]],
    ["names without a prefix", ["etc", "boot", "usr", "emptydir", "link"], ["boot", "emptydir", "etc", "link", "usr"]],
    // Without directory entries the empty directory is gone and the others are implied by their files.
    ["files and symlinks only (directories implied)", [".", "-type", "f", "-o", "-type", "l"], ["boot", "etc", "link", "usr"]],
  ] as const) {
    test(`${label}: lookups, listings, sizes and contents byte for byte`, async () => {
      const archive = pack([...findArguments]);
      const { kernel, mounted } = await mount(archive);
      expect(kernel.result()).toBe("");
      expect(mounted).toBe(true);

      for (const [path, bytes] of Object.entries(files)) {
        const index = lookup(kernel, `/${path}`);
        expect(index, path).toBeGreaterThan(0);
        expect(lookup(kernel, path)).toBe(index);
        expect(lookup(kernel, `./${path}`)).toBe(index);
        expect(kernel.kernel.initrdKind(index)).toBe(FILE);
        expect(Number(kernel.kernel.initrdSize(index))).toBe(bytes.length);
        // Zero-copy: the view is the data's place inside the archive itself.
        expect(Number(kernel.kernel.initrdAddress(index))).toBe(BASE + entryNamed(archive, path).dataOffset);
        expect(view(kernel, index)).toEqual(bytes);
        expect(read(kernel, index, 0, 65536)).toEqual(bytes);
        kernel.kernel.initrdPath(index);
        expect(kernel.result()).toBe(path);
      }
      expect(kernel.kernel.initrdPermissions(lookup(kernel, "etc/system.toml"))).toBe(0o640);

      expect(children(kernel, "/")).toEqual(rootNames);
      expect(children(kernel, "etc")).toEqual(["empty", "system.toml"]);
      expect(children(kernel, "/boot/")).toEqual(["data"]);
      expect(children(kernel, "boot/data")).toEqual(["blob.bin", "odd.txt"]);
      expect(children(kernel, "usr/share")).toEqual(["doc"]);
      expect(children(kernel, "etc/empty")).toEqual([]);
      for (const directory of ["", "/", ".", "etc", "usr/share/doc", "boot/data"]) {
        expect(kernel.kernel.initrdKind(lookup(kernel, directory)), directory).toBe(DIRECTORY);
        expect(kernel.kernel.initrdSize(lookup(kernel, directory))).toBe(0n);
      }

      const link = lookup(kernel, "/link");
      expect(kernel.kernel.initrdKind(link)).toBe(SYMLINK);
      expect(new TextDecoder().decode(view(kernel, link))).toBe("etc/system.toml");
      expect(kernel.kernel.initrdSkipped()).toBe(0);
    });
  }

  test("path forms: doubled slashes, '.', '..' (the root's parent is the root), trailing slash", async () => {
    const { kernel } = await mount(pack(["."]));
    const readme = lookup(kernel, "usr/share/doc/readme.txt");
    for (const path of ["usr//share/doc/readme.txt", "/usr/./share/doc/readme.txt", "usr/share/../share/doc/readme.txt",
      "/../usr/share/doc/readme.txt", "./usr/share/doc/readme.txt/"]) {
      expect(lookup(kernel, path), path).toBe(readme);
    }
    for (const path of ["usr/share/doc/missing", "etc/system.toml/x", "etcetera", "et", "link/x"]) {
      expect(lookup(kernel, path), path).toBe(-1);
    }
    expect(lookup(kernel, "/")).toBe(0);
    expect(kernel.kernel.initrdParent(lookup(kernel, "etc"))).toBe(0);
  });

  test("read copies a range into a kernel buffer, clipped at the end of the file", async () => {
    const { kernel } = await mount(pack(["."]));
    const index = lookup(kernel, "boot/data/blob.bin");
    expect(read(kernel, index, 4000, 100)).toEqual(blob.subarray(4000, 4100));
    expect(read(kernel, index, 4990, 100)).toEqual(blob.subarray(4990));
    expect(read(kernel, index, 5000, 100)).toEqual(new Uint8Array(0));
    expect(read(kernel, lookup(kernel, "etc/empty"), 0, 10)).toEqual(new Uint8Array(0));
    expect(read(kernel, lookup(kernel, "etc"), 0, 10)).toEqual(new Uint8Array(0));
  });

  test("lookups allocate nothing (the index is built once, at mount)", async () => {
    const { kernel } = await mount(pack(["."]));
    const path = "/usr/share/../share/doc/readme.txt";
    expect(kernel.kernel.initrdLookupAllocatedBytes(kernel.input(path), 1000)).toBe(0n);
  });
});

describe("a malformed archive is refused with what is wrong and where", () => {
  test("truncated inside the first header, inside a name, inside data, and before the trailer", async () => {
    const archive = pack(["."]);
    const entries = layout(archive);
    const [first, second] = entries;
    const blobEntry = entryNamed(archive, "blob.bin");
    const trailerEntry = entries[entries.length - 1];
    expect(await mountError(archive, 50)).toBe("initrd: entry 0 at offset 0: its 110-byte header runs past the end of the 50-byte archive");
    expect(first.name).toBe(".");
    expect(await mountError(archive, 111)).toBe("initrd: entry 0 at offset 0: its 2-byte name runs past the end of the 111-byte archive");
    expect(await mountError(archive, second.offset + 60)).toBe(
      `initrd: entry 1 at offset ${second.offset}: its 110-byte header runs past the end of the ${second.offset + 60}-byte archive`);
    const cut = blobEntry.dataOffset + 1000;
    expect(await mountError(archive, cut)).toBe(
      `initrd: entry '${blobEntry.name}' at offset ${blobEntry.offset}: size 5000 runs past the end of the ${cut}-byte archive`);
    expect(await mountError(archive, trailerEntry.offset)).toBe(
      `initrd: no TRAILER!!! entry before the end of the ${trailerEntry.offset}-byte archive`);
    expect(await mountError(archive, 0)).toBe("initrd: the archive is empty (0 bytes)");
  });

  test("an archive that is not newc names the format it is in, or its first bytes", async () => {
    const packAs = (format: string) => new Uint8Array(execFileSync("cpio", ["-o", "-H", format, "--quiet"], { cwd: tree, input: "etc\netc/system.toml\n" }));
    const only = "; only the newc format is read (magic 070701, cpio -H newc)";
    expect(await mountError(packAs("odc"))).toBe(`initrd: an old portable cpio archive (magic 070707, cpio -H odc)${only}`);
    expect(await mountError(packAs("crc"))).toBe(`initrd: a newc archive with checksums (magic 070702, cpio -H crc)${only}`);
    expect(await mountError(packAs("bin"))).toBe(`initrd: an old binary cpio archive (cpio -H bin)${only}`);
    const gzipped = new Uint8Array(execFileSync("gzip", ["-c"], { input: pack(["."]) }));
    expect(await mountError(gzipped)).toBe("initrd: a gzip-compressed file; the initrd must be an uncompressed cpio newc archive (magic 070701)");
    const garbage = Uint8Array.from({ length: 4096 }, (_, index) => (index * 131 + 0x59) & 0xff);
    expect(await mountError(garbage)).toBe(
      "initrd: not a cpio archive: it starts with the bytes 59 dc 5f e2 65 e8 ('Y?_?e?'), expected the newc magic 070701");
  });

  test("a damaged archive keeps the entries read before the damage (the boot filesystem mounts them for a safe system)", async () => {
    const archive = pack(["."]);
    const entry = entryNamed(archive, "etc/system.toml");
    const { kernel, mounted } = await mount(archive, entry.dataOffset + 2);
    expect(mounted).toBe(false);
    expect(kernel.result()).toMatch(/^initrd: entry '(\.\/)?etc\/system\.toml' at offset \d+: size \d+ runs past the end/);
    const before = layout(archive).filter((each) => each.offset < entry.offset && each.name !== "." && each.name !== "TRAILER!!!").length;
    expect(kernel.kernel.initrdEntryCount()).toBeGreaterThanOrEqual(before); // the root and implied folders too
    expect(kernel.kernel.initrdLookupInput(kernel.input("etc"))).toBeGreaterThan(0);
    expect(kernel.kernel.initrdLookupInput(kernel.input("etc/system.toml"))).toBe(-1);
  });

  test("a corrupted magic names the entry's number and offset", async () => {
    const archive = pack(["."]);
    const third = layout(archive)[3];
    archive[third.offset + 5] = "X".charCodeAt(0);
    expect(await mountError(archive)).toBe(`initrd: entry 3 at offset ${third.offset}: bad magic '07070X', expected 070701`);
    archive.set(new TextEncoder().encode("\x1fPK"), third.offset);
    expect(await mountError(archive)).toBe(`initrd: entry 3 at offset ${third.offset}: bad magic '?PK70X', expected 070701`);
  });

  test("a size field that runs past the end, and one that is not hex", async () => {
    const archive = pack(["."]);
    const entry = entryNamed(archive, "etc/system.toml");
    const number = layout(archive).findIndex((each) => each.offset === entry.offset);
    archive.set(new TextEncoder().encode("00100000"), entry.offset + 54);
    expect(await mountError(archive)).toBe(
      `initrd: entry '${entry.name}' at offset ${entry.offset}: size 1048576 runs past the end of the ${archive.length}-byte archive`);
    archive.set(new TextEncoder().encode("0000001g"), entry.offset + 54);
    expect(await mountError(archive)).toBe(
      `initrd: entry ${number} at offset ${entry.offset}: field filesize is '0000001g', expected 8 hex digits`);
  });

  test("names: empty, too long, not NUL-terminated, climbing out with '..'", async () => {
    const empty = newcEntry("", 0o100644);
    expect(await mountError(concatenate(empty, trailer()))).toBe(
      "initrd: entry 0 at offset 0: name size 1, expected 2 to 257 (the name and its NUL; INITRD_PATH_MAX_BYTES)");
    expect(await mountError(concatenate(newcEntry("x".repeat(300), 0o100644), trailer()))).toBe(
      "initrd: entry 0 at offset 0: name size 301, expected 2 to 257 (the name and its NUL; INITRD_PATH_MAX_BYTES)");
    const unterminated = newcEntry("abc", 0o100644);
    unterminated[113] = 0x41;
    expect(await mountError(concatenate(unterminated, trailer()))).toBe("initrd: entry 0 at offset 0: its name does not end in a NUL byte");
    expect(await mountError(concatenate(newcEntry("../etc/passwd", 0o100644), trailer()))).toBe(
      "initrd: entry '../etc/passwd' at offset 0: its name climbs out of the root with '..'");
  });

  test("a file where a directory is needed, and the other way round", async () => {
    const file = newcEntry("etc", 0o100644, new TextEncoder().encode("x"));
    const below = newcEntry("etc/system.toml", 0o100644);
    expect(await mountError(concatenate(file, below, trailer()))).toBe(
      `initrd: entry 'etc/system.toml' at offset ${file.length}: 'etc' is a file, not a directory`);
    const directory = newcEntry("etc", 0o040755);
    expect(await mountError(concatenate(below, file, trailer()))).toBe(
      `initrd: entry 'etc' at offset ${below.length}: 'etc' is already a directory, this entry is a file`);
    expect((await mount(concatenate(below, directory, trailer()))).mounted).toBe(true);
  });

  test("an archive beyond the identity map is refused before it is touched", async () => {
    const { kernel, mounted } = await startKernel(undefined, "initrd_under_test").then(async (kernel) =>
      ({ kernel, mounted: Boolean(kernel.kernel.initrdMount(0xffff0000n, 0x20000n)) }));
    expect(mounted).toBe(false);
    expect(kernel.result()).toBe("initrd: the 131072-byte archive at 0xffff0000 ends past the identity-mapped first 4 GiB");
  });
});

describe("what is kept", () => {
  test("devices, FIFOs and sockets are skipped and counted; a later entry of the same file wins", async () => {
    const archive = concatenate(
      newcEntry("dev/console", 0o020600),
      newcEntry("dev/fifo", 0o010644),
      newcEntry("etc/motd", 0o100644, new TextEncoder().encode("old")),
      newcEntry("etc/motd", 0o100600, new TextEncoder().encode("newer")),
      trailer(),
      new Uint8Array(512), // cpio pads to 512-byte blocks; bytes after the trailer are ignored
    );
    const { kernel, mounted } = await mount(archive);
    expect(mounted).toBe(true);
    expect(kernel.kernel.initrdSkipped()).toBe(2);
    expect(lookup(kernel, "dev/console")).toBe(-1);
    expect(children(kernel, "/")).toEqual(["etc"]);
    const motd = lookup(kernel, "etc/motd");
    expect(new TextDecoder().decode(view(kernel, motd))).toBe("newer");
    expect(kernel.kernel.initrdPermissions(motd)).toBe(0o600);
  });

  test("more entries than INITRD_ENTRIES_MAX is refused naming the limit", async () => {
    const many = Array.from({ length: 1024 }, (_, index) => newcEntry(`f${index}`, 0o100644));
    const archive = concatenate(...many, trailer());
    const offset = many.slice(0, 1023).reduce((total, part) => total + part.length, 0);
    expect(await mountError(archive)).toBe(
      `initrd: entry 'f1023' at offset ${offset}: more than 1024 entries (INITRD_ENTRIES_MAX, implied directories included)`);
  });
});

describe("the initrd the build makes", () => {
  test("mounts; /etc/system.toml (the resolved system), /etc/system.json and the programs in /bin read back as written", async () => {
    const root = mkdtempSync(join(tmpdir(), "optios-initrd-build-"));
    try {
      const systemPath = resolve(paths.system);
      const project: Project = { root, version: "0.1.0", kernelMaximumMemoryPages: 32, sourceDateEpoch: 1704067200,
        systemFile: relative(root, systemPath), kernelArguments: "", testKernel: false };
      const system = await loadSystem(systemPath);
      // Stand-ins for what the programs step builds: the initrd carries each as /bin/<name>.
      mkdirSync(join(root, paths.programModules), { recursive: true });
      for (const program of system.config.programs) writeFileSync(join(root, paths.programModules, `${program.name}.module`), `module ${program.name}`);
      await makeInitrd(project, system);
      const { kernel, mounted } = await mount(new Uint8Array(readFileSync(join(root, initrdArchive))));
      expect(kernel.result()).toBe("");
      expect(mounted).toBe(true);
      expect(children(kernel, "/")).toEqual(["bin", "etc"]);
      expect(children(kernel, "/bin")).toEqual(system.config.programs.map((program) => program.name).sort());
      expect(new TextDecoder().decode(view(kernel, lookup(kernel, "/bin/shell")))).toBe("module shell");
      expect(children(kernel, "/etc")).toEqual(["system.descriptor", "system.json", "system.toml"]);
      expect(new TextDecoder().decode(view(kernel, lookup(kernel, "/etc/system.toml")))).toBe(renderSystemToml(system, project.systemFile));
      expect(new TextDecoder().decode(view(kernel, lookup(kernel, "/etc/system.json")))).toBe(system.canonicalJson);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
