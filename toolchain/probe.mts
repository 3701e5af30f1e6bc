// Temporary: echo probe (not committed).
import { createSocket } from "node:dgram";
import { startMachine } from "./src/bench/machine.ts";
import { userNetwork } from "./src/qemu.ts";
import { freePort } from "./src/bench/network_bench.ts";
const iso = process.argv[2] ?? "build/optios.iso";
const count = Number(process.argv[3] ?? 3000);
const udp = await freePort(), http = await freePort();
const machine = startMachine({ iso, memory: "256M", nic: userNetwork({ tcp: [[http, 80]], udp: [[udp, 7]] }) });
await machine.waitFor("optios$ ", 120000);
const socket = createSocket("udp4");
await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
const one = () => new Promise<number | null>((resolve) => {
  const start = process.hrtime.bigint();
  const t = setTimeout(() => { socket.removeAllListeners("message"); resolve(null); }, 1000);
  socket.once("message", () => { clearTimeout(t); resolve(Number(process.hrtime.bigint() - start) / 1000); });
  socket.send(Buffer.alloc(32, 0x61), udp, "127.0.0.1");
});
for (let i = 0; i < 30 && (await one()) === null; i++);
for (let i = 0; i < 200; i++) await one();
const us: number[] = [];
for (let i = 0; i < count; i++) { const r = await one(); if (r !== null) us.push(r); }
us.sort((a, b) => a - b);
console.log(`p50 ${us[Math.floor(us.length / 2)].toFixed(1)} µs p99 ${us[Math.floor(us.length * 0.99)].toFixed(1)} (${us.length})`);
const from = machine.output.length;
await machine.type("net\r");
await machine.waitFor(/(probe total|guest share).*\r?\n[^]*optios\$ /, 30000, from);
console.log(machine.output.slice(from).split("\n").filter((l) => /probe|guest share/.test(l)).join("\n"));
socket.close();
machine.kill();
await machine.exited;
