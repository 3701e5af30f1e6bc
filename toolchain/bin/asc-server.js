#!/usr/bin/env node
// The AssemblyScript compiler kept warm between builds: `node asc-server.js <socket> <idle ms>`.
//
// Started detached by the build (toolchain/src/build/asc_server.ts), never by hand. It loads
// assemblyscript/asc once, listens on a Unix socket (mode 0600), and compiles one request
// at a time: a JSON line { argv, baseDir } in, a JSON line { status, stdout, stderr } out,
// exactly what `asc <argv>` run in baseDir would print and exit with. It exits after
// <idle ms> without a request. Plain JavaScript, so it starts without the bundle or tsx.
import { chmodSync, rmSync } from "node:fs";
import { createServer } from "node:net";

const [socketPath, idleText] = process.argv.slice(2);
const idleMilliseconds = Number(idleText);
const asc = await import("assemblyscript/asc");
// asc.main adds each --lib folder's files to this shared table and never takes them out; a
// later compile (the kernel's) would then see the handler API as globals. Restored after each.
const libraryFiles = { ...asc.libraryFiles };

function restoreLibraryFiles() {
  for (const name of Object.keys(asc.libraryFiles)) if (!(name in libraryFiles)) delete asc.libraryFiles[name];
  Object.assign(asc.libraryFiles, libraryFiles);
}

async function compile({ argv, baseDir }) {
  const stdout = asc.createMemoryStream();
  const stderr = asc.createMemoryStream();
  try {
    const result = await asc.main([...argv, "--baseDir", baseDir], { stdout, stderr });
    return { status: result.error ? 1 : 0, stdout: stdout.toString(), stderr: stderr.toString() };
  } catch (error) {
    return { status: 1, stdout: stdout.toString(), stderr: `${stderr.toString()}${error.stack ?? error}\n` };
  } finally {
    restoreLibraryFiles();
  }
}

// Stopped (kill, logout): close the server, which also removes its socket file.
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => server.close(() => process.exit(0)));

let idle;
const stayAwhile = () => {
  clearTimeout(idle);
  idle = setTimeout(() => server.close(() => process.exit(0)), idleMilliseconds);
};
let queue = Promise.resolve();
const server = createServer((socket) => {
  let received = "";
  socket.setEncoding("utf8");
  socket.on("error", () => socket.destroy());
  socket.on("data", (chunk) => {
    received += chunk;
    const end = received.indexOf("\n");
    if (end < 0) return;
    const request = JSON.parse(received.slice(0, end));
    clearTimeout(idle);
    queue = queue.then(() => compile(request)).then((reply) => {
      socket.end(`${JSON.stringify(reply)}\n`);
      stayAwhile();
    });
  });
});
// A first compile runs the compiler's code cold (about 2 s against 0.3–0.6 s warm); one of
// a small program, queued before any request, warms it while the developer is still editing.
const warmUp = `class Counter { count: i32 = 0; add(by: i32): i32 { this.count += by; return this.count; } }
export function run(times: i32): string { const counter = new Counter(); for (let i = 0; i < times; i++) counter.add(i); return counter.count.toString(); }`;
queue = queue.then(() => asc.compileString(warmUp, { optimizeLevel: 3, runtime: "incremental" })).catch(() => undefined).finally(restoreLibraryFiles);

rmSync(socketPath, { force: true });
server.listen(socketPath, () => {
  chmodSync(socketPath, 0o600);
  rmSync(`${socketPath}.starting`, { force: true }); // the start lock of whoever started it
  stayAwhile();
});
