// One QEMU guest under our control: serial capture, waits on its output, exit status, sure kill.
//
// Shared by `make bench` and the QEMU boot tests (tests/qemu/harness.ts). The guest's
// serial port is QEMU's stdout, decoded as Latin-1 so that firmware escape sequences and
// stray bytes never break the text. Every machine is tracked until its process has
// closed, so `stopAllMachines()` (and the process's own exit) can kill whatever is still
// running: a forgotten QEMU would hold a CPU at 100% for ever.
//
// Why stdout is a file and not a pipe: QEMU's 16550 model writes each byte with its own
// write(); when one cannot complete at once it retries later, and bytes a guest sends
// meanwhile without polling the line status are lost. Node's stdio "pipes" are Unix
// socket pairs, where every 1-byte write takes several hundred bytes of socket buffer,
// so a reader a few milliseconds late made QEMU lose output (seen here: up to half the
// runs of a 782-byte report under light load; never with a file). A regular file always
// takes the write; we follow it with inotify (fs.watch) and read it to the end when QEMU
// closes.

import { createConnection, type Socket } from "node:net";
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readSync, rmSync, watch, type FSWatcher } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ovmfVariablesTemplate } from "../build/tools.ts";
import { qemuArguments, type QemuOptions } from "../qemu.ts";

export const QEMU_COMMAND = "qemu-system-x86_64";

export interface MachineOptions extends QemuOptions {
  /** Output that means the guest has failed; a wait still pending then rejects at once. */
  failOn?: RegExp;
  /** Open a QEMU monitor on a socket, for sendKey() (pressing keys in GRUB's menu, say). */
  monitor?: boolean;
}

export interface Sighting {
  /** The match of the awaited pattern in the serial output. */
  match: RegExpExecArray;
  /** Milliseconds from just before spawn to the arrival of the output that matched. */
  at: number;
}

/** A kernel panic: a line starting with PANIC. */
export const PANIC_LINE = /^PANIC.*$/m;
const OUTPUT_SHOWN_CHARACTERS = 4000;
const running = new Set<Machine>();

export class Machine {
  readonly arguments: string[];
  /** performance.now() just before spawn. */
  readonly startedAt: number;
  /** Serial output so far. */
  output = "";
  /** QEMU's own messages (stderr) so far. */
  errors = "";
  /** QEMU's exit status once it has ended; null if it was killed by a signal. */
  status: number | null | undefined = undefined;
  /** Milliseconds from spawn to the end of the process, once it has ended. */
  endedAt: number | undefined = undefined;
  /** Resolves with the exit status when QEMU has ended and its output is complete. */
  readonly exited: Promise<number | null>;
  private readonly process: ChildProcess;
  private readonly failOn: RegExp | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly directory: string;
  private readonly serialReader: number;
  private readonly serialWatcher: FSWatcher;
  private readonly buffer = Buffer.alloc(65536);
  private readonly monitorSocket: string | undefined;
  private monitorConnection: Socket | undefined;

  constructor(options: MachineOptions) {
    this.failOn = "failOn" in options ? options.failOn : PANIC_LINE;
    this.directory = mkdtempSync(join(tmpdir(), "optios-qemu-"));
    this.monitorSocket = options.monitor ? join(this.directory, "monitor") : undefined;
    this.arguments = [
      ...machineArguments(options),
      ...(this.monitorSocket ? ["-monitor", `unix:${this.monitorSocket},server,nowait`] : []),
    ];
    const serialFile = join(this.directory, "serial");
    const serialWriter = openSync(serialFile, "w");
    this.serialReader = openSync(serialFile, "r");
    this.serialWatcher = watch(serialFile, () => this.readSerial());
    this.startedAt = performance.now();
    // Standard input is the serial port's receive side (type()); output goes to a file, which
    // unlike a pipe never makes QEMU drop bytes when we are slow to read.
    this.process = spawn(QEMU_COMMAND, this.arguments, { stdio: ["pipe", serialWriter, "pipe"] });
    this.process.stdin!.on("error", () => undefined); // QEMU gone: typing into it is moot
    closeSync(serialWriter);
    running.add(this);
    this.process.stderr!.setEncoding("latin1");
    this.process.stderr!.on("data", (text: string) => (this.errors += text));
    this.exited = new Promise((resolve) => {
      this.process.on("error", (error) => {
        this.errors += `cannot start ${QEMU_COMMAND}: ${error.message}\n`;
      });
      this.process.on("close", (code, signal) => {
        this.endedAt = performance.now() - this.startedAt;
        this.readSerial();
        this.status = signal === null ? code : null;
        this.serialWatcher.close();
        closeSync(this.serialReader);
        rmSync(this.directory, { recursive: true, force: true });
        running.delete(this);
        resolve(this.status);
        this.notify();
      });
    });
  }

  /**
   * Resolves when the serial output matches `pattern`. Rejects, with the output so far in
   * the message, when `timeoutMilliseconds` pass (the machine is then killed), when QEMU
   * ends first, or when the output shows a failure (`failOn`, by default a PANIC line).
   * With `from`, only the output from that offset on is searched (what a command printed).
   */
  waitFor(pattern: RegExp | string, timeoutMilliseconds: number, from = 0): Promise<Sighting> {
    const regex = typeof pattern === "string" ? new RegExp(escapeRegex(pattern)) : pattern;
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, sighting?: Sighting): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (error) reject(error);
        else resolve(sighting!);
      };
      const check = (): void => {
        const match = regex.exec(from > 0 ? this.output.slice(from) : this.output);
        if (match) return finish(undefined, { match, at: performance.now() - this.startedAt });
        const failure = this.failOn?.exec(this.output);
        if (failure) return finish(this.failure(`the guest failed (${failure[0].trim()})`, regex));
        if (this.status !== undefined) {
          return finish(this.failure(`QEMU ended with status ${this.status}`, regex));
        }
      };
      const timer = setTimeout(() => {
        this.kill();
        finish(this.failure(`timed out after ${timeoutMilliseconds / 1000} s`, regex));
      }, timeoutMilliseconds);
      this.listeners.add(check);
      check();
    });
  }

  /** Resolves with the exit status; kills QEMU and rejects if it has not ended in time. */
  async waitForExit(timeoutMilliseconds: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill();
        reject(this.failure(`QEMU did not exit within ${timeoutMilliseconds / 1000} s`));
      }, timeoutMilliseconds);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Types `text` on the guest's serial port (QEMU's -serial stdio reads it from our pipe). */
  async type(text: string): Promise<void> {
    const input = this.process.stdin!;
    await new Promise<void>((resolve) => input.write(Buffer.from(text, "latin1"), () => resolve()));
  }

  /**
   * Presses a key on the guest's keyboard (QEMU's `sendkey`, e.g. "down", "ret"); needs
   * `monitor`. Rejects while QEMU has not opened the monitor socket yet: callers retry.
   */
  async sendKey(key: string): Promise<void> {
    await this.monitorCommand(`sendkey ${key}`);
  }

  /** Sends one command to QEMU's monitor (`device_del stick`: a USB stick pulled out); needs `monitor`. */
  async monitorCommand(command: string): Promise<void> {
    if (!this.monitorSocket) throw new Error("monitorCommand needs a machine started with monitor: true");
    if (!this.monitorConnection) {
      const socket = this.monitorSocket;
      this.monitorConnection = await new Promise<Socket>((resolve, reject) => {
        const connection = createConnection(socket);
        connection.once("connect", () => resolve(connection));
        connection.once("error", reject);
      });
      this.monitorConnection.resume(); // the monitor's prompts are not needed; keep them flowing
      this.monitorConnection.on("error", () => undefined);
    }
    const connection = this.monitorConnection;
    await new Promise<void>((resolve) => connection.write(`${command}\n`, () => resolve()));
  }

  /** Ends QEMU at once (SIGKILL); harmless if it has already ended. */
  kill(): void {
    this.monitorConnection?.destroy();
    if (this.status === undefined) this.process.kill("SIGKILL");
  }

  /** The serial output with control characters made visible, for error messages. */
  readableOutput(): string {
    return visible(this.output);
  }

  /** Appends whatever QEMU has written to the serial file since the last read. */
  private readSerial(): void {
    if (this.status !== undefined) return;
    let text = "";
    for (let bytes; (bytes = readSync(this.serialReader, this.buffer)) > 0; ) text += this.buffer.toString("latin1", 0, bytes);
    if (text.length === 0) return;
    this.output += text;
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private failure(reason: string, pattern?: RegExp): Error {
    const lines = [`QEMU guest: ${reason}${pattern ? ` while waiting for ${pattern}` : ""}.`];
    lines.push(`command: ${QEMU_COMMAND} ${this.arguments.join(" ")}`);
    const shown = this.output.slice(-OUTPUT_SHOWN_CHARACTERS);
    const cut = this.output.length > shown.length ? "…" : "";
    lines.push(`serial output (${this.output.length} characters):`, cut + visible(shown) || "(none)");
    if (this.errors) lines.push(`QEMU stderr:`, this.errors.trim());
    return new Error(lines.join("\n"));
  }
}

/**
 * The run's QEMU arguments: toolchain/src/qemu.ts's, plus `-snapshot`, so that a test or
 * bench guest never writes to an image (the ISO attached as a raw disk, the UEFI variable
 * store). With it the pristine OVMF template can serve as the variable store directly.
 */
export function machineArguments(options: QemuOptions): string[] {
  const uefiVariables = options.uefiVariables ?? (options.uefi ? ovmfVariablesTemplate : undefined);
  return [...qemuArguments({ ...options, uefiVariables }), "-snapshot"];
}

/** Starts a guest. */
export function startMachine(options: MachineOptions): Machine {
  return new Machine(options);
}

/** Kills every guest still running and waits until their processes have closed. */
export async function stopAllMachines(): Promise<void> {
  const machines = [...running];
  for (const machine of machines) machine.kill();
  await Promise.all(machines.map((machine) => machine.exited));
}

process.once("exit", () => {
  for (const machine of running) machine.kill();
});

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function visible(text: string): string {
  return text
    .replace(/\r\n/g, "\n")
    .replace(/\x1b\[[0-9;=?]*[A-Za-z]/g, "")
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\xff]/g, (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
