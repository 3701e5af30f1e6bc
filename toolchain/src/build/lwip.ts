// lwIP, the network stack's TCP/IP (services/network/; docs/network.md), fetched as Debian's source package.
//
//   apt-get source --download-only lwip=<pin> ─► build/deps/lwip/download/   (private apt lists: the
//        system's apt setup is not touched)      orig tarball's sha256 checked against the pin
//   tar -xJf <orig> ─► build/deps/lwip/lwip-2.1.3/                            (then marked verified)
//
// No copy of lwIP's source enters the repository. `make deps` fetches it (`optios deps`), and
// a build that finds it missing fetches it too. The pin names Debian 12's version; the apt
// sources are the system's own mirror and suite (its deb entries), with deb-src added.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BuildError, runCommand } from "./process.ts";
import { checkTools, lwipRequirements } from "./tools.ts";

export const LWIP_PIN = {
  name: "lwip",
  version: "2.1.3+dfsg1-2",
  original: "lwip_2.1.3+dfsg1.orig.tar.xz",
  sha256: "0a8276d09fc4e97bbba2f953d74af2388fc2195ea156be9d7589e297a68fde24",
  directory: "lwip-2.1.3",
} as const;

export const lwipDeps = "build/deps/lwip";
/** The unpacked source tree, relative to the project root. */
export const lwipSource = `${lwipDeps}/${LWIP_PIN.directory}/src`;

/**
 * The parts of lwIP the stack uses: IPv4 with ARP, ICMP, fragments, DHCP and DNS; UDP and
 * TCP; raw IP (the shell's ping); Ethernet. (Not IPv6, PPP, SNMP, AutoIP, IGMP or the sequential APIs.)
 */
export const LWIP_FILES = [
  "core/def.c", "core/dns.c", "core/inet_chksum.c", "core/init.c", "core/ip.c", "core/mem.c", "core/memp.c", "core/netif.c",
  "core/pbuf.c", "core/raw.c", "core/stats.c", "core/tcp.c", "core/tcp_in.c", "core/tcp_out.c", "core/timeouts.c", "core/udp.c",
  "core/ipv4/dhcp.c", "core/ipv4/etharp.c", "core/ipv4/icmp.c", "core/ipv4/ip4.c", "core/ipv4/ip4_addr.c", "core/ipv4/ip4_frag.c",
  "netif/ethernet.c",
].map((file) => `${lwipSource}/${file}`);

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** The system's Debian mirror and suite, from its apt sources (deb822 or one-line). */
export function debianMirror(): { uri: string; suite: string } {
  const deb822 = "/etc/apt/sources.list.d/debian.sources";
  if (existsSync(deb822)) {
    const text = readFileSync(deb822, "utf8");
    const uri = /^URIs:\s*(\S+)/m.exec(text)?.[1];
    const suite = /^Suites:\s*(\S+)/m.exec(text)?.[1];
    if (uri && suite) return { uri, suite };
  }
  const list = "/etc/apt/sources.list";
  if (existsSync(list)) {
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/m.exec(readFileSync(list, "utf8"));
    if (line) return { uri: line[1], suite: line[2] };
  }
  return { uri: "http://deb.debian.org/debian", suite: "bookworm" };
}

async function apt(root: string, state: string, arguments_: string[], cwd: string): Promise<void> {
  const options = [
    "-o", `Dir::Etc::SourceList=${join(state, "sources.list")}`, "-o", "Dir::Etc::SourceParts=/nonexistent",
    "-o", `Dir::State::Lists=${join(state, "lists")}`, "-o", `Dir::Cache=${join(state, "cache")}`, "-o", "APT::Sandbox::User=root",
  ];
  const result = await runCommand(["apt-get", "-q", ...options, ...arguments_], { cwd });
  if (result.status !== 0) {
    throw new BuildError("lwip", `apt-get ${arguments_.join(" ")} failed (status ${result.status}); lwIP's source comes from Debian's ` +
      `source package ${LWIP_PIN.name}=${LWIP_PIN.version}`, ["apt-get", ...arguments_], `${result.stdout}${result.stderr}`);
  }
}

/** lwIP's source, fetched and unpacked when missing; returns the source directory (relative to `root`). */
export async function ensureLwipSource(root: string, log: (line: string) => void = () => {}): Promise<string> {
  const deps = join(root, lwipDeps);
  const verified = join(deps, "verified");
  if (existsSync(join(root, lwipSource, "core", "tcp.c")) && existsSync(verified) && readFileSync(verified, "utf8").trim() === LWIP_PIN.sha256) {
    return lwipSource;
  }
  checkTools("lwip", lwipRequirements);
  const download = join(deps, "download");
  const original = join(download, LWIP_PIN.original);
  if (!existsSync(original) || sha256(original) !== LWIP_PIN.sha256) {
    rmSync(download, { recursive: true, force: true });
    const state = join(deps, "apt");
    mkdirSync(join(state, "lists", "partial"), { recursive: true });
    mkdirSync(join(state, "cache", "archives", "partial"), { recursive: true });
    mkdirSync(download, { recursive: true });
    const { uri, suite } = debianMirror();
    writeFileSync(join(state, "sources.list"), `deb-src ${uri} ${suite} main\n`);
    log(`lwip: apt-get source ${LWIP_PIN.name}=${LWIP_PIN.version} (deb-src ${uri} ${suite})`);
    await apt(root, state, ["update"], download);
    await apt(root, state, ["source", "--download-only", `${LWIP_PIN.name}=${LWIP_PIN.version}`], download);
    if (!existsSync(original)) {
      throw new BuildError("lwip", `apt-get source ${LWIP_PIN.name}=${LWIP_PIN.version} did not leave ${LWIP_PIN.original} ` +
        `(found: ${readdirSync(download).join(", ") || "nothing"})`);
    }
    const found = sha256(original);
    if (found !== LWIP_PIN.sha256) {
      throw new BuildError("lwip", `${original}: sha256 ${found}, expected the pinned ${LWIP_PIN.sha256}; ` +
        `Debian's ${LWIP_PIN.name} ${LWIP_PIN.version} changed, or the download is damaged (toolchain/src/build/lwip.ts)`);
    }
  }
  rmSync(join(deps, LWIP_PIN.directory), { recursive: true, force: true });
  const unpacked = await runCommand(["tar", "-xJf", original, "-C", deps], { cwd: root });
  if (unpacked.status !== 0) throw new BuildError("lwip", `tar could not unpack ${original}`, ["tar", "-xJf", original], unpacked.stderr);
  if (!existsSync(join(root, lwipSource, "core", "tcp.c"))) throw new BuildError("lwip", `${original} has no ${LWIP_PIN.directory}/src/core/tcp.c`);
  writeFileSync(verified, `${LWIP_PIN.sha256}\n`);
  return lwipSource;
}

/** clang's flags for a module written in C: wasm32, freestanding apart from wasi-libc's string functions. */
export function cModuleFlags(includes: string[]): string[] {
  return ["--target=wasm32-wasi", "-isystem", "/usr/include/wasm32-wasi", "-O2", "-Wall", "-Wno-unused-function",
    "-Wno-unused-but-set-variable", ...includes.map((include) => `-I${include}`)];
}

/** wasm-ld's command: no entry point; `handle`, `version` and the memory exported; the memory capped at the module's limit. */
export function cModuleLink(objects: string[], output: string, memoryBytes: number): string[] {
  return ["wasm-ld-14", "--no-entry", "--gc-sections", "--strip-all", "--export=version", "-z", "stack-size=65536",
    `--max-memory=${memoryBytes}`, "-L/usr/lib/wasm32-wasi", "-o", output, ...objects, "-lc"];
}
