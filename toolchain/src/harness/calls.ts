// Every call of the `optios` import module, as the harness's kernel answers it (one entry per declared call).
//
// The table is keyed by the call names of interface/optios.ts, and imports() builds a
// module's imports from the declaration, not from this table: a call declared there and
// missing here makes loading fail with its name (and tests/toolchain/harness.test.ts fails
// first). Each implementation mirrors kernel/gate/*_calls.ts: the gate (gate.ts here) has
// already checked the caller's kind and grants, and addresses are range-checked the same
// way (ERROR_BAD_ADDRESS, nothing copied).
import { calls, constant, limit } from "../../../interface/optios.ts";
import { resolveDataPath } from "./data.ts";
import { errorCode, type HarnessModule, PowerRequest } from "./module.ts";

/** The arguments as wasm hands them to JavaScript: i32 as number, i64 as bigint. */
export type CallArguments = Array<number | bigint>;
export type CallImplementation = (module: HarnessModule, ...values: CallArguments) => bigint;

const LOG_MAX_BYTES = limit("LOG_MAX_BYTES");
const PAYLOAD_MAX_BYTES = limit("PAYLOAD_MAX_BYTES");
const NET_DATA_MAX_BYTES = limit("NET_DATA_MAX_BYTES");
const EMITS_PER_RUN_MAX = limit("EMITS_PER_RUN_MAX");
const TRANSFER_MAX_BYTES = limit("TRANSFER_MAX_BYTES");
const PATH_MAX_BYTES = limit("PATH_MAX_BYTES");
const FOREGROUND_MAX = limit("FOREGROUND_MAX");
const LINE_MAX_BYTES = limit("LINE_MAX_BYTES");
const LOG_DEBUG = constant("LOG_DEBUG");
const DATA_REPLACE = constant("DATA_REPLACE");
const DATA_APPEND = constant("DATA_APPEND");
const DATA_FILE_MAX_BYTES = limit("DATA_FILE_MAX_BYTES");
const DATA_WRITES_PER_RUN_MAX = limit("DATA_WRITES_PER_RUN_MAX");
const RUN_HERE = constant("RUN_HERE");
const RUN_CONSOLE = constant("RUN_CONSOLE");
const text = new TextDecoder();
const n = (value: number | bigint) => Number(value);

/** A log line as the kernel shows it: control characters and non-ASCII bytes escaped (\xNN). */
export function escapeLine(bytes: Uint8Array): string {
  let line = "";
  for (const byte of bytes) line += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, "0")}`;
  return line;
}

export const implementations: Record<string, CallImplementation> = {
  log(module, level, address, length) {
    if (n(level) > LOG_DEBUG) return errorCode("BAD_ARGUMENT");
    const bytes = module.copyIn(address, BigInt(Math.min(n(length), LOG_MAX_BYTES)));
    if (bytes === null) return errorCode("BAD_ADDRESS");
    module.log(escapeLine(bytes), n(level));
    return 0n;
  },
  time: (module) => module.clock.monotonic,
  wall_time: (module) => (module.clock.wall === null ? errorCode("NO_WALL_CLOCK") : module.clock.wall),
  random: (module) => module.random(),
  emit(module, name, nameLength, payload, payloadLength) {
    if (BigInt(payloadLength) > BigInt(PAYLOAD_MAX_BYTES)) return errorCode("TOO_LONG");
    if (module.kind === "handler" && module.runEmits >= EMITS_PER_RUN_MAX) return errorCode("EMIT_LIMIT");
    if (module.kind === "handler") module.runEmits++;
    const bytes = module.copyIn(payload, payloadLength);
    if (bytes === null) return errorCode("BAD_ADDRESS");
    const event = text.decode(module.copyIn(name, nameLength)!);
    const subscribers = module.world.subscribersOf(event);
    if (subscribers === 0) return errorCode("NO_SUBSCRIBER");
    module.emit(event, bytes);
    return BigInt(subscribers);
  },
  post(module, name, nameLength, message, messageLength) {
    if (BigInt(messageLength) > BigInt(PAYLOAD_MAX_BYTES)) return errorCode("TOO_LONG");
    const target = text.decode(module.copyIn(name, nameLength)!);
    const problem = module.world.postProblem(target);
    if (problem !== null) return errorCode(problem);
    if (module.kind === "handler" && module.runEmits >= EMITS_PER_RUN_MAX) return errorCode("EMIT_LIMIT");
    if (module.kind === "handler") module.runEmits++;
    const bytes = module.copyIn(message, messageLength);
    if (bytes === null) return errorCode("BAD_ADDRESS");
    module.queueMessage(target, bytes);
    return 0n;
  },
  handler_call(module, name, nameLength, request, requestLength, replyAddress) {
    if (module.answering) return errorCode("CALL_DEPTH");
    if (!module.inRun) return errorCode("NOT_IN_RUN");
    if (BigInt(requestLength) > BigInt(PAYLOAD_MAX_BYTES)) return errorCode("TOO_LONG");
    const target = text.decode(module.copyIn(name, nameLength)!);
    const problem = module.world.callProblem(target, module.name);
    if (problem !== null) return errorCode(problem);
    const bytes = module.copyIn(request, requestLength);
    if (bytes === null) return errorCode("BAD_ADDRESS");
    const reply = module.world.answerCall(target, bytes, module.name);
    module.calls.push({ name: target, request: bytes, reply });
    if (reply === null) return errorCode("CALL_FAILED");
    const kept = reply.subarray(0, PAYLOAD_MAX_BYTES);
    return module.copyOut(replyAddress, kept) ? BigInt(kept.length) : errorCode("BAD_ADDRESS");
  },
  reply(module, data, length) {
    if (!module.answering) return errorCode("NOT_IN_CALL");
    if (BigInt(length) > BigInt(PAYLOAD_MAX_BYTES)) return errorCode("TOO_LONG");
    const bytes = module.copyIn(data, length);
    if (bytes === null) return errorCode("BAD_ADDRESS");
    module.reply = bytes;
    return 0n;
  },
  payload(module, destination, length) {
    const payload = module.currentPayload;
    const copied = payload.subarray(0, Math.min(n(length), payload.length));
    return module.copyOut(destination, copied) ? BigInt(copied.length) : errorCode("BAD_ADDRESS");
  },
  event_name(module, destination, capacity) {
    const name = new TextEncoder().encode(module.currentEventName);
    return module.copyOut(destination, name.subarray(0, n(capacity))) ? BigInt(name.length) : errorCode("BAD_ADDRESS");
  },
  status(module, name, nameLength, destination) {
    const record = module.world.statusOf(text.decode(module.copyIn(name, nameLength)!), module);
    if (record === null) return errorCode("NOT_FOUND");
    return module.copyOut(destination, record) ? 0n : errorCode("BAD_ADDRESS");
  },
  handler_name(module, index, destination, capacity) {
    const name = module.world.handlerNameAt(n(index));
    if (name === null) return errorCode("NOT_FOUND");
    const bytes = new TextEncoder().encode(name);
    return module.copyOut(destination, bytes.subarray(0, n(capacity))) ? BigInt(bytes.length) : errorCode("BAD_ADDRESS");
  },
  // The network: a handler's sends are kept with its run's emits (handler.emitted: "udp:a.b.c.d:port",
  // "tcp:N", "close:N") and withdrawn if it traps. The harness has no network card or stack.
  udp_send(module, address, port, localPort, data, length) {
    if (n(port) === 0 || n(port) > 65535 || n(localPort) > 65535) return errorCode("BAD_ARGUMENT");
    if (n(length) > NET_DATA_MAX_BYTES) return errorCode("TOO_LONG");
    const bytes = module.copyIn(data, length);
    if (bytes === null) return errorCode("BAD_ADDRESS");
    const a = n(address) >>> 0;
    module.queueSend(`udp:${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}:${n(port)}`, bytes);
    return 0n;
  },
  tcp_connect(module, host, hostLength, port) {
    if (n(port) === 0 || n(port) > 65535) return errorCode("BAD_ARGUMENT");
    const connection = (0x80000000 | module.nextConnection++) >>> 0;
    module.connections.add(connection);
    module.queueSend(`connect:${connection}:${text.decode(module.copyIn(host, hostLength)!)}:${n(port)}`, new Uint8Array(0));
    return BigInt(connection);
  },
  tcp_send(module, connection, data, length) {
    if (!module.connections.has(n(connection) >>> 0)) return errorCode("NOT_FOUND");
    if (n(length) > NET_DATA_MAX_BYTES) return errorCode("TOO_LONG");
    const bytes = module.copyIn(data, length);
    if (bytes === null) return errorCode("BAD_ADDRESS");
    module.queueSend(`tcp:${n(connection)}`, bytes);
    return 0n;
  },
  tcp_close(module, connection) {
    if (!module.connections.has(n(connection) >>> 0)) return errorCode("NOT_FOUND");
    module.queueSend(`close:${n(connection)}`, new Uint8Array(0));
    return 0n;
  },
  net_config: () => errorCode("NO_NETWORK"),
  net_transmit: () => errorCode("NO_NETWORK"),
  net_deliver: () => errorCode("NO_NETWORK"),
  net_state: () => errorCode("NO_NETWORK"),
  net_ping: () => errorCode("NO_NETWORK"),
  abort(module, message, file, line, column) {
    const said = module.readString(n(message)) || "abort()";
    module.failure = `${said} at ${module.readString(n(file))}:${n(line)}:${n(column)}`;
    return 0n; // the harness then traps the run with TRAP_ABORT, as boot/gate_calls.c does
  },
  write(module, address, length) {
    const bytes = module.copyIn(address, BigInt(Math.min(n(length), TRANSFER_MAX_BYTES)));
    if (bytes === null) return errorCode("BAD_ADDRESS");
    module.print(text.decode(bytes));
    return BigInt(bytes.length);
  },
  read_line(module, destination, capacity) {
    const line = new TextEncoder().encode(module.nextInputLine());
    const room = Math.min(n(capacity), TRANSFER_MAX_BYTES);
    return module.copyOut(destination, line.subarray(0, room)) ? BigInt(line.length) : errorCode("BAD_ADDRESS");
  },
  file_size(module, path, pathLength) {
    const found = lookup(module, path, pathLength);
    if (typeof found === "bigint") return found;
    return found.kind === "directory" ? errorCode("IS_DIRECTORY") : BigInt(found.data.length);
  },
  file_read(module, path, pathLength, offset, destination, capacity) {
    const found = lookup(module, path, pathLength);
    if (typeof found === "bigint") return found;
    if (found.kind === "directory") return errorCode("IS_DIRECTORY");
    const start = Math.min(n(offset), found.data.length);
    const bytes = found.data.subarray(start, start + n(capacity));
    return module.copyOut(destination, bytes) ? BigInt(bytes.length) : errorCode("BAD_ADDRESS");
  },
  directory_entry(module, path, pathLength, index, destination, capacity) {
    const found = lookup(module, path, pathLength);
    if (typeof found === "bigint") return found;
    if (found.kind !== "directory") return errorCode("NOT_DIRECTORY");
    const child = found.children[n(index)];
    if (child === undefined) return errorCode("END");
    const name = new TextEncoder().encode(child.name).subarray(0, Math.min(n(capacity), PATH_MAX_BYTES));
    if (!module.copyOut(destination, name)) return errorCode("BAD_ADDRESS");
    return (BigInt(child.kind === "directory" ? 2 : 1) << 32n) | BigInt(name.length);
  },
  report(module, topic, option) {
    const name = module.world.reportTopic(n(topic));
    if (name === null) return errorCode("NOT_FOUND");
    if (name === "log" && n(option) > LOG_DEBUG) return errorCode("BAD_ARGUMENT");
    module.reports.push(name);
    module.print(`[report: ${name}]\n`);
    return 0n;
  },
  reset(module, name, nameLength) {
    const handler = text.decode(module.copyIn(name, nameLength)!);
    if (!module.world.knowsHandler(handler)) {
      module.print(`reset: no handler called '${handler}' (see: handlers)\n`);
      return errorCode("NOT_FOUND");
    }
    module.resets.push(handler);
    module.print(`reset: '${handler}' is back to its initial state\n`);
    return 0n;
  },
  // The harness runs one module: a program started here is recorded (module.started), not run.
  // RUN_HERE answers as if it ended normally (EXIT_ENDED); RUN_CONSOLE takes a console.
  run(module, name, nameLength, argumentsAddress, argumentsLength, mode) {
    if (n(mode) !== RUN_HERE && n(mode) !== RUN_CONSOLE) return errorCode("BAD_ARGUMENT");
    if (n(nameLength) > 64 || n(argumentsLength) > LINE_MAX_BYTES) return errorCode("TOO_LONG");
    const bytes = module.copyIn(name, nameLength);
    const argumentBytes = module.copyIn(argumentsAddress, argumentsLength);
    if (bytes === null || argumentBytes === null) return errorCode("BAD_ADDRESS");
    const program = text.decode(bytes);
    const argumentLine = text.decode(argumentBytes);
    if (n(mode) === RUN_HERE) {
      const problem = module.world.programProblem(program);
      if (problem !== null) {
        module.print(`run: ${problem}\n`);
        return errorCode("FAILED");
      }
      module.started.push({ name: program, argumentLine, here: true });
      return BigInt(constant("EXIT_ENDED"));
    }
    const console = module.world.startProgram(program);
    if (typeof console === "string") {
      module.print(`run: ${console}\n`);
      return errorCode("FAILED");
    }
    module.started.push({ name: program, argumentLine, here: false });
    module.print(`run: started '${program}' on console ${console}\n`);
    return BigInt(console);
  },
  arguments(module, destination, capacity) {
    const line = new TextEncoder().encode(module.argumentLine);
    return module.copyOut(destination, line.subarray(0, n(capacity))) ? BigInt(line.length) : errorCode("BAD_ADDRESS");
  },
  stop(module, console) {
    if (n(console) < 1 || n(console) > FOREGROUND_MAX || !module.world.stopProgram(n(console))) {
      module.print(`stop: no other program on console ${n(console)} (see: ps)\n`);
      return errorCode("NOT_FOUND");
    }
    module.print(`stop: stopping the program on console ${n(console)}\n`);
    return 0n;
  },
  sync(module) {
    return module.world.data === null ? errorCode("NO_DATA_DISK") : 0n; // the harness's files are durable once committed
  },
  // The data disk (data.ts): the gate resolved the path to match the grant; a handler's changes wait for its run's commit.
  data_size(module, path, pathLength) {
    const found = dataLookup(module, path, pathLength);
    return typeof found === "bigint" ? found : BigInt(found.length);
  },
  data_read(module, path, pathLength, offset, destination, capacity) {
    const found = dataLookup(module, path, pathLength);
    if (typeof found === "bigint") return found;
    const start = Math.min(n(offset), found.length);
    const bytes = found.subarray(start, start + n(capacity));
    return module.copyOut(destination, bytes) ? BigInt(bytes.length) : errorCode("BAD_ADDRESS");
  },
  data_entry(module, path, pathLength, index, destination, capacity) {
    const resolved = dataPath(module, path, pathLength);
    if (typeof resolved === "bigint") return resolved;
    const data = module.world.data!;
    if (!data.isDirectory(resolved)) return errorCode(data.get(resolved) === undefined ? "NOT_FOUND" : "NOT_DIRECTORY");
    const entry = data.entries(resolved)[n(index)];
    if (entry === undefined) return errorCode("END");
    const name = new TextEncoder().encode(entry.name).subarray(0, Math.min(n(capacity), PATH_MAX_BYTES));
    if (!module.copyOut(destination, name)) return errorCode("BAD_ADDRESS");
    return (BigInt(entry.directory ? 2 : 1) << 32n) | BigInt(name.length);
  },
  data_write(module, path, pathLength, address, length, mode) {
    if (n(mode) !== DATA_REPLACE && n(mode) !== DATA_APPEND) return errorCode("BAD_ARGUMENT");
    const resolved = dataChangePath(module, path, pathLength);
    if (typeof resolved === "bigint") return resolved;
    const bytes = module.copyIn(address, length);
    if (bytes === null) return errorCode("BAD_ADDRESS");
    const before = n(mode) === DATA_APPEND ? module.world.data!.get(resolved) ?? new Uint8Array(0) : new Uint8Array(0);
    if (before.length + bytes.length > DATA_FILE_MAX_BYTES) return errorCode("TOO_LONG");
    const contents = new Uint8Array(before.length + bytes.length);
    contents.set(before);
    contents.set(bytes, before.length);
    const problem = module.world.data!.change(resolved, contents, module.kind === "handler");
    return problem === null ? 0n : errorCode(problem);
  },
  data_remove(module, path, pathLength) {
    const resolved = dataChangePath(module, path, pathLength);
    if (typeof resolved === "bigint") return resolved;
    const data = module.world.data!;
    if (data.isDirectory(resolved)) return errorCode("IS_DIRECTORY");
    if (data.get(resolved) === undefined) return errorCode("NOT_FOUND");
    const problem = data.change(resolved, null, module.kind === "handler");
    return problem === null ? 0n : errorCode(problem);
  },
  power(module, kind) {
    const wanted = n(kind) === 1 ? "reboot" : n(kind) === 2 ? "power off" : null;
    if (wanted === null) return errorCode("NOT_FOUND");
    throw new PowerRequest(wanted); // a real machine does not come back; the harness ends the program
  },
};

/** A path of the boot filesystem the module named: the entry, or the error the kernel gives. */
function lookup(module: HarnessModule, path: number | bigint, length: number | bigint) {
  if (BigInt(length) > BigInt(PATH_MAX_BYTES)) return errorCode("TOO_LONG");
  const bytes = module.copyIn(path, length);
  if (bytes === null) return errorCode("BAD_ADDRESS");
  return module.world.files.lookup(text.decode(bytes)) ?? errorCode("NOT_FOUND");
}

/** A data disk path the module named, resolved as the kernel does, or the error it gives. */
function dataPath(module: HarnessModule, path: number | bigint, length: number | bigint): string | bigint {
  if (module.world.data === null) return errorCode("NO_DATA_DISK");
  if (BigInt(length) > BigInt(PATH_MAX_BYTES)) return errorCode("TOO_LONG");
  const bytes = module.copyIn(path, length);
  if (bytes === null) return errorCode("BAD_ADDRESS");
  return resolveDataPath(text.decode(bytes), module.name) ?? errorCode("BAD_PATH");
}

/** A file's contents as the module sees them now, or the error. */
function dataLookup(module: HarnessModule, path: number | bigint, length: number | bigint): Uint8Array | bigint {
  const resolved = dataPath(module, path, length);
  if (typeof resolved === "bigint") return resolved;
  if (module.world.data!.isDirectory(resolved)) return errorCode("IS_DIRECTORY");
  return module.world.data!.get(resolved) ?? errorCode("NOT_FOUND");
}

/** The path a write or removal changes, or the error: a handler's only in a run, at most DATA_WRITES_PER_RUN_MAX files a run. */
function dataChangePath(module: HarnessModule, path: number | bigint, length: number | bigint): string | bigint {
  const resolved = dataPath(module, path, length);
  if (typeof resolved === "bigint" || module.kind !== "handler") return resolved;
  if (!module.inRun) return errorCode("NOT_IN_RUN");
  const data = module.world.data!;
  return data.pendingCount >= DATA_WRITES_PER_RUN_MAX && !data.isPending(resolved) ? errorCode("WRITE_LIMIT") : resolved;
}

/** Declared calls the table above lacks (empty when the harness is complete). */
export function missingImplementations(): string[] {
  return calls.filter((call) => !(call.name in implementations)).map((call) => call.name);
}
