// The Linux comparison guest's initramfs: its layout, and a cpio newc writer that needs no root.
//
//   /             directory
//   /bin/busybox  busybox-static's binary
//   /bin/sh       → busybox (a symlink; busybox picks the applet by name)
//   /bin/poweroff → busybox
//   /bench/<name> the static helpers the bench compiles (marker, pingpong, udpecho)
//   /lib/modules/<name>.ko  the kernel modules the network mode loads (virtio-pci, virtio-net)
//   /www/index.html         what busybox httpd serves in the network mode
//   /dev/console  character device 5:1, so /init has a console from its first instruction
//   /dev/null     character device 1:3, a background job's input
//   /init         the shell script toolchain/src/bench/linux/init.sh
//
// The archive is written here rather than by the cpio command because /dev/console is a
// device node: making one on disk for cpio to copy needs root, and CI does not have it.
// Every entry has owner 0:0 and mtime 0, so the same inputs give the same bytes.
// Format (newc): a 110-byte ASCII header ("070701" and 13 eight-digit hex fields), the name
// and its NUL padded to 4 bytes, the data padded to 4 bytes; "TRAILER!!!" ends the archive.

export interface InitramfsEntry {
  /** Path without a leading slash ("bin/busybox"); "." is the root. */
  name: string;
  kind: "directory" | "file" | "symlink" | "character";
  /** Permission bits (0o755). */
  permissions: number;
  /** A file's contents. */
  data?: Buffer;
  /** A symlink's target. */
  target?: string;
  /** A device's major and minor numbers. */
  device?: { major: number; minor: number };
}

/** What goes into the guest: busybox, the helpers by name, and the init script. */
export interface InitramfsContents {
  busybox: Buffer;
  helpers: Record<string, Buffer>;
  init: string;
  /** Module name → the .ko file (lib/modules/<name>.ko). */
  modules?: Record<string, Buffer>;
  /** Other files by path ("www/index.html"), each in a folder of its own that holds nothing else. */
  files?: Record<string, Buffer>;
}

/** The applets /init uses by path; each is a symlink to busybox. */
const APPLETS = ["sh", "poweroff"];
const CONSOLE_DEVICE = { major: 5, minor: 1 };
const NULL_DEVICE = { major: 1, minor: 3 };

const FILE_TYPE = { directory: 0o040000, file: 0o100000, symlink: 0o120000, character: 0o020000 } as const;
const NEWC_MAGIC = "070701";
const TRAILER = "TRAILER!!!";

/** The guest's entries, parents before children, names sorted within each folder. */
export function initramfsEntries(contents: InitramfsContents): InitramfsEntry[] {
  const directory = (name: string): InitramfsEntry => ({ name, kind: "directory", permissions: 0o755 });
  const file = (name: string, data: Buffer): InitramfsEntry => ({ name, kind: "file", permissions: 0o755, data });
  const helperNames = Object.keys(contents.helpers).sort();
  return [
    directory("."),
    directory("bench"),
    ...helperNames.map((name) => file(`bench/${name}`, contents.helpers[name])),
    directory("bin"),
    file("bin/busybox", contents.busybox),
    ...APPLETS.map((applet): InitramfsEntry => ({ name: `bin/${applet}`, kind: "symlink", permissions: 0o777, target: "busybox" })),
    directory("dev"),
    { name: "dev/console", kind: "character", permissions: 0o600, device: CONSOLE_DEVICE },
    // The shell gives a background job (init.sh's network mode) /dev/null as its input.
    { name: "dev/null", kind: "character", permissions: 0o666, device: NULL_DEVICE },
    file("init", Buffer.from(contents.init)),
    ...(contents.modules ? [directory("lib"), directory("lib/modules"),
      ...Object.keys(contents.modules).sort().map((name) => ({ ...file(`lib/modules/${name}.ko`, contents.modules![name]), permissions: 0o644 }))] : []),
    ...Object.keys(contents.files ?? {}).sort().flatMap((path) => [directory(path.split("/")[0]), { ...file(path, contents.files![path]), permissions: 0o644 }]),
  ];
}

/** The entries as one cpio newc archive. */
export function writeNewcArchive(entries: readonly InitramfsEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, index) => parts.push(...newcRecord(entry, index + 1)));
  parts.push(...newcRecord({ name: TRAILER, kind: "file", permissions: 0 }, 0));
  return Buffer.concat(parts);
}

function newcRecord(entry: InitramfsEntry, inode: number): Buffer[] {
  const data = entry.kind === "symlink" ? Buffer.from(entry.target ?? "") : entry.data ?? Buffer.alloc(0);
  const name = Buffer.from(`${entry.name}\0`);
  const mode = entry.name === TRAILER ? 0 : FILE_TYPE[entry.kind] | entry.permissions;
  const fields = [
    inode, mode, 0, 0, entry.kind === "directory" ? 2 : 1, 0, data.length,
    0, 0, entry.device?.major ?? 0, entry.device?.minor ?? 0, name.length, 0,
  ];
  const header = Buffer.from(NEWC_MAGIC + fields.map((field) => field.toString(16).padStart(8, "0")).join(""));
  return [header, name, padding(header.length + name.length), data, padding(data.length)];
}

function padding(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}
