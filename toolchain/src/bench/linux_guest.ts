// The bench's Linux comparison guest: Debian's kernel and busybox, fetched pinned, built once and cached.
//
//   apt-get download <package>=<version> ─► build/linux-guest/debs/   (sha256 checked against the pin)
//   linux-image deb ─ dpkg-deb --fsys-tarfile │ tar ─► vmlinuz (bzImage) ─ XZ payload │ xz -d ─► vmlinux (ELF, PVH)
//   busybox-static deb ─ dpkg-deb --fsys-tarfile │ tar ─► bin/busybox
//   linux/*.c ─ gcc -static ─► bench/<name>;  linux/init.sh ─► /init
//   all of it ─ linux_initramfs.ts ─► initramfs.cpio
//
// The result lives in build/linux-guest/<key>/ where the key hashes the pins, the helpers'
// sources, the init script, the compiler flags and gcc's version: a second `make bench`
// reuses it, and changing any of them builds a new one. Every comparison in `make bench`
// (messaging, networking, storage) boots this one guest. docs/benchmarks.md, "The Linux
// comparison guest", describes it; docs/dependencies.md says why these two packages.
//
// The pins are the versions this machine's apt offered when the guest was built (the
// kernel is the one `linux-image-amd64` depended on). Debian drops superseded versions
// from its mirrors, so when `apt-get download` can no longer find a pin, bump it: the
// version `apt-cache depends linux-image-amd64` names, and the SHA256 `apt-cache show` prints.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkTools, linuxGuestRequirements } from "../build/tools.ts";
import { paths } from "../project.ts";
import { initramfsEntries, writeNewcArchive } from "./linux_initramfs.ts";
import { runTool, runToolBytes } from "./run_tool.ts";

/** A Debian binary package, pinned: what apt-get downloads, what its sha256 must be, the file the guest needs from it. */
export interface PinnedPackage {
  name: string;
  version: string;
  sha256: string;
  /** The one file taken from the package, as dpkg-deb lists it. */
  file: string;
}

export const KERNEL_PACKAGE: PinnedPackage = {
  name: "linux-image-6.1.0-56-amd64",
  version: "6.1.192-2",
  sha256: "a86e2049672f52354c4536a089203b6c82639420424d31c91cf31a181fd4d8f1",
  file: "./boot/vmlinuz-6.1.0-56-amd64",
};

export const BUSYBOX_PACKAGE: PinnedPackage = {
  name: "busybox-static",
  version: "1:1.35.0-4+deb12u1+b1",
  sha256: "3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744",
  file: "./bin/busybox",
};

const SOURCE_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), "linux");
/** The static helpers: bench/<name> in the guest, from linux/<name>.c. */
export const HELPERS = ["marker", "pingpong", "udpecho", "fsyncwriter"] as const;
/**
 * The kernel modules the network and fsync modes load (init.sh), in load order, from the kernel
 * package: Debian builds virtio-pci, virtio-net and virtio-blk as modules. /lib/modules/<name>.ko in the guest.
 */
export const KERNEL_MODULES = [
  "net/core/failover", "drivers/net/net_failover", "drivers/virtio/virtio_ring", "drivers/virtio/virtio",
  "drivers/virtio/virtio_pci_legacy_dev", "drivers/virtio/virtio_pci_modern_dev", "drivers/virtio/virtio_pci", "drivers/net/virtio_net",
  "drivers/block/virtio_blk",
] as const;
/** What busybox httpd serves at /: a JSON document the size of OptiOS's status page. */
export const WEB_INDEX = `{"handlers":[${Array.from({ length: 7 }, (_, index) =>
  `{"name":"handler${index}","runs":1234,"failures":0,"restarts":0,"lastTrap":null,"quarantined":false,"stateBytes":65696}`).join(",")}]}\n`;
const COMPILER_FLAGS = ["-static", "-O2", "-s", "-Wall", "-Wextra", "-Werror"];
/** Magic of an XZ stream (the kernel's scripts/extract-vmlinux looks for the same bytes). */
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const ELF_CLASS_64 = 2;

export const LINUX_GUEST_DIRECTORY = join(paths.build, "linux-guest");

/** What the cache key covers: change any of it and the guest is built again. */
export interface GuestInputs {
  packages: readonly PinnedPackage[];
  /** Helper name → its C source. */
  helperSources: Record<string, string>;
  init: string;
  /** The kernel modules taken from the kernel package, and the web root's index. */
  modules: readonly string[];
  webIndex: string;
  /** linux_initramfs.ts itself: the layout it writes (device nodes, folders) is part of the guest. */
  initramfsWriter: string;
  compilerFlags: readonly string[];
  /** `gcc --version`'s first line. */
  compiler: string;
}

export interface LinuxGuest {
  /** The ELF vmlinux, booted through its PVH note with -kernel. */
  vmlinux: string;
  initramfs: string;
  key: string;
  /** The pinned packages, "name version". */
  packages: string[];
  /** True when this call built it; false when the cache had it. */
  built: boolean;
}

/** The guest's inputs as they are in this checkout. */
export function currentGuestInputs(): GuestInputs {
  return {
    packages: [KERNEL_PACKAGE, BUSYBOX_PACKAGE],
    helperSources: Object.fromEntries(HELPERS.map((name) => [name, readFileSync(join(SOURCE_DIRECTORY, `${name}.c`), "utf8")])),
    init: readFileSync(join(SOURCE_DIRECTORY, "init.sh"), "utf8"),
    modules: KERNEL_MODULES,
    webIndex: WEB_INDEX,
    initramfsWriter: readFileSync(join(dirname(fileURLToPath(import.meta.url)), "linux_initramfs.ts"), "utf8"),
    compilerFlags: COMPILER_FLAGS,
    compiler: runTool("gcc", ["--version"]).split("\n")[0],
  };
}

/** The cache key: sha256 of the inputs as canonical JSON, first 16 hex digits. */
export function guestCacheKey(inputs: GuestInputs): string {
  const canonical = JSON.stringify({
    packages: inputs.packages.map(({ name, version, sha256, file }) => ({ name, version, sha256, file })),
    helperSources: Object.keys(inputs.helperSources).sort().map((name) => [name, inputs.helperSources[name]]),
    init: inputs.init,
    modules: inputs.modules,
    webIndex: inputs.webIndex,
    initramfsWriter: inputs.initramfsWriter,
    compilerFlags: inputs.compilerFlags,
    compiler: inputs.compiler,
  });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

/** The cached guest if there is one, otherwise builds it (downloading the packages it lacks). */
export function prepareLinuxGuest(directory = LINUX_GUEST_DIRECTORY, log: (line: string) => void = () => undefined): LinuxGuest {
  const inputs = currentGuestInputs();
  const key = guestCacheKey(inputs);
  const guestDirectory = join(directory, key);
  const packages = inputs.packages.map((pin) => `${pin.name} ${pin.version}`);
  const guest = { vmlinux: join(guestDirectory, "vmlinux"), initramfs: join(guestDirectory, "initramfs.cpio"), key, packages };
  if (existsSync(guest.vmlinux) && existsSync(guest.initramfs)) return { ...guest, built: false };

  checkTools("linux guest", linuxGuestRequirements);
  log(`linux guest: building ${key} (${packages.join(", ")})`);
  mkdirSync(directory, { recursive: true });
  const staging = mkdtempSync(join(directory, "staging-"));
  try {
    const [kernelDeb, busyboxDeb] = inputs.packages.map((pin) => fetchPackage(pin, join(directory, "debs"), log));
    const vmlinux = extractVmlinux(extractFromPackage(kernelDeb, KERNEL_PACKAGE.file));
    const busybox = extractFromPackage(busyboxDeb, BUSYBOX_PACKAGE.file);
    const helpers = Object.fromEntries(HELPERS.map((name) => [name, compileHelper(name, staging)]));
    const release = KERNEL_PACKAGE.name.replace(/^linux-image-/, "");
    const modules = Object.fromEntries(inputs.modules.map((path) =>
      [path.split("/").pop()!, extractFromPackage(kernelDeb, `./lib/modules/${release}/kernel/${path}.ko`)]));
    writeFileSync(join(staging, "vmlinux"), vmlinux);
    writeFileSync(join(staging, "initramfs.cpio"), writeNewcArchive(initramfsEntries({
      busybox, helpers, init: inputs.init, modules, files: { "www/index.html": Buffer.from(inputs.webIndex) },
    })));
    for (const name of readdirSync(staging)) if (name !== "vmlinux" && name !== "initramfs.cpio") rmSync(join(staging, name), { recursive: true });
    rmSync(guestDirectory, { recursive: true, force: true });
    renameSync(staging, guestDirectory);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { ...guest, built: true };
}

/**
 * The package's .deb in `directory`, downloaded with apt-get when missing or not matching its
 * pin (then checked again). Runs `apt-get update` once, as root, when apt cannot find the pin.
 */
export function fetchPackage(pin: PinnedPackage, directory: string, log: (line: string) => void = () => undefined): string {
  mkdirSync(directory, { recursive: true });
  const deb = join(directory, `${pin.name}_${pin.version.replace(/:/g, "%3a")}_amd64.deb`);
  if (existsSync(deb)) {
    try {
      return verifyPackage(deb, pin);
    } catch (error) {
      log(`linux guest: ${(error as Error).message}; downloading it again`);
      rmSync(deb);
    }
  }
  const download = mkdtempSync(join(directory, "download-"));
  try {
    log(`linux guest: apt-get download ${pin.name}=${pin.version}`);
    downloadWithApt(pin, download);
    const fetched = readdirSync(download).filter((name) => name.endsWith(".deb"));
    if (fetched.length !== 1) throw new Error(`apt-get download ${pin.name}=${pin.version} left ${fetched.length} .deb files, expected 1`);
    renameSync(join(download, fetched[0]), deb);
  } finally {
    rmSync(download, { recursive: true, force: true });
  }
  return verifyPackage(deb, pin);
}

function downloadWithApt(pin: PinnedPackage, directory: string): void {
  const download = () => runTool("apt-get", ["download", "-q", `${pin.name}=${pin.version}`], { cwd: directory });
  try {
    download();
  } catch (first) {
    const root = process.getuid?.() === 0;
    if (!root) throw new Error(`${(first as Error).message}\n(as root, the bench would run apt-get update and try again)`);
    runTool("apt-get", ["update", "-qq"]);
    try {
      download();
    } catch (second) {
      throw new Error(`${(second as Error).message}\nThis machine's apt no longer offers ${pin.name} ${pin.version}: bump the pin in ` +
        `toolchain/src/bench/linux_guest.ts to the version apt-cache offers, with the SHA256 \`apt-cache show\` prints.`);
    }
  }
}

/** Returns `deb` if its sha256 is the pin's; otherwise throws naming the file and both hashes. */
export function verifyPackage(deb: string, pin: PinnedPackage): string {
  const actual = createHash("sha256").update(readFileSync(deb)).digest("hex");
  if (actual !== pin.sha256) {
    throw new Error(`${deb}: sha256 ${actual} does not match the pinned sha256 ${pin.sha256} of ${pin.name} ${pin.version}`);
  }
  return deb;
}

/**
 * The bytes of one file of a .deb's data archive, streamed through tar without unpacking the
 * rest (the kernel package's modules are hundreds of MB).
 */
function extractFromPackage(deb: string, file: string): Buffer {
  return runToolBytes("bash", ["-o", "pipefail", "-c", 'dpkg-deb --fsys-tarfile "$1" | tar -xO "$2"', "extract", deb, file]);
}

/**
 * The ELF vmlinux inside a bzImage: the method of the kernel's scripts/extract-vmlinux, for
 * XZ (Debian's compression): try every place the XZ magic occurs, decompress from there
 * with `xz`, and keep the first result that is a 64-bit ELF.
 */
export function extractVmlinux(bzImage: Buffer): Buffer {
  // xz reads a file, not a pipe: with --single-stream it stops reading after the stream, and
  // a pipe still being written would then fail with EPIPE, now and then.
  const scratch = mkdtempSync(join(tmpdir(), "optios-vmlinux-"));
  const candidate = join(scratch, "payload.xz");
  try {
    for (let at = bzImage.indexOf(XZ_MAGIC); at >= 0; at = bzImage.indexOf(XZ_MAGIC, at + 1)) {
      writeFileSync(candidate, bzImage.subarray(at));
      let output: Buffer;
      try {
        output = runToolBytes("xz", ["--decompress", "--stdout", "--single-stream", "--quiet", candidate]);
      } catch {
        continue; // the magic bytes occurred by chance; the kernel's script tries the next one too
      }
      if (output.subarray(0, 4).equals(ELF_MAGIC) && output[4] === ELF_CLASS_64) return output;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  throw new Error("no XZ-compressed 64-bit ELF found in the kernel image (is it a bzImage with an XZ payload?)");
}

/** Compiles linux/<name>.c as a static executable; returns its bytes. */
function compileHelper(name: string, scratch: string): Buffer {
  const output = join(scratch, name);
  runTool("gcc", [...COMPILER_FLAGS, "-o", output, join(SOURCE_DIRECTORY, `${name}.c`)]);
  return readFileSync(output);
}
