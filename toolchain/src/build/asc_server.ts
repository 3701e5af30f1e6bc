// asc without its start-up: compiles sent to a warm compiler process, started once per checkout.
//
// Most of a handler's asc run is start-up: Node loads the compiler and binaryen (about 1 s
// here) and runs their code cold (the first compile about 2 s, the next ones 0.3–0.6 s). So
// the first asc command of a build starts toolchain/bin/asc-server.js detached: it loads the
// compiler once, compiles the requests sent over a Unix socket (in a folder of the temporary
// folder only this user may enter) one at a time, and exits after IDLE_MILLISECONDS without
// one. Later builds (the edit → build loop) find it warm. There is one server per core
// (a slot); each compile goes to the slot with the fewest compiles in flight from this
// build, started on first use, so a build's modules compile in parallel as before.
//
// The output is the one `asc` would give: the server runs asc.main with the same arguments
// and `--baseDir` the project root (tests/toolchain/asc_server.test.ts compares the bytes).
// Commands and stamps are unchanged: the command line is still `node_modules/.bin/asc …`.
// When the server cannot be started or reached, or dies mid-compile (asc calls
// process.exit when it crashes), the command runs as a process, as before.
// OPTIOS_ASC_SERVER=0 turns the server off.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { availableParallelism, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { toolchainRepository } from "../project.ts";
import { runCommand, type CommandResult } from "./process.ts";

const IDLE_MILLISECONDS = 10 * 60 * 1000;
const STARTUP_MILLISECONDS = 20_000;
const serverScript = join(toolchainRepository, "toolchain", "bin", "asc-server.js");

/**
 * One server per checkout, compiler version and server script (a change to any starts a new
 * one), in a folder only this user can enter: another user cannot put a server of their own
 * at the path. Undefined when that folder is not ours alone (the command then runs as a process).
 */
export function serverSocketPath(slot: number): string | undefined {
  const version = JSON.parse(readFileSync(join(toolchainRepository, "node_modules", "assemblyscript", "package.json"), "utf8")).version as string;
  const key = createHash("sha256").update(`${toolchainRepository}\0${version}\0${readFileSync(serverScript, "utf8")}`).digest("hex").slice(0, 16);
  const folder = join(tmpdir(), `optios-${userInfo().uid}`);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const info = lstatSync(folder);
  if (!info.isDirectory() || info.uid !== userInfo().uid || (info.mode & 0o077) !== 0) return undefined;
  return join(folder, `asc-${key}-${slot}.sock`);
}

/** Sends one compile; resolves undefined when no server answers (not running, or died). */
function request(socketPath: string, argv: readonly string[], baseDir: string): Promise<CommandResult | undefined> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let received = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${JSON.stringify({ argv, baseDir })}\n`));
    socket.on("data", (chunk) => (received += chunk));
    socket.on("error", () => resolve(undefined));
    socket.on("close", () => {
      try {
        resolve(JSON.parse(received) as CommandResult);
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** Per socket path: the start of its server in this process, begun once. */
const starting = new Map<string, Promise<boolean>>();

/**
 * Starts the server (once per build process) and waits until it answers a connection. Two
 * builds starting at once (the tests run several) must not start two servers on one path:
 * the starter holds <socket>.starting (created with O_EXCL); the other one only waits.
 */
function startServer(socketPath: string): Promise<boolean> {
  if (!starting.has(socketPath)) starting.set(socketPath, (async () => {
    const startLock = `${socketPath}.starting`;
    const isStarter = takeStartLock(startLock);
    try {
      if (isStarter) {
        rmSync(socketPath, { force: true });
        spawnServer(socketPath);
      }
      const deadline = Date.now() + STARTUP_MILLISECONDS;
      while (Date.now() < deadline) {
        if (existsSync(socketPath) && (await canConnect(socketPath))) return true;
        await sleep(50);
      }
      return false;
    } finally {
      if (isStarter) rmSync(startLock, { force: true });
    }
  })());
  return starting.get(socketPath)!;
}

/** True when this process may start the server; a start lock older than the start-up time is stale and taken over. */
function takeStartLock(path: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      closeSync(openSync(path, "wx"));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") return false;
      const age = Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age < STARTUP_MILLISECONDS) return false;
      rmSync(path, { force: true });
    }
  }
  return false;
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/**
 * Starts the first server in the background if it is not running, without waiting for it:
 * every build calls this (the asc step's plan), so that the compile after the next edit
 * finds a warm server even when this build compiles nothing.
 */
export async function warmAscServer(): Promise<void> {
  if (process.env.OPTIOS_ASC_SERVER === "0") return;
  const socketPath = serverSocketPath(0);
  if (socketPath === undefined || (existsSync(socketPath) && (await canConnect(socketPath)))) return;
  const startLock = `${socketPath}.starting`;
  if (!takeStartLock(startLock)) return;
  rmSync(socketPath, { force: true });
  spawnServer(socketPath); // which removes the start lock once it listens
}

function spawnServer(socketPath: string): void {
  spawn(process.execPath, [serverScript, socketPath, String(IDLE_MILLISECONDS)], { cwd: toolchainRepository, detached: true, stdio: "ignore" }).unref();
}

/** Compiles in flight from this process, per server slot: one server per core, the least busy chosen. */
const inFlight: number[] = Array.from({ length: availableParallelism() }, () => 0);

/** Runs an asc command line (`node_modules/.bin/asc …`) in `cwd`: on a warm server when possible. */
export async function runAsc(command: readonly string[], cwd: string): Promise<CommandResult> {
  if (process.env.OPTIOS_ASC_SERVER !== "0") {
    const slot = inFlight.indexOf(Math.min(...inFlight));
    const socketPath = serverSocketPath(slot);
    inFlight[slot]++;
    try {
      const answered = socketPath === undefined ? undefined : (await request(socketPath, command.slice(1), cwd)) ??
        ((await startServer(socketPath)) ? await request(socketPath, command.slice(1), cwd) : undefined);
      if (answered !== undefined) return answered;
    } finally {
      inFlight[slot]--;
    }
  }
  return runCommand(command, { cwd });
}
