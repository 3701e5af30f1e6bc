// `make bench`'s network figures: UDP echo and HTTP from the host, OptiOS beside Linux in the same QEMU.
//
// Both guests get the same NIC: QEMU's user network with a virtio-net card and forwards from
// 127.0.0.1 to their ports 7 (UDP echo) and 80 (HTTP). OptiOS boots the default system (the
// echo handler and the status page, with lwIP as the stack); Linux is the bench's comparison
// guest with `optios_bench=network` (linux/init.sh: virtio-net loaded, a static UDP echo
// server, busybox httpd serving a JSON file of the status page's size). For each, in turn:
//
//   - UDP echo round trip from the host: ROUND_TRIPS datagrams of 32 bytes, one at a time;
//     p50 and p99 in microseconds (host clock: QEMU's user network is part of the path);
//   - the same echo with the bench as the guest's wire (QEMU's socket netdev over UDP on
//     127.0.0.1; the bench builds the frames and answers ARP, wire.toml gives OptiOS a static
//     address): QEMU's user network out of the path, after both guests' other figures;
//   - the highest datagram rate answered without loss: one-second bursts at doubling rates until
//     one loses, then bisected to RATE_RESOLUTION between the last rate answered in full and it;
//   - HTTP: autocannon (npm) against GET / for HTTP_SECONDS with HTTP_CONNECTIONS connections,
//     for requests a second; then HTTP_LATENCY_REQUESTS GETs one at a time, each on a new
//     connection as both servers close theirs after a response, for the latency (connect →
//     whole response, µs). autocannon's own latency is not used: with servers that close
//     after each response it counts time across its reconnects (a Node server on 127.0.0.1
//     answering at once read as p50 699 ms at 8,975 requests a second over 8 connections);
//   - OptiOS only: the guest's own share, TSC cycles from a frame's arrival at the kernel to
//     the answer handed to the card (the shell's `net` keeps the last 1,024), so the round trip
//     can be split into OptiOS's part and QEMU's;
//   - OptiOS only, what networking costs: the stack's module (bytes, and gzipped as on the
//     ISO), the kernel's networking code (its share of the kernel's wasm code, by function
//     names from an `asc --debug` build, applied to the ELF's text), and memory with the stack
//     idle (the stack's state from the status page; the card's rings and buffers: the shell's
//     `mem` with the card, less without one).
// Traffic goes only to 127.0.0.1.
import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { get } from "node:http";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import autocannon from "autocannon";
import { buildSystemInScratch } from "../build/scratch.ts";
import { defaultKernelArguments, paths } from "../project.ts";
import { userNetwork } from "../qemu.ts";
import { LINUX_COMMAND_LINE, COMPARISON_MEMORY } from "./linux_bench.ts";
import { prepareLinuxGuest } from "./linux_guest.ts";
import { frameBuilder, openWire, type WireLink } from "./frames.ts";
import { startMachine, type Machine, type MachineOptions } from "./machine.ts";
import { BOOT_TIMEOUT_MILLISECONDS, SHELL_PROMPT } from "./measure.ts";
import { formatBytes, formatNumber, formatTable } from "./report.ts";
import { codeShare } from "./wasm_functions.ts";

const ROUND_TRIPS = 10_000;
const WARM_UP_ROUND_TRIPS = 200;
const FIRST_ANSWER_MILLISECONDS = 30_000;
/** Rates tried in turn (datagrams a second) until one loses; then bisected to RATE_RESOLUTION between the last two. */
const RATES = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000];
const RATE_RESOLUTION = 1_000;
const HTTP_SECONDS = 10;
const HTTP_CONNECTIONS = 8;
const HTTP_LATENCY_REQUESTS = 500;
const OPTIOS_READY = /net: eth0: 10\.0\.2\.15\/24 \(DHCP\)/;
const OPTIOS_WIRE_READY = /net: eth0: 10\.0\.2\.15\/24 \(static\)/;
/** The default system with a static address, for the wire round trip (no DHCP on that wire). */
const WIRE_SYSTEM = "toolchain/src/bench/wire.toml";
const WIRE_BUILD_TIMEOUT_MILLISECONDS = 600_000;
const LINUX_READY = /^linux-guest: network ready\r?$/m;

export interface NetworkSide {
  udpP50Microseconds: number;
  udpP99Microseconds: number;
  udpLost: number;
  /** The highest rate answered in full, datagrams a second (RATES, then bisected: highestLossFreeRate); 0 if none was. */
  lossFreeRate: number;
  httpRequestsPerSecond: number;
  /** GET / one at a time, a new connection each: connect → whole response, µs. */
  httpP50Microseconds: number;
  httpP99Microseconds: number;
  httpErrors: number;
  /** UDP echo with the bench as the wire (a socket netdev, no user network): p50 and p99, µs. */
  wireP50Microseconds?: number;
  wireP99Microseconds?: number;
}

/** What networking costs OptiOS in bytes: on the ISO, in the kernel, in memory with the stack idle. */
export interface NetworkCost {
  stackModuleBytes: number;
  stackModuleGzippedBytes: number;
  /** The kernel's networking code (kernel/net/, gate/net_calls.ts) and all its code, bytes of wasm function bodies. */
  kernelNetworkWasmBytes: number;
  kernelWasmCodeBytes: number;
  /** The ELF's text scaled by that share. */
  kernelNetworkTextBytes?: number;
  /** The stack's state (its linear memory and globals), as the status page reports it after DHCP. */
  stackStateBytes?: number;
  /** Pages in use with the card (rings, buffers, the stack's queue) less without one, after DHCP, bytes. */
  cardBytes?: number;
}

export interface NetworkFigures {
  optios: NetworkSide;
  cost?: NetworkCost;
  /** OptiOS: frame received → answer handed to the card, p50, TSC cycles. */
  guestShareCycles?: number;
  linux?: NetworkSide;
  linuxProblem?: string;
}

/** A port on 127.0.0.1 that nothing uses now (TCP and UDP both); the network tests use it too. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

/**
 * `count` exchanges, one at a time: `send` starts one, and its answer calls `answers.next`.
 * Each round trip in microseconds, and how many got no answer within 1 s.
 */
async function timeRoundTrips(count: number, send: () => void, answers: { next?: () => void }): Promise<{ microseconds: number[]; lost: number }> {
  const microseconds: number[] = [];
  let lost = 0;
  for (let i = 0; i < count; i++) {
    const answered = await new Promise<number | null>((resolve) => {
      const start = process.hrtime.bigint();
      const timer = setTimeout(() => {
        answers.next = undefined;
        resolve(null);
      }, 1000);
      answers.next = () => {
        clearTimeout(timer);
        answers.next = undefined;
        resolve(Number(process.hrtime.bigint() - start) / 1000);
      };
      send();
    });
    if (answered === null) lost++;
    else microseconds.push(answered);
  }
  return { microseconds, lost };
}

/** `count` datagrams to 127.0.0.1:port, one at a time; each round trip in microseconds, and how many got no answer within 1 s. */
async function udpRoundTrips(port: number, count: number): Promise<{ microseconds: number[]; lost: number }> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const payload = Buffer.alloc(32, 0x61);
  const answers: { next?: () => void } = {};
  socket.on("message", () => answers.next?.());
  try {
    return await timeRoundTrips(count, () => socket.send(payload, port, "127.0.0.1"), answers);
  } finally {
    socket.close();
  }
}

/** Datagrams at `rate` a second for one second; how many came back within a second after. */
async function udpBurst(port: number, rate: number): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  let answers = 0;
  socket.on("message", () => answers++);
  const payload = Buffer.alloc(32, 0x62);
  const start = Date.now();
  for (let sent = 0; sent < rate; sent++) {
    const due = start + (sent * 1000) / rate;
    while (Date.now() < due) await new Promise((resolve) => setImmediate(resolve));
    socket.send(payload, port, "127.0.0.1");
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  socket.close();
  return answers;
}

/**
 * The highest rate `answersAll` passes: RATES in turn until one fails, then halving the gap
 * between the last rate passed and the first failed until it is at most RATE_RESOLUTION
 * (rounded to it). 0 if the first rate fails; the last of RATES if none does.
 */
export async function highestLossFreeRate(answersAll: (rate: number) => Promise<boolean>): Promise<number> {
  let passed = 0;
  let failed: number | undefined;
  for (const rate of RATES) {
    if (!(await answersAll(rate))) {
      failed = rate;
      break;
    }
    passed = rate;
  }
  while (failed !== undefined && passed > 0 && failed - passed > RATE_RESOLUTION) {
    const rate = Math.round((passed + failed) / 2 / RATE_RESOLUTION) * RATE_RESOLUTION;
    if (await answersAll(rate)) passed = rate;
    else failed = rate;
  }
  return passed;
}

/**
 * ROUND_TRIPS echoes through `roundTrips`, after a first answer and a warm-up; the round trips
 * sorted, in microseconds, and how many were lost.
 */
async function measureEcho(roundTrips: (count: number) => Promise<{ microseconds: number[]; lost: number }>, log: (line: string) => void,
  name: string): Promise<{ microseconds: number[]; lost: number }> {
  // The first answer can take a few seconds (a guest resolving the gateway's address); then the warm-up.
  let answered = false;
  for (const deadline = Date.now() + FIRST_ANSWER_MILLISECONDS; !answered && Date.now() < deadline;) {
    answered = (await roundTrips(1)).lost === 0;
  }
  if (!answered) throw new Error(`${name} answered no UDP echo within ${FIRST_ANSWER_MILLISECONDS / 1000} s`);
  await roundTrips(WARM_UP_ROUND_TRIPS);
  const { microseconds, lost } = await roundTrips(ROUND_TRIPS);
  microseconds.sort((a, b) => a - b);
  log(`  ${name}: UDP echo p50 ${formatNumber(percentile(microseconds, 0.5))} µs over ${microseconds.length} round trips (${lost} lost)`);
  return { microseconds, lost };
}

/** GET http://127.0.0.1:port/path on a new connection: status and body (the network tests use it too). */
export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get({ host: "127.0.0.1", port, path, timeout: 10_000, agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("timeout", () => request.destroy(new Error(`GET ${path} on port ${port}: no answer within 10 s`)));
    request.on("error", reject);
  });
}

/** `count` GETs of / on 127.0.0.1:`port`, one at a time, each on a new connection: µs from the request to the response's end. */
async function httpOneAtATime(port: number, count: number): Promise<number[]> {
  const microseconds: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await httpGet(port, "/");
    microseconds.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return microseconds;
}

/**
 * The measurements for one guest; `afterRoundTrips` runs right after the UDP round trips (OptiOS
 * reads its guest share there, while the samples it keeps are the echo's).
 */
async function measureSide(machine: Machine, ports: { udp: number; http: number }, log: (line: string) => void, name: string,
  afterRoundTrips: () => Promise<void> = async () => {}): Promise<NetworkSide> {
  const { microseconds, lost } = await measureEcho((count) => udpRoundTrips(ports.udp, count), log, name);
  await afterRoundTrips();
  const lossFreeRate = await highestLossFreeRate(async (rate) => {
    const answers = await udpBurst(ports.udp, rate);
    log(`  ${name}: UDP burst ${rate}/s: ${answers} of ${rate} answered`);
    return answers === rate;
  });
  const result = await autocannon({ url: `http://127.0.0.1:${ports.http}/`, connections: HTTP_CONNECTIONS, duration: HTTP_SECONDS });
  const latencies = await httpOneAtATime(ports.http, HTTP_LATENCY_REQUESTS);
  latencies.sort((a, b) => a - b);
  log(`  ${name}: HTTP ${formatNumber(result.requests.average)} requests/s, ${result.errors + result.non2xx} errors; one at a time p50 ${formatNumber(percentile(latencies, 0.5))} µs`);
  return {
    udpP50Microseconds: percentile(microseconds, 0.5),
    udpP99Microseconds: percentile(microseconds, 0.99),
    udpLost: lost,
    lossFreeRate,
    httpRequestsPerSecond: result.requests.average,
    httpP50Microseconds: percentile(latencies, 0.5),
    httpP99Microseconds: percentile(latencies, 0.99),
    httpErrors: result.errors + result.non2xx + result.timeouts,
  };
}

async function withNetworkMachine<T>(boot: MachineOptions, ready: RegExp, use: (machine: Machine, ports: { udp: number; http: number }) => Promise<T>): Promise<T> {
  const ports = { udp: await freePort(), http: await freePort() };
  const machine = startMachine({ ...boot, memory: COMPARISON_MEMORY, nic: userNetwork({ tcp: [[ports.http, 80]], udp: [[ports.udp, 7]] }) });
  try {
    await machine.waitFor(ready, BOOT_TIMEOUT_MILLISECONDS);
    return await use(machine, ports);
  } finally {
    machine.kill();
    await machine.exited;
  }
}

/** The wire's two ends (wire.toml, linux/init.sh): the guest at 10.0.2.15, the bench at 10.0.2.2, its gateway. */
const WIRE_LINK: WireLink = {
  guestMac: Buffer.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]),
  peerMac: Buffer.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x02]),
  guestIp: Buffer.from([10, 0, 2, 15]),
  peerIp: Buffer.from([10, 0, 2, 2]),
};
const WIRE_SOURCE_PORT = 4000;

/**
 * UDP echo with the bench as the guest's whole network: QEMU's socket netdev carries each frame
 * in a UDP datagram on 127.0.0.1, and the bench builds the frames and answers ARP itself, so
 * QEMU's user network (slirp) is out of the path. The same figures as the user network's round
 * trip; the difference between the two is what slirp adds.
 */
async function wireEcho(boot: MachineOptions, ready: RegExp, log: (line: string) => void, name: string): Promise<{ p50: number; p99: number }> {
  const frames = frameBuilder(WIRE_LINK);
  const echo = frames.ethernet(0x0800, frames.ipv4(17, frames.udp(WIRE_SOURCE_PORT, 7, Buffer.alloc(32, 0x61))));
  const answers: { next?: () => void } = {};
  const wire = await openWire(WIRE_LINK, (frame) => {
    if (frame.length >= 42 && frame.readUInt16BE(12) === 0x0800 && frame[23] === 17 && frame.readUInt16BE(36) === WIRE_SOURCE_PORT) answers.next?.();
  });
  const machine = startMachine({ ...boot, memory: COMPARISON_MEMORY, nic: wire.nic() });
  try {
    await machine.waitFor(ready, BOOT_TIMEOUT_MILLISECONDS);
    const { microseconds } = await measureEcho((count) => timeRoundTrips(count, () => wire.send(echo), answers), log, `${name}, bench as the wire`);
    return { p50: percentile(microseconds, 0.5), p99: percentile(microseconds, 0.99) };
  } finally {
    machine.kill();
    await machine.exited;
    wire.close();
  }
}

/** Bytes free as the shell's `mem` counts them (4 KiB pages). */
async function freeBytes(machine: Machine): Promise<number> {
  const from = machine.output.length;
  await machine.type("mem\r");
  const free = await machine.waitFor(/\(4 KiB pages: ([\d,]+) free\)/, 30_000, from);
  return Number(free.match[1].replace(/,/g, "")) * 4096;
}

/** The stack's module and the kernel's networking code, in bytes (`kernelElf`'s text scaled by the code's share). */
function networkSizes(root: string, kernelElf: string, scratch: string): NetworkCost {
  const stack = readFileSync(join(root, "build", "handlers", "net.module"));
  // The kernel again with asc's --debug: the same code, and a name section saying which source each function is from.
  mkdirSync(scratch, { recursive: true });
  const named = join(scratch, "kernel-names.wasm");
  execFileSync(process.execPath, [join(root, "node_modules", "assemblyscript", "bin", "asc.js"), paths.kernelEntry, "--config", paths.asconfig,
    "--target", "kernel", "--debug", "--outFile", named, "--textFile", join(scratch, "kernel-names.wat")], { cwd: root, stdio: "pipe" });
  const share = codeShare(readFileSync(named), ["kernel/net/", "kernel/gate/net_calls/", "start:kernel/net/"]);
  let text: number | undefined;
  try {
    text = Number(execFileSync("size", [kernelElf], { encoding: "utf8" }).trim().split("\n")[1].trim().split(/\s+/)[0]);
  } catch {
    // `size` missing: no ELF estimate.
  }
  return {
    stackModuleBytes: stack.length,
    stackModuleGzippedBytes: gzipSync(stack, { level: 9 }).length,
    kernelNetworkWasmBytes: share.matching,
    kernelWasmCodeBytes: share.total,
    kernelNetworkTextBytes: text === undefined ? undefined : Math.round((text * share.matching) / share.total),
  };
}

/** OptiOS (the default system's ISO), then Linux, measured the same way; `root`, `kernelElf` and `scratch` for the cost in bytes. */
export async function measureNetwork(iso: string, log: (line: string) => void,
  sizes?: { root: string; kernelElf: string; scratch: string }): Promise<NetworkFigures> {
  const cost = sizes ? networkSizes(sizes.root, sizes.kernelElf, sizes.scratch) : undefined;
  const figures: NetworkFigures = await withNetworkMachine({ iso }, OPTIOS_READY, async (machine, ports) => {
    await machine.waitFor(SHELL_PROMPT, BOOT_TIMEOUT_MILLISECONDS);
    if (cost) {
      // The stack idle after its lease: its state as the status page reports it, and the pages free.
      const page = await (await fetch(`http://127.0.0.1:${ports.http}/`)).json() as { handlers: Array<{ name: string; stateBytes: number }> };
      cost.stackStateBytes = page.handlers.find((handler) => handler.name === "net")?.stateBytes;
      const withCard = await freeBytes(machine);
      const without = startMachine({ iso, memory: COMPARISON_MEMORY, nic: "none" });
      try {
        await without.waitFor(SHELL_PROMPT, BOOT_TIMEOUT_MILLISECONDS);
        cost.cardBytes = (await freeBytes(without)) - withCard;
      } finally {
        without.kill();
        await without.exited;
      }
    }
    let guestShareCycles: number | undefined;
    const optios = await measureSide(machine, ports, log, "OptiOS", async () => {
      const from = machine.output.length;
      await machine.type("net\r");
      const share = await machine.waitFor(/guest share: frame received -> next frame sent, p50 (\d+) cycles/, 30_000, from);
      guestShareCycles = Number(share.match[1]);
    });
    return { optios, guestShareCycles, cost };
  });
  const linuxBoot: MachineOptions | undefined = (() => {
    try {
      const guest = prepareLinuxGuest(undefined, log);
      return { kernel: guest.vmlinux, initrd: guest.initramfs, append: `${LINUX_COMMAND_LINE} optios_bench=network` };
    } catch (error) {
      figures.linuxProblem = (error as Error).message.split("\n")[0];
      return undefined;
    }
  })();
  if (linuxBoot) {
    try {
      figures.linux = await withNetworkMachine(linuxBoot, LINUX_READY, (machine, ports) => measureSide(machine, ports, log, "Linux"));
    } catch (error) {
      figures.linuxProblem = (error as Error).message.split("\n")[0];
    }
  }
  // The same echo again with the bench as the wire, OptiOS then Linux: what QEMU's user network added.
  const wire = await buildSystemInScratch(WIRE_SYSTEM, defaultKernelArguments, WIRE_BUILD_TIMEOUT_MILLISECONDS);
  try {
    const optiosWire = await wireEcho({ iso: wire.iso }, OPTIOS_WIRE_READY, log, "OptiOS");
    figures.optios.wireP50Microseconds = optiosWire.p50;
    figures.optios.wireP99Microseconds = optiosWire.p99;
  } finally {
    wire.remove();
  }
  if (linuxBoot && figures.linux) {
    const linuxWire = await wireEcho(linuxBoot, LINUX_READY, log, "Linux");
    figures.linux.wireP50Microseconds = linuxWire.p50;
    figures.linux.wireP99Microseconds = linuxWire.p99;
  }
  return figures;
}

/** The section's lines: each figure for both, and Linux ÷ OptiOS (or OptiOS ÷ Linux for rates). */
export function formatNetwork(figures: NetworkFigures | undefined, problem: string | undefined): string[] {
  if (!figures) return [`  not measured: ${problem}`];
  const { optios, linux } = figures;
  const cell = (value: number | undefined, decimals = 0) => (value === undefined ? "n/a" : formatNumber(value, decimals));
  const times = (numerator: number | undefined, denominator: number | undefined) =>
    numerator === undefined || !denominator ? "n/a" : `${formatNumber(numerator / denominator)}×`;
  const rows: string[][] = [
    ["", "OptiOS", "Linux", "OptiOS's advantage"],
    ["UDP echo round trip p50, µs (host → guest → host)", cell(optios.udpP50Microseconds, 1), cell(linux?.udpP50Microseconds, 1),
      times(linux?.udpP50Microseconds, optios.udpP50Microseconds)],
    ["UDP echo round trip p99, µs", cell(optios.udpP99Microseconds, 1), cell(linux?.udpP99Microseconds, 1), times(linux?.udpP99Microseconds, optios.udpP99Microseconds)],
    ["the same, the bench as the wire (socket netdev, no user network): p50, µs", cell(optios.wireP50Microseconds, 1),
      cell(linux?.wireP50Microseconds, 1), times(linux?.wireP50Microseconds, optios.wireP50Microseconds)],
    ["the same, p99, µs", cell(optios.wireP99Microseconds, 1), cell(linux?.wireP99Microseconds, 1),
      times(linux?.wireP99Microseconds, optios.wireP99Microseconds)],
    ["UDP datagrams lost of 10,000", cell(optios.udpLost), cell(linux?.udpLost), ""],
    [`highest loss-free UDP rate (1 s bursts; ${RATES.join("/")}, then bisected to ${formatNumber(RATE_RESOLUTION, 0)}), per s`, cell(optios.lossFreeRate), cell(linux?.lossFreeRate), times(optios.lossFreeRate, linux?.lossFreeRate)],
    [`HTTP GET /, requests/s (autocannon, ${HTTP_CONNECTIONS} connections, ${HTTP_SECONDS} s)`, cell(optios.httpRequestsPerSecond),
      cell(linux?.httpRequestsPerSecond), times(optios.httpRequestsPerSecond, linux?.httpRequestsPerSecond)],
    ["HTTP GET / one at a time, new connection → whole response: p50 / p99, µs", `${cell(optios.httpP50Microseconds)} / ${cell(optios.httpP99Microseconds)}`,
      linux ? `${cell(linux.httpP50Microseconds)} / ${cell(linux.httpP99Microseconds)}` : "n/a", times(linux?.httpP50Microseconds, optios.httpP50Microseconds)],
    ["HTTP errors", cell(optios.httpErrors), cell(linux?.httpErrors), ""],
  ];
  return [
    ...formatTable(rows).map((line) => `  ${line}`),
    `  OptiOS's own share of a round trip: frame received → answer handed to the card, p50 ${cell(figures.guestShareCycles)} cycles; ` +
      "the rest is QEMU (its virtio-net and the user network: the wire rows leave the latter out) and the host",
    ...(figures.linuxProblem ? [`  Linux not measured: ${figures.linuxProblem}`] : []),
    ...formatCost(figures.cost),
  ];
}

function formatCost(cost: NetworkCost | undefined): string[] {
  if (!cost) return [];
  const share = `${formatNumber((100 * cost.kernelNetworkWasmBytes) / cost.kernelWasmCodeBytes, 1)} %`;
  const rows = [
    ["What networking costs OptiOS", ""],
    ["the stack's module (lwIP and its glue), on the ISO gzipped", `${formatBytes(cost.stackModuleBytes)}, ${formatBytes(cost.stackModuleGzippedBytes)} gzipped`],
    ["the kernel's networking code (drivers, frames, the net calls)",
      `${share} of its wasm code (${formatBytes(cost.kernelNetworkWasmBytes)}): ≈ ${cost.kernelNetworkTextBytes === undefined ? "n/a" : formatBytes(cost.kernelNetworkTextBytes)} of the ELF's text`],
    ["memory, stack idle: the stack's state (status page)", cost.stackStateBytes === undefined ? "n/a" : formatBytes(cost.stackStateBytes)],
    ["memory, stack idle: the card's rings and buffers, the kernel's side", cost.cardBytes === undefined ? "n/a" : formatBytes(cost.cardBytes)],
  ];
  return formatTable(rows).map((line) => `  ${line}`);
}
