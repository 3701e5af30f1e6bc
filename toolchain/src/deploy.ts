// `optios deploy`: new versions of running handlers, sent to the machine's deploy port (docs/upgrade.md).
//
//   optios build (a new generation) ─► for each handler named:
//     DeployHeader · name · build/initrd/etc/system.descriptor · build/handlers/<name>.module
//   ─► the deploy socket (build/deploy.sock: QEMU's COM2, `optios run` makes it) ─► the kernel
//   ◄─ one line back per handler: "deploy: 'name': upgraded …", "… refused: …" or "… failed: …"
//
// The kernel checks everything (kernel/handlers/upgrade.ts); this side only frames the bytes
// and waits for the answer. The descriptor travels with the module so the kernel can check
// the module against its generation and the entry against the running one.
import { readFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { join } from "node:path";
import { DEPLOY_MAGIC, DEPLOY_VERSION, limit, recordLayout, recordNamed } from "../../interface/optios.ts";
import { modulePath } from "./build/handlers.ts";
import { initrdStaging } from "./build/initrd.ts";

/** The socket `optios run` gives QEMU's COM2, relative to the project root. */
export const deploySocketPath = "build/deploy.sock";
/** A deploy's answer under TCG: the transfer at serial speed, then load, start and migrate. */
export const DEPLOY_ANSWER_TIMEOUT_MILLISECONDS = 120_000;

/** One transfer: the header, the name, the generation's descriptor and the module, as the kernel reads them. */
export function encodeTransfer(name: string, descriptor: Uint8Array, module: Uint8Array): Buffer {
  const nameBytes = Buffer.from(name, "utf8");
  if (nameBytes.length === 0 || nameBytes.length > limit("NAME_MAX_BYTES")) throw new Error(`deploy: '${name}' is not a handler name`);
  if (module.length > limit("DEPLOY_MODULE_MAX_BYTES")) {
    throw new Error(`deploy: the module of '${name}' is ${module.length} bytes; the deploy port takes at most ${limit("DEPLOY_MODULE_MAX_BYTES")}`);
  }
  const { offsets, bytes } = recordLayout(recordNamed("DeployHeader"));
  const header = Buffer.alloc(bytes);
  const field = (field: string, value: number) => header.writeUInt32LE(value, offsets.get(field)!);
  field("magic", DEPLOY_MAGIC);
  field("version", DEPLOY_VERSION);
  field("nameBytes", nameBytes.length);
  field("descriptorBytes", descriptor.length);
  field("moduleBytes", module.length);
  return Buffer.concat([header, nameBytes, descriptor, module]);
}

/** The transfer of handler `name` as the last build of the project at `root` made it. */
export function buildTransfer(root: string, name: string): Buffer {
  const descriptor = readFileSync(join(root, initrdStaging, "etc", "system.descriptor"));
  return encodeTransfer(name, descriptor, readFileSync(join(root, modulePath(name))));
}

/** Whether the kernel's answer says the new version runs. */
export function deployed(answer: string): boolean {
  return /^deploy: '[^']*': upgraded /.test(answer);
}

/**
 * Sends each transfer over the deploy socket at `socketPath`, one after the other, and
 * returns the kernel's answer line to each ("deploy: …"). Throws, naming the socket, when no
 * machine listens there or no answer comes within `timeoutMilliseconds`.
 */
export async function sendTransfers(socketPath: string, transfers: readonly Buffer[],
  timeoutMilliseconds = DEPLOY_ANSWER_TIMEOUT_MILLISECONDS): Promise<string[]> {
  const socket = await connect(socketPath);
  const lines = new LineReader(socket);
  try {
    const answers: string[] = [];
    for (const transfer of transfers) {
      socket.write(transfer);
      answers.push(await lines.next(/^deploy: /, timeoutMilliseconds, socketPath));
    }
    return answers;
  } finally {
    socket.destroy();
  }
}

function connect(path: string): Promise<Socket> {
  return new Promise((resolvePromise, reject) => {
    const socket = createConnection(path);
    socket.once("connect", () => resolvePromise(socket));
    socket.once("error", (error: NodeJS.ErrnoException) => {
      reject(new Error(`no machine takes deploys at ${path} (${error.code ?? error.message}): start one with \`make run\` ` +
        "(its system.toml needs [system] deploy = true)"));
    });
  });
}

/** The lines a socket receives, without their \r\n, taken one matching line at a time. */
class LineReader {
  private buffered = "";
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffered += chunk;
      this.waiting.splice(0).forEach((wake) => wake());
    });
    socket.on("close", () => {
      this.closed = true;
      this.waiting.splice(0).forEach((wake) => wake());
    });
  }

  /** The next whole line matching `pattern` (lines before it are skipped). */
  async next(pattern: RegExp, timeoutMilliseconds: number, where: string): Promise<string> {
    const deadline = Date.now() + timeoutMilliseconds;
    for (;;) {
      const end = this.buffered.indexOf("\n");
      if (end >= 0) {
        const line = this.buffered.slice(0, end).replace(/\r$/, "");
        this.buffered = this.buffered.slice(end + 1);
        if (pattern.test(line)) return line;
        continue;
      }
      if (this.closed) throw new Error(`the machine at ${where} closed the connection before answering`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer from the machine at ${where} within ${timeoutMilliseconds / 1000} s`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.waiting.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }
}
