// The kernel–module interface, declared once: calls, capabilities, errors, traps, limits and records.
//
// Everything that crosses the boundary between the kernel and a handler or program module
// is written here and nowhere else. `toolchain/src/interface/generate.ts` turns it into
//
//   kernel/gate/interface.ts     the kernel's numbers, its call table's shape, the records
//   handlers/api/interface.ts    the imports and numbers the `optios` API library uses
//   boot/gate_interface.h        the same numbers for C, and one gate stub per call
//   boot/gate_calls.c            (each forwards to the kernel with the caller's module)
//
// and the toolchain imports it directly (build-time capability checks, limits it validates,
// the boot descriptor it writes). `make` regenerates the files when this one changes; a
// toolchain test fails when a generated file was edited by hand. Adding a call is one entry
// in `calls` plus its implementation in kernel/gate/. See docs/gate.md.

/** A call's argument as wasm passes it: an address or a 32-bit number (i32), or a 64-bit number (i64). */
export type ArgumentType = "address" | "u32" | "u64";

/** Who may make a call: handlers, programs, or both. The other kind is refused at build and run time. */
export type Caller = "both" | "handler" | "program";

export interface CallDeclaration {
  /** The import's name in the `optios` wasm module (and the C stub's): lower case with '_'. */
  name: string;
  /** Unique and stable: the kernel's table is indexed by it. 0 is never used. */
  number: number;
  /** The wasm import module: "optios", except AssemblyScript's own "env" imports. */
  module?: "optios" | "env";
  caller: Caller;
  /** The capability the call needs (a `capabilities` entry), or null when every module may make it. */
  capability: string | null;
  /** Named arguments in order; at most five. */
  arguments: Array<[string, ArgumentType]>;
  /** What the call does and returns; the result is a value ≥ 0 or a negative error code. */
  summary: string;
}

/** Every call a module can make. The result of every call is an i64: a value ≥ 0, or an error code below. */
export const calls: CallDeclaration[] = [
  { name: "log", number: 1, caller: "both", capability: null,
    arguments: [["level", "u32"], ["message", "address"], ["length", "u32"]],
    summary: "writes a line at a LOG_ level to the kernel log, control characters escaped (a handler's lines are held " +
      "until its run ends, and marked when it rolled back); 0" },
  { name: "time", number: 2, caller: "both", capability: null, arguments: [],
    summary: "nanoseconds since boot" },
  { name: "random", number: 3, caller: "both", capability: null, arguments: [],
    summary: "a fresh random 64-bit number (negative values are still random, not errors)" },
  { name: "emit", number: 4, caller: "both", capability: "emit",
    arguments: [["name", "address"], ["name_length", "u32"], ["payload", "address"], ["payload_length", "u32"]],
    summary: "posts an app event to every handler subscribed to it; the number of handlers that took it" },
  { name: "payload", number: 5, caller: "handler", capability: null, arguments: [["destination", "address"], ["length", "u32"]],
    summary: "copies the payload of the event being handled; the bytes copied" },
  { name: "status", number: 6, caller: "both", capability: "status",
    arguments: [["name", "address"], ["name_length", "u32"], ["destination", "address"]],
    summary: "writes the named handler's StatusRecord to destination; 0" },
  { name: "abort", number: 7, module: "env", caller: "both", capability: null,
    arguments: [["message", "address"], ["file", "address"], ["line", "u32"], ["column", "u32"]],
    summary: "AssemblyScript's abort() and throw: records message, file and line, then the run traps (never returns)" },
  { name: "write", number: 8, caller: "program", capability: null, arguments: [["text", "address"], ["length", "u32"]],
    summary: "writes to the program's own console; the bytes written" },
  { name: "read_line", number: 9, caller: "program", capability: null, arguments: [["destination", "address"], ["capacity", "u32"]],
    summary: "waits for a line typed on the program's console; its length" },
  { name: "file_size", number: 10, caller: "both", capability: "files", arguments: [["path", "address"], ["path_length", "u32"]],
    summary: "the size of a file of the boot filesystem" },
  { name: "file_read", number: 11, caller: "both", capability: "files",
    arguments: [["path", "address"], ["path_length", "u32"], ["offset", "u64"], ["destination", "address"], ["capacity", "u32"]],
    summary: "copies up to capacity bytes of a file from offset; the bytes copied" },
  { name: "directory_entry", number: 12, caller: "both", capability: "files",
    arguments: [["path", "address"], ["path_length", "u32"], ["index", "u32"], ["destination", "address"], ["capacity", "u32"]],
    summary: "the index-th entry of a directory: its name into destination; (kind << 32) | name length" },
  { name: "report", number: 13, caller: "program", capability: "report", arguments: [["topic", "u32"], ["option", "u32"]],
    summary: "writes a system report (REPORT_ topics) on the program's console; option: for REPORT_LOG the most " +
      "verbose LOG_ level shown (0: LOG_INFO); 0" },
  { name: "reset", number: 14, caller: "program", capability: "reset", arguments: [["name", "address"], ["name_length", "u32"]],
    summary: "puts a handler back to its initial state; 0" },
  { name: "run", number: 15, caller: "program", capability: "programs",
    arguments: [["name", "address"], ["name_length", "u32"], ["arguments", "address"], ["arguments_length", "u32"], ["mode", "u32"]],
    summary: "starts program /bin/<name> with an argument line: RUN_HERE on the caller's console, waiting until it " +
      "ends (its EXIT_ code); RUN_CONSOLE on the next free console (its console number)" },
  { name: "stop", number: 16, caller: "program", capability: "programs", arguments: [["console", "u32"]],
    summary: "stops the program on a console (1-4); 0" },
  { name: "power", number: 17, caller: "program", capability: "power", arguments: [["kind", "u32"]],
    summary: "reboots (POWER_REBOOT) or turns the machine off (POWER_OFF); returns only on failure" },
  { name: "wall_time", number: 18, caller: "both", capability: null, arguments: [],
    summary: "nanoseconds since 1970-01-01 00:00 UTC, from the real-time clock read at boot and the TSC since" },
  { name: "arguments", number: 19, caller: "program", capability: null, arguments: [["destination", "address"], ["capacity", "u32"]],
    summary: "copies the argument line the program was started with (run NAME ARGS…); its whole length" },
  { name: "event_name", number: 20, caller: "handler", capability: null, arguments: [["destination", "address"], ["capacity", "u32"]],
    summary: "copies the name of the event being handled: an app event's (door.opened), a message's sender, or boot or timer; its whole length" },
  { name: "post", number: 21, caller: "both", capability: "post",
    arguments: [["name", "address"], ["name_length", "u32"], ["message", "address"], ["message_length", "u32"]],
    summary: "queues a message for the named handler, which must take messages; a handler's posts are delivered once its run " +
      "commits (a rolled-back run posts nothing), in order; 0" },
  { name: "handler_call", number: 22, caller: "handler", capability: "call",
    arguments: [["name", "address"], ["name_length", "u32"], ["request", "address"], ["request_length", "u32"], ["reply", "address"]],
    summary: "runs the named handler (calls = true) for an EVENT_CALL nested in this run, as a sub-transaction, and copies its " +
      "reply (at most PAYLOAD_MAX_BYTES) to reply; the reply's length" },
  { name: "reply", number: 23, caller: "handler", capability: null, arguments: [["data", "address"], ["length", "u32"]],
    summary: "sets the reply of the EVENT_CALL being handled (the last one given wins); 0" },
  { name: "sync", number: 24, caller: "program", capability: null, arguments: [],
    summary: "flushes the data disk: every handler state written to it so far (group commits included) is durable; 0, or ERROR_NO_DATA_DISK" },
  { name: "handler_name", number: 32, caller: "both", capability: "status",
    arguments: [["index", "u32"], ["destination", "address"], ["capacity", "u32"]],
    summary: "copies the name of the index-th handler (0, 1, …; needs status:<its name>); the name's length, or ERROR_NOT_FOUND past the last" },
  // The network stack's calls (services/network/stack.c, the handler "net"; docs/network.md).
  { name: "net_config", number: 25, caller: "handler", capability: "net.stack", arguments: [["destination", "address"], ["capacity", "u32"]],
    summary: "writes the network configuration: a NetConfig record, then the hostname (NET_HOSTNAME_MAX_BYTES) and the UDP and " +
      "TCP ports handlers listen on (u16 × NET_PORTS_MAX each); the bytes written" },
  { name: "net_transmit", number: 26, caller: "handler", capability: "net.stack", arguments: [["frame", "address"], ["length", "u32"]],
    summary: "hands one Ethernet frame to the network card; 0, ERROR_QUEUE_FULL when its transmit ring is full, ERROR_TOO_LONG" },
  { name: "net_deliver", number: 27, caller: "handler", capability: "net.stack",
    arguments: [["header", "address"], ["data", "address"], ["length", "u32"]],
    summary: "queues what arrived for a handler (a NetDelivery header: a datagram, a connection opened, data, a close) to the " +
      "handler listening on its port; 0, ERROR_QUEUE_FULL (offer it again later), ERROR_NOT_FOUND" },
  { name: "net_state", number: 28, caller: "handler", capability: "net.stack", arguments: [["state", "address"], ["length", "u32"]],
    summary: "reports the stack's NetState (address, DHCP, counters) and when it next needs a timer event; 0" },
  { name: "udp_send", number: 29, caller: "handler", capability: "net.udp",
    arguments: [["address", "u32"], ["port", "u32"], ["local_port", "u32"], ["data", "address"], ["length", "u32"]],
    summary: "sends a UDP datagram (at most NET_DATA_MAX_BYTES) to an IPv4 address (a.b.c.d as (a << 24) | …) and port, from " +
      "local_port (needs net.udp:<local_port>; local port 0, any free port, needs net.send); it leaves when the run commits; 0" },
  { name: "tcp_connect", number: 34, caller: "handler", capability: "net.connect",
    arguments: [["host", "address"], ["host_length", "u32"], ["port", "u32"]],
    summary: "opens a TCP connection to host (an IPv4 address a.b.c.d, or a name the stack resolves by DNS) and port, when the run " +
      "commits (needs net.connect:<host>:<port>); the connection's number at once: EVENT_TCP_OPENED comes when it is open, " +
      "EVENT_TCP_CLOSED if it cannot be" },
  { name: "tcp_send", number: 30, caller: "handler", capability: null,
    arguments: [["connection", "u32"], ["data", "address"], ["length", "u32"]],
    summary: "writes data (at most NET_DATA_MAX_BYTES a call) to a TCP connection this handler was given (accepted with " +
      "net.tcp, or opened with net.connect); it leaves when the run commits; 0, or ERROR_NOT_FOUND for a connection that is not this handler's" },
  { name: "net_ping", number: 33, caller: "program", capability: "net.ping", arguments: [["address", "u32"], ["count", "u32"]],
    summary: "asks the network stack to send count ICMP echo requests (1 to 10) to an IPv4 address, a second apart; each answer, " +
      "or its absence, is a line in the kernel log; 0, or ERROR_NO_NETWORK" },
  { name: "tcp_close", number: 31, caller: "handler", capability: null, arguments: [["connection", "u32"]],
    summary: "closes a TCP connection this handler was given, after what it wrote; at the run's commit; 0, or ERROR_NOT_FOUND" },
  // Files on the data disk, under /data (kernel/gate/data_calls.ts; docs/storage.md). A path without a leading '/' is
  // in the caller's own directory, /data/<its name>/. A handler's writes and removals belong to its run: they are
  // seen by its own reads at once, reach the disk with its state when the run commits, and vanish if it rolls back.
  // A program's are durable when the call returns.
  { name: "data_size", number: 35, caller: "both", capability: "data.read", arguments: [["path", "address"], ["path_length", "u32"]],
    summary: "the size of a file on the data disk; ERROR_NOT_FOUND, ERROR_IS_DIRECTORY, ERROR_BAD_PATH, ERROR_NO_DATA_DISK" },
  { name: "data_read", number: 36, caller: "both", capability: "data.read",
    arguments: [["path", "address"], ["path_length", "u32"], ["offset", "u64"], ["destination", "address"], ["capacity", "u32"]],
    summary: "copies up to capacity bytes of a file on the data disk from offset; the bytes copied (0 at the end), or ERROR_CORRUPT " +
      "when the disk gives back other bytes than were written (the file is refused, not guessed)" },
  { name: "data_entry", number: 37, caller: "both", capability: "data.read",
    arguments: [["path", "address"], ["path_length", "u32"], ["index", "u32"], ["destination", "address"], ["capacity", "u32"]],
    summary: "the index-th entry of a directory on the data disk, in name order: its name into destination; (kind << 32) | name length, or ERROR_END" },
  { name: "data_write", number: 38, caller: "both", capability: "data",
    arguments: [["path", "address"], ["path_length", "u32"], ["data", "address"], ["length", "u32"], ["mode", "u32"]],
    summary: "writes a file on the data disk: DATA_REPLACE its whole contents, or DATA_APPEND after them (at most DATA_FILE_MAX_BYTES " +
      "in all, else ERROR_TOO_LONG); 0, or ERROR_NO_SPACE (the disk's file space or DATA_FILES_MAX), ERROR_WRITE_LIMIT, ERROR_IS_DIRECTORY, " +
      "ERROR_NOT_DIRECTORY, ERROR_NOT_IN_RUN (a handler's start code)" },
  { name: "data_remove", number: 39, caller: "both", capability: "data", arguments: [["path", "address"], ["path_length", "u32"]],
    summary: "removes a file from the data disk; 0, or ERROR_NOT_FOUND, ERROR_IS_DIRECTORY" },
];

/** What the report call can write, in REPORT_ number order (REPORT_HANDLERS = 1, …); also report:<topic>'s values. */
export const reportTopics = ["handlers", "memory", "log", "programs", "uptime", "capabilities", "disks", "network"];

/**
 * A capability's argument narrows it: `emit:door.opened`, `emit:door.*`, `status:*`. Kinds
 * with `argument: null` are whole (`power`); kinds with `values` accept only those (or `*`).
 */
export interface CapabilityDeclaration {
  name: string;
  /** Number used in the boot descriptor's grants and the kernel's tables (1-based, stable). */
  number: number;
  /** What the argument names, or null for a capability without one. */
  argument: "event" | "handler" | "topic" | "access" | "port" | "host" | "path" | null;
  values?: string[];
  /** The argument a plain entry (no ':') stands for; "<name>" is the module's name. Without one the argument is required. */
  defaultArgument?: string;
  /** A wider capability whose grant also admits this one's calls (data admits data.read's). */
  includedIn?: string;
  summary: string;
}

export const capabilities: CapabilityDeclaration[] = [
  { name: "emit", number: 1, argument: "event", summary: "emit app events whose name matches (emit:door.opened, emit:door.*)" },
  { name: "status", number: 2, argument: "handler", summary: "read the supervision counters of matching handlers (status:heartbeat, status:*)" },
  { name: "reset", number: 3, argument: "handler", summary: "reset matching handlers to their initial state (reset:*)" },
  { name: "report", number: 4, argument: "topic", values: reportTopics,
    summary: "have the kernel write a system report on the program's console (report:log, report:*)" },
  { name: "files", number: 5, argument: "access", values: ["read"], summary: "read files and list directories of the boot filesystem (files:read)" },
  { name: "programs", number: 6, argument: null, summary: "start and stop foreground programs" },
  { name: "power", number: 7, argument: null, summary: "reboot and turn the machine off" },
  { name: "post", number: 8, argument: "handler", summary: "post messages to matching handlers that take them (post:counter, post:*)" },
  { name: "call", number: 9, argument: "handler", summary: "call matching handlers that take calls, and wait for their reply (call:counter, call:*)" },
  { name: "net.stack", number: 10, argument: null,
    summary: "be the network stack: frames from and to the network card, delivering to the handlers that listen (the built-in handler net)" },
  { name: "net.udp", number: 11, argument: "port",
    summary: "take UDP datagrams to the port (with udp = [port] in the entry) and send from it (net.udp:7)" },
  { name: "net.tcp", number: 12, argument: "port",
    summary: "accept TCP connections to the port (with tcp = [port] in the entry; the handler then writes to and closes its own) (net.tcp:80)" },
  { name: "net.send", number: 13, argument: null, summary: "send UDP datagrams from any free port (udp_send with local port 0)" },
  { name: "net.connect", number: 15, argument: "host",
    summary: "open TCP connections to matching hosts and ports: net.connect:10.0.2.2:8080, net.connect:example.org:*, net.connect:*" },
  { name: "net.ping", number: 14, argument: null, summary: "have the network stack ping an address (the shell's ping)" },
  { name: "data", number: 16, argument: "path", defaultArgument: "/data/<name>/*",
    summary: "read, write and remove files on the data disk whose paths match (data:/data/notes/*); plain \"data\" is the module's own directory, /data/<name>/*" },
  { name: "data.read", number: 17, argument: "path", includedIn: "data",
    summary: "read files and list directories on the data disk whose paths match (data.read:/data/*); data grants it too" },
];

/** Names reserved for the next calls, so systems and docs can plan with them (refused as "not yet available"). */
export const reservedCapabilities: string[] = [];

/** Error codes: every call returns one of these (negative) or a value ≥ 0. */
export const errors: Array<{ name: string; code: number; text: string }> = [
  { name: "NOT_GRANTED", code: -1, text: "not granted: the module's capabilities do not allow this call" },
  { name: "BAD_ADDRESS", code: -2, text: "an address or length outside the module's memory" },
  { name: "NOT_FOUND", code: -3, text: "no such file, handler or program" },
  { name: "IS_DIRECTORY", code: -4, text: "is a directory" },
  { name: "NOT_DIRECTORY", code: -5, text: "not a directory" },
  { name: "END", code: -6, text: "no more entries" },
  { name: "TOO_LONG", code: -7, text: "a name or payload over its limit" },
  { name: "NO_SUBSCRIBER", code: -8, text: "no handler is subscribed to that event" },
  { name: "QUEUE_FULL", code: -9, text: "the event queue is full" },
  { name: "FAILED", code: -10, text: "the operation failed (the kernel said why on the console)" },
  { name: "WRONG_CALLER", code: -11, text: "a handler-only call from a program, or a program-only call from a handler" },
  { name: "UNKNOWN_CALL", code: -12, text: "no such call" },
  { name: "NO_WALL_CLOCK", code: -14, text: "the machine has no readable real-time clock" },
  { name: "EMIT_LIMIT", code: -13, text: "this run has emitted as many events as one run may (EMITS_PER_RUN_MAX)" },
  { name: "BAD_ARGUMENT", code: -15, text: "an argument outside the values the call takes" },
  { name: "NOT_ACCEPTING", code: -16, text: "that handler takes no messages (messages = true in its system.toml entry)" },
  { name: "NOT_CALLABLE", code: -17, text: "that handler takes no calls (calls = true in its system.toml entry)" },
  { name: "CALL_FAILED", code: -18, text: "the called handler trapped or overran; its changes were rolled back" },
  { name: "CALL_DEPTH", code: -19, text: "a handler answering a call may not call another (calls nest one deep)" },
  { name: "CALL_CYCLE", code: -20, text: "a handler may not call itself" },
  { name: "NOT_IN_CALL", code: -21, text: "reply outside the handling of a call (EVENT_CALL)" },
  { name: "NO_DATA_DISK", code: -23, text: "there is no data disk, or its state log stopped (see: df)" },
  { name: "NO_NETWORK", code: -24, text: "there is no network: no [network] in system.toml, or no network card (see: net)" },
  { name: "NO_SPACE", code: -25, text: "the data disk's space for files is full, or it holds DATA_FILES_MAX files (see: df)" },
  { name: "BAD_PATH", code: -26, text: "a path on the data disk must be /data/... or relative, its parts neither empty nor . or .., of printable ASCII but *" },
  { name: "CORRUPT", code: -27, text: "the data disk gave back other bytes than were written (the file's checksum fails; see: log)" },
  { name: "WRITE_LIMIT", code: -28, text: "this run has written or removed as many files as one run may (DATA_WRITES_PER_RUN_MAX)" },
  { name: "NOT_IN_RUN", code: -22, text: "a call outside a run (from a handler's start code): calls belong to a run's transaction" },
];

/** Why a run or a program ended: wasm2c's wasm_rt_trap_t kinds (0-8), then the kernel's own. */
export const traps: Array<{ name: string; kind: number; text: string }> = [
  { name: "NONE", kind: 0, text: "no trap" },
  { name: "OUT_OF_BOUNDS", kind: 1, text: "out-of-bounds memory access" },
  { name: "INTEGER_OVERFLOW", kind: 2, text: "integer overflow" },
  { name: "DIVIDE_BY_ZERO", kind: 3, text: "integer divide by zero" },
  { name: "INVALID_CONVERSION", kind: 4, text: "invalid conversion to integer" },
  { name: "UNREACHABLE", kind: 5, text: "unreachable executed" },
  { name: "BAD_INDIRECT_CALL", kind: 6, text: "bad indirect call" },
  { name: "UNCAUGHT_EXCEPTION", kind: 7, text: "uncaught exception" },
  { name: "STACK_EXHAUSTED", kind: 8, text: "call stack exhausted" },
  { name: "OVERRUN", kind: 100, text: "overran its budget" },
  { name: "ABORT", kind: 101, text: "aborted" },
  { name: "MEMORY_LIMIT", kind: 102, text: "memory limit reached" },
  { name: "DIRTY_LIMIT", kind: 103, text: "changed more pages in one run than a snapshot holds" },
];

/** Why a module image could not be loaded (boot/module_loader.c returns them negated). */
export const loadErrors: Array<{ name: string; code: number; text: string }> = [
  { name: "NOT_ELF", code: 1, text: "not an ELF file" },
  { name: "NOT_RELOCATABLE_X86_64", code: 2, text: "not a relocatable x86-64 object" },
  { name: "TRUNCATED", code: 3, text: "truncated or malformed ELF structure" },
  { name: "UNDEFINED_SYMBOL", code: 4, text: "undefined symbol" },
  { name: "BAD_RELOCATION", code: 5, text: "unsupported relocation" },
  { name: "NO_DESCRIPTOR", code: 6, text: "no optios_module descriptor" },
  { name: "ABI_MISMATCH", code: 7, text: "module ABI version mismatch" },
  { name: "NO_MEMORY", code: 8, text: "out of memory" },
  { name: "TOO_MANY_MODULES", code: 9, text: "every module slot is taken (MODULES_MAX)" },
];

/** Limits both sides of the boundary must agree on (kernel-only limits stay in kernel/params.ts). */
export const limits: Array<{ name: string; value: number; summary: string }> = [
  { name: "MODULES_MAX", value: 32, summary: "modules loaded at once, handlers and programs together (boot/modules.c's table)" },
  { name: "HANDLERS_MAX", value: 32, summary: "handler modules in a system" },
  { name: "BOOT_MODULES_MAX", value: 40, summary: "boot modules the kernel keeps from the loader: the handlers, the initrd, room to spare" },
  { name: "PROGRAMS_MAX", value: 16, summary: "programs in a system's /bin" },
  { name: "FOREGROUND_MAX", value: 4, summary: "foreground programs running at once, one per virtual console" },
  { name: "COMMAND_LINE_MAX_BYTES", value: 1024, summary: "the kernel command line kept; the rest is cut with a warning at boot" },
  { name: "NAME_MAX_BYTES", value: 32, summary: "a handler or program name" },
  { name: "EVENT_NAME_MAX_BYTES", value: 64, summary: "an app event name" },
  { name: "VERSION_MAX_BYTES", value: 64, summary: "a handler's version string" },
  { name: "PAYLOAD_MAX_BYTES", value: 256, summary: "an event payload (a network event's: NET_DATA_MAX_BYTES)" },
  { name: "NET_DATA_MAX_BYTES", value: 1472, summary: "a UDP datagram or a TCP chunk a handler receives or sends: one Ethernet frame's worth; longer datagrams are dropped and counted" },
  { name: "NET_PAYLOAD_MAX_BYTES", value: 1536, summary: "an event of the network stack: a frame (1518 at most), or a NetRequest and its data" },
  { name: "NET_HOST_MAX_BYTES", value: 253, summary: "a host name tcp_connect takes (DNS's limit)" },
  { name: "NET_HOSTNAME_MAX_BYTES", value: 64, summary: "the hostname sent in DHCP ([system] hostname)" },
  { name: "NET_HANDLER_PORTS_MAX", value: 4, summary: "UDP ports, and TCP ports, one handler may listen on (udp = [...], tcp = [...])" },
  { name: "NET_PORTS_MAX", value: 8, summary: "UDP ports, and TCP ports, handlers may listen on in one system" },
  { name: "EMITS_PER_RUN_MAX", value: 16, summary: "events one handler run may emit; more are refused with ERROR_EMIT_LIMIT" },
  { name: "QUEUE_DEPTH", value: 16, summary: "events and messages waiting for one handler by default (system.toml queue); more are refused (ERROR_QUEUE_FULL) and counted" },
  { name: "QUEUE_DEPTH_MAX", value: 256, summary: "the largest queue a handler may declare (system.toml queue)" },
  { name: "LOG_MAX_BYTES", value: 200, summary: "one log line from a module; longer lines are cut" },
  { name: "LINE_MAX_BYTES", value: 256, summary: "one line typed on a console" },
  { name: "TRANSFER_MAX_BYTES", value: 4096, summary: "bytes a program may write or a file read may copy in one call" },
  { name: "PATH_MAX_BYTES", value: 256, summary: "a path in the boot filesystem or on the data disk (/data/… as resolved)" },
  { name: "CAPABILITIES_MAX", value: 32, summary: "capabilities one module may be granted" },
  { name: "FAILURE_TEXT_MAX_BYTES", value: 160, summary: "the text kept of a module's last failure (abort message and place)" },
  { name: "DATA_LABEL_MAX_BYTES", value: 32, summary: "a data disk's label (optios disk create --label)" },
  { name: "DEPLOY_MODULE_MAX_BYTES", value: 1024 * 1024, summary: "a handler module sent to a running machine by optios deploy" },
  { name: "DATA_FILE_MAX_BYTES", value: 1024 * 1024, summary: "one file on the data disk" },
  { name: "DATA_FILES_MAX", value: 256, summary: "files on the data disk" },
  { name: "DATA_WRITES_PER_RUN_MAX", value: 16, summary: "files one handler run (with the handlers it calls) may write or remove" },
  { name: "DIRTY_PAGES_MAX", value: 1024, summary: "4 KiB pages one handler run may change (its snapshot's undo space)" },
  {
    name: "MODULE_MEMORY_MAX_BYTES", value: 256 * 1024 * 1024,
    summary: "one module's linear memory maximum (system.toml memory): boot/wasm_runtime.c reserves the whole maximum up front, " +
      "as one contiguous run of RAM below 4 GiB, and refuses 4 GiB (65536 pages) outright; 256 MiB (4096 pages) is a run a machine can give",
  },
];

/** Numbers with a meaning on both sides that are not errors, traps or limits. */
export const constants: Array<{ name: string; value: number; summary: string }> = [
  { name: "EVENT_BOOT", value: 1, summary: "event kind: the system started" },
  { name: "EVENT_TIMER", value: 2, summary: "event kind: a timer (every/after) fired" },
  { name: "EVENT_APP", value: 3, summary: "event kind: an app-defined event (emit)" },
  { name: "EVENT_CALL", value: 5, summary: "event kind: a synchronous call (call); Event.name is the caller's name; answer with reply()" },
  { name: "EVENT_MESSAGE", value: 4, summary: "event kind: a message posted to this handler (post); Event.name is the sender's name" },
  { name: "LOG_DELTA", value: 1, summary: "state log record kind: the pages one committed run changed" },
  { name: "LOG_CHECKPOINT", value: 2, summary: "state log record kind: a handler's whole state" },
  { name: "LOG_WRAP", value: 3, summary: "state log record kind: the log continues at its first sector" },
  { name: "LOG_FILE", value: 4, summary: "state log record kind: a file's whole contents, or its removal; it counts once its writer's next commit record is whole" },
  { name: "LOG_COMMIT", value: 5, summary: "state log record kind: the writer's file records since its last commit count (for writers without a state record)" },
  { name: "LOG_FILE_REMOVED", value: 1, summary: "a LOG_FILE record's flags (LogRecord.globalsBytes): the file is removed" },
  { name: "DATA_REPLACE", value: 0, summary: "data_write mode: the data becomes the file's whole contents" },
  { name: "DATA_APPEND", value: 1, summary: "data_write mode: the data goes after the file's contents (a new file if none)" },
  {
    name: "EVENT_UPGRADE", value: 6,
    summary: "event kind: this version was just deployed live over the one that ran (optios deploy); Event.payload is the previous version string; " +
      "a trap keeps the previous version running",
  },
  { name: "EVENT_FRAME", value: 7, summary: "event kind (the network stack only): an Ethernet frame from the network card; the payload is the frame" },
  { name: "EVENT_NET_REQUEST", value: 8, summary: "event kind (the network stack only): a handler's committed send; the payload is a NetRequest and its data" },
  { name: "EVENT_UDP", value: 9, summary: "event kind: a UDP datagram; Event.name is the sender's IPv4 address, Event.source its port << 16 | the local port; the payload is the data" },
  { name: "EVENT_TCP_OPENED", value: 10, summary: "event kind: a TCP connection was accepted, or one tcp_connect asked for is open; Event.source is its connection number, Event.name the peer's IPv4 address" },
  { name: "EVENT_TCP_DATA", value: 11, summary: "event kind: data arrived on a TCP connection (Event.source); the payload is the data" },
  { name: "EVENT_TCP_CLOSED", value: 12, summary: "event kind: the peer closed a TCP connection (Event.source), or it failed; it takes no more writes" },
  { name: "NET_CONFIG_DHCP", value: 1, summary: "NetConfig.flags: ask DHCP for the address (dhcp = true)" },
  { name: "NET_DHCP_STATIC", value: 0, summary: "NetState.dhcp: the static address from [network]" },
  { name: "NET_DHCP_REQUESTING", value: 1, summary: "NetState.dhcp: asking for a lease" },
  { name: "NET_DHCP_BOUND", value: 2, summary: "NetState.dhcp: a lease is held" },
  { name: "NET_DHCP_FALLBACK", value: 3, summary: "NetState.dhcp: no lease came in time; the static address is used" },
  { name: "NET_DHCP_WAITING", value: 4, summary: "NetState.dhcp: no lease came in time and there is no static address; still asking" },
  { name: "NET_DELIVERY_FORGET", value: 1, summary: "NetDelivery.flags: the connection is gone at the handler's own request; no event" },
  { name: "NET_UDP_SEND", value: 1, summary: "NetRequest.kind: send a UDP datagram" },
  { name: "NET_TCP_SEND", value: 2, summary: "NetRequest.kind: write to a TCP connection" },
  { name: "NET_TCP_CONNECT", value: 6, summary: "NetRequest.kind: open NetRequest.connection to the host (the data: a name or a.b.c.d) and NetRequest.port" },
  { name: "NET_PING", value: 5, summary: "NetRequest.kind: send NetRequest.port ICMP echo requests to NetRequest.address (net_ping)" },
  { name: "NET_TCP_ABORT", value: 4, summary: "NetRequest.kind: reset a TCP connection (the kernel's, when its handler's run for it failed)" },
  { name: "NET_TCP_CLOSE", value: 3, summary: "NetRequest.kind: write what follows (if anything), then close a TCP connection" },
  ...reportTopics.map((topic, index) => ({ name: `REPORT_${topic.toUpperCase()}`, value: index + 1, summary: `report topic: ${topic}` })),
  { name: "POWER_REBOOT", value: 1, summary: "power kind: restart the machine" },
  { name: "POWER_OFF", value: 2, summary: "power kind: turn the machine off" },
  { name: "ENTRY_FILE", value: 1, summary: "directory_entry kind: a file" },
  { name: "ENTRY_DIRECTORY", value: 2, summary: "directory_entry kind: a directory" },
  { name: "LOG_ERROR", value: 3, summary: "log level: something failed (syslog's err)" },
  { name: "LOG_WARNING", value: 4, summary: "log level: something looks wrong" },
  { name: "LOG_INFO", value: 6, summary: "log level: what happened (the default; shown with the default loglevel=6)" },
  { name: "LOG_DEBUG", value: 7, summary: "log level: detail, shown with loglevel=7 or the shell's log debug" },
  { name: "RUN_HERE", value: 1, summary: "run mode: on the caller's console; the caller waits until the program ends" },
  { name: "RUN_CONSOLE", value: 2, summary: "run mode: on the next free console; the caller goes on" },
  { name: "EXIT_ENDED", value: 0, summary: "how a program ended: its main() returned" },
  { name: "EXIT_STOPPED", value: 1, summary: "how a program ended: stopped (Ctrl-C or stop)" },
  { name: "EXIT_FAILED", value: 2, summary: "how a program ended: it trapped or aborted (its console says why)" },
];

/** A field of a record laid out in memory: little-endian, naturally aligned, no padding (checked). */
export type FieldType = "u8" | "u16" | "u32" | "u64";

export interface RecordDeclaration {
  name: string;
  summary: string;
  /** Which generated files get the record: the kernel, the module API, or both. */
  for: Array<"kernel" | "api" | "c">;
  fields: Array<[string, FieldType, string]>;
}

/** The boot descriptor's format version: the kernel refuses any other. */
export const DESCRIPTOR_VERSION = 4;
/** "OSDS" little-endian: the first four bytes of /etc/system.descriptor. */
export const DESCRIPTOR_MAGIC = 0x5344534f;
/** "ODPL" little-endian: the first four bytes of a transfer on the deploy port (DeployHeader). */
export const DEPLOY_MAGIC = 0x4c50444f;
/** The deploy port's transfer format version: the kernel refuses any other. */
export const DEPLOY_VERSION = 1;
/** "ODAT" little-endian: the first four bytes of a data disk's superblock (DataSuperblock; docs/storage.md). */
export const DATA_MAGIC = 0x5441444f;
/** The data disk's format version: the kernel leaves a disk of any other alone. */
export const DATA_FORMAT = 1;
/** "OREC" little-endian: the first four bytes of a state log record (LogRecord). */
export const LOG_MAGIC = 0x4345524f;
/** The first sector of the state log: after the superblock's two copies and room to grow. */
export const LOG_START_SECTOR = 8;

export const records: RecordDeclaration[] = [
  {
    name: "StatusRecord", for: ["kernel", "api"], summary: "a handler's supervision counters, as the status call writes them",
    fields: [
      ["runs", "u64", "runs that committed or failed"],
      ["failures", "u64", "runs that trapped or overran"],
      ["restarts", "u64", "resets to the initial state"],
      ["lastTrap", "u32", "the last failure's trap kind (TRAP_ constants), 0 for none"],
      ["consecutiveFailures", "u32", "failures since the last committed run"],
      ["quarantined", "u32", "1 when the handler no longer runs"],
      ["reserved", "u32", "0"],
      ["stateBytes", "u64", "its state: wasm memory in use and globals"],
    ],
  },
  {
    name: "SavedStateHeader", for: ["kernel"], summary: "the warm-reboot state area's header (kernel/handlers/saved_state.ts)",
    fields: [
      ["magic", "u64", "SAVED_STATE_MAGIC while the area holds state"],
      ["format", "u32", "SAVED_STATE_FORMAT"],
      ["entries", "u32", "SavedStateEntry records that follow"],
      ["payloadBytes", "u64", "bytes of entries after the header"],
      ["checksum", "u64", "FNV-1a-64 of those bytes"],
    ],
  },
  {
    name: "SavedStateEntry", for: ["kernel"],
    summary: "one handler's saved state: this, then its name (NAME_MAX_BYTES), version (VERSION_MAX_BYTES), globals and memory, padded to 8",
    fields: [
      ["nameLength", "u32", "bytes of the name field in use"],
      ["versionLength", "u32", "bytes of the version field in use"],
      ["globalsLayout", "u32", "the hash of the module's globals' types and order"],
      ["globalsBytes", "u32", "bytes of globals after the version field"],
      ["memoryBytes", "u64", "bytes of wasm memory after the globals"],
    ],
  },
  {
    name: "DescriptorHeader", for: ["kernel"], summary: "the boot descriptor's header (/etc/system.descriptor, written by the toolchain)",
    fields: [
      ["magic", "u32", "DESCRIPTOR_MAGIC"],
      ["version", "u32", "DESCRIPTOR_VERSION"],
      ["totalBytes", "u32", "the whole descriptor, header included"],
      ["checksum", "u32", "CRC-32 (IEEE) of every byte after the header"],
      ["handlerCount", "u32", "DescriptorHandler records after the header"],
      ["programCount", "u32", "DescriptorProgram records after the handlers"],
      ["grantCount", "u32", "DescriptorGrant records after the programs"],
      ["eventCount", "u32", "DescriptorString records (subscribed event names) after the grants"],
      ["stringBytes", "u32", "bytes of UTF-8 text after the events; string offsets count from there"],
      ["foregroundMax", "u32", "foreground programs running at once (1-4)"],
      ["deployPort", "u32", "1: take new handler versions on the deploy port, COM2 ([system] deploy = true)"],
      ["reserved", "u32", "0"],
      ["network", "u32", "1: the system has [network] (the handler net is its stack), 0: no network"],
      ["networkFlags", "u32", "NET_CONFIG_DHCP"],
      ["networkAddress", "u32", "[network] address, 0 for none"],
      ["networkPrefix", "u32", "its prefix length"],
      ["networkGateway", "u32", "[network] gateway, 0 for none"],
      ["networkDns", "u32", "[network] dns, 0 for none"],
      ["dhcpTimeoutMilliseconds", "u32", "[network] dhcp_timeout"],
      ["hostnameOffset", "u32", "[system] hostname in the strings"],
      ["hostnameLength", "u32", ""],
      ["reserved2", "u32", "0"],
    ],
  },
  {
    name: "DescriptorHandler", for: ["kernel"], summary: "one [[handlers]] entry of the boot descriptor",
    fields: [
      ["budgetNanoseconds", "u64", "how long one run may take"],
      ["everyNanoseconds", "u64", "a repeating timer's period, 0 for none"],
      ["afterNanoseconds", "u64", "a one-shot timer's delay after boot, 0 for none"],
      ["memoryBytes", "u64", "the module's memory limit"],
      ["nameOffset", "u32", "the handler's name in the strings"],
      ["nameLength", "u32", ""],
      ["versionOffset", "u32", "its version string"],
      ["versionLength", "u32", ""],
      ["firstEvent", "u32", "its subscriptions: eventCount event records from firstEvent"],
      ["eventCount", "u32", ""],
      ["firstGrant", "u32", "its capabilities: grantCount grant records from firstGrant"],
      ["grantCount", "u32", ""],
      ["runsAtBoot", "u32", "1: it gets the boot event"],
      ["queueDepth", "u32", "deliveries its queue holds (QUEUE_DEPTH by default, at most QUEUE_DEPTH_MAX)"],
      ["acceptsMessages", "u32", "1: other modules may post it messages"],
      ["acceptsCalls", "u32", "1: other handlers may call it"],
      ["moduleCrc", "u32", "CRC-32 (IEEE) of its module file: what a live deploy of this generation's module is checked against"],
      ["durability", "u32", "0: each committed run is written to the data disk and flushed before the next (\"commit\"); 1: not written (\"none\"); 2: written, flushed within durabilityInterval (\"interval:…\", group commit)"],
      ["durabilityInterval", "u64", "with durability 2: the longest a written commit waits for its flush, in nanoseconds"],
      ["udpPorts", "u64", "the UDP ports it listens on (udp = [...]): up to NET_HANDLER_PORTS_MAX u16s from the lowest bits, 0 ends"],
      ["tcpPorts", "u64", "the TCP ports it listens on (tcp = [...]), the same way"],
    ],
  },
  {
    name: "DescriptorProgram", for: ["kernel"], summary: "one [[programs]] entry of the boot descriptor",
    fields: [
      ["memoryBytes", "u64", "the module's memory limit"],
      ["nameOffset", "u32", "the program's name in the strings (its file is /bin/<name>)"],
      ["nameLength", "u32", ""],
      ["firstGrant", "u32", "its capabilities: grantCount grant records from firstGrant"],
      ["grantCount", "u32", ""],
      ["bootConsole", "u32", "the console it starts on at boot (1-4), 0 when it is not started at boot"],
      ["reserved", "u32", "0"],
    ],
  },
  {
    name: "DescriptorGrant", for: ["kernel"], summary: "one capability granted to a module",
    fields: [
      ["capability", "u32", "the capability's number (CAPABILITY_ constants)"],
      ["patternOffset", "u32", "its argument in the strings: a name, or a prefix ending in '*'; empty for none"],
      ["patternLength", "u32", ""],
      ["reserved", "u32", "0"],
    ],
  },
  {
    name: "DeployHeader", for: ["kernel"],
    summary: "a transfer on the deploy port (docs/upgrade.md): this, then the handler's name, the new generation's descriptor, the module",
    fields: [
      ["magic", "u32", "DEPLOY_MAGIC"],
      ["version", "u32", "DEPLOY_VERSION"],
      ["nameBytes", "u32", "bytes of the handler's name after the header (1 to NAME_MAX_BYTES)"],
      ["descriptorBytes", "u32", "bytes of the generation's boot descriptor after the name"],
      ["moduleBytes", "u32", "bytes of the handler's module after the descriptor (at most DEPLOY_MODULE_MAX_BYTES)"],
      ["reserved", "u32", "0"],
    ],
  },
  {
    name: "DataSuperblock", for: ["kernel"],
    summary: "a data disk's superblock, in sectors 0 and 1 (two copies; the valid one with the higher sequence counts); the label follows it",
    fields: [
      ["magic", "u32", "DATA_MAGIC"],
      ["format", "u32", "DATA_FORMAT"],
      ["sequence", "u64", "bumped by every superblock write, which goes to the other copy"],
      ["sectors", "u64", "the disk's size when it was formatted, in 512-byte sectors"],
      ["createdSeconds", "u64", "when it was formatted, seconds since 1970 (0: unknown)"],
      ["logTail", "u64", "the state log's oldest live record, a sector number (docs/storage.md)"],
      ["logSequence", "u64", "that record's sequence number"],
      ["labelBytes", "u32", "bytes of the label after this record (1 to DATA_LABEL_MAX_BYTES)"],
      ["checksum", "u32", "CRC-32 (IEEE) of the 512-byte sector with this field 0"],
    ],
  },
  {
    name: "LogRecord", for: ["kernel"],
    summary: "a record of the data disk's state log, in its first sector: then the writer's name (32 bytes), version (64) and, for a delta, its page table (u32s), " +
      "for a LOG_FILE the file's path; the payload (globals, pages; a file's bytes) follows in whole sectors",
    fields: [
      ["magic", "u32", "LOG_MAGIC"],
      ["kind", "u32", "LOG_DELTA (the pages a run changed), LOG_CHECKPOINT (every page in use), LOG_WRAP (continue at the log's start), LOG_FILE or LOG_COMMIT"],
      ["sequence", "u64", "one more than the record before it"],
      ["sectors", "u32", "the record's size, header included"],
      ["pageCount", "u32", "pages in the payload; LOG_FILE: the path's bytes"],
      ["globalsBytes", "u32", "bytes of globals at the payload's start (then padded to a sector); LOG_FILE: its flags (LOG_FILE_REMOVED)"],
      ["globalsLayout", "u32", "the hash of the module's globals layout"],
      ["memoryBytes", "u64", "the wasm memory in use after the run; LOG_FILE: the file's bytes"],
      ["nameBytes", "u32", "the writer's name: a handler or program, empty for the kernel's own copies"],
      ["versionBytes", "u32", ""],
      ["payloadChecksum", "u32", "CRC-32 of the payload"],
      ["headerChecksum", "u32", "CRC-32 of this 512-byte sector with this field 0"],
    ],
  },
  {
    name: "NetConfig", for: ["kernel", "c"],
    summary: "the network configuration net_config writes: this, then the hostname (NET_HOSTNAME_MAX_BYTES), then the UDP and the TCP ports (u16 × NET_PORTS_MAX each)",
    fields: [
      ["mac0", "u8", "the network card's MAC address"], ["mac1", "u8", ""], ["mac2", "u8", ""], ["mac3", "u8", ""], ["mac4", "u8", ""], ["mac5", "u8", ""],
      ["hostnameBytes", "u16", "bytes of the hostname in use"],
      ["flags", "u32", "NET_CONFIG_DHCP"],
      ["address", "u32", "the static IPv4 address ((a << 24) | …), 0 for none"],
      ["prefix", "u32", "its prefix length (24 for a /24)"],
      ["gateway", "u32", "the default gateway, 0 for none"],
      ["dns", "u32", "the DNS server, 0 for none (DHCP may give one)"],
      ["dhcpTimeoutMilliseconds", "u32", "how long after boot to wait for a lease before using the static address"],
      ["udpPortCount", "u32", "UDP ports in use after the hostname"],
      ["tcpPortCount", "u32", "TCP ports in use after the UDP ports"],
    ],
  },
  {
    name: "NetState", for: ["kernel", "c"], summary: "what the stack reports after each run (net_state): its address, DHCP and counters, for the shell's net",
    fields: [
      ["address", "u32", "the IPv4 address in use, 0 for none yet"],
      ["netmask", "u32", ""],
      ["gateway", "u32", ""],
      ["dns", "u32", ""],
      ["dhcp", "u32", "NET_DHCP_ state"],
      ["wakeMilliseconds", "u32", "when the stack next needs a timer event (0xffffffff: none)"],
      ["ipReceived", "u32", "IPv4 packets received"],
      ["ipDropped", "u32", "IPv4 packets dropped, all reasons"],
      ["ipChecksum", "u32", "of which: bad header checksum"],
      ["ipMalformed", "u32", "of which: bad length, version, options or protocol"],
      ["fragmentsDropped", "u32", "fragments dropped on arrival (reassembly limits)"],
      ["fragmentsReceived", "u32", "IPv4 fragments received, each held for reassembly"],
      ["reassembliesFailed", "u32", "datagrams whose reassembly was given up, its fragments freed: timed out, or evicted for a newer one"],
      ["udpReceived", "u32", ""],
      ["udpChecksum", "u32", "UDP datagrams with a bad checksum"],
      ["udpMalformed", "u32", "UDP datagrams with a bad length"],
      ["udpRefused", "u32", "UDP datagrams to a port nobody listens on (answered ICMP port unreachable)"],
      ["udpDropped", "u32", "UDP datagrams dropped, all reasons (closed port, checksum, length, too long for a handler, its queue full)"],
      ["tcpReceived", "u32", ""],
      ["tcpChecksum", "u32", ""],
      ["tcpMalformed", "u32", ""],
      ["tcpRefused", "u32", "TCP segments to a port nobody listens on (answered with a reset)"],
      ["tcpDropped", "u32", "TCP segments dropped, all reasons"],
      ["icmpEchoes", "u32", "ICMP echo replies sent"],
      ["arpDropped", "u32", ""],
      ["linkDropped", "u32", "frames the stack could not take (no buffer) or did not understand"],
      ["icmpErrorsSent", "u32", "ICMP errors sent: destination unreachable, time exceeded, parameter problem"],
      ["icmpErrorsLimited", "u32", "ICMP errors not sent: over the rate limit (services/network/stack.c)"],
      ["tcpHalfOpenDropped", "u32", "half-open TCP connections dropped to make room for a new SYN (the listener's backlog full)"],
      ["tcpNoConnection", "u32", "times TCP ran short of memory: no connection free for a SYN, or no buffer for a segment to send"],
    ],
  },
  {
    name: "NetDelivery", for: ["kernel", "c"], summary: "net_deliver's header: what arrived for a handler",
    fields: [
      ["kind", "u32", "EVENT_UDP, EVENT_TCP_OPENED, EVENT_TCP_DATA or EVENT_TCP_CLOSED"],
      ["address", "u32", "the peer's IPv4 address"],
      ["port", "u16", "the peer's port"],
      ["localPort", "u16", "the port it arrived on: who gets it"],
      ["connection", "u32", "a TCP connection's number, 0 for UDP"],
      ["flags", "u32", "NET_DELIVERY_FORGET with EVENT_TCP_CLOSED: the handler closed it; forget it without an event"],
      ["reserved", "u32", "0"],
    ],
  },
  {
    name: "NetRequest", for: ["kernel", "c"], summary: "the header of an EVENT_NET_REQUEST's payload: a handler's committed send; its data follows",
    fields: [
      ["kind", "u32", "NET_UDP_SEND, NET_TCP_SEND or NET_TCP_CLOSE"],
      ["handler", "u32", "the sending handler's number"],
      ["address", "u32", "UDP: the destination"],
      ["port", "u16", "UDP: the destination port"],
      ["localPort", "u16", "UDP: the port to send from, 0 for any"],
      ["connection", "u32", "TCP: the connection"],
      ["reserved", "u32", "0"],
    ],
  },
  {
    name: "DescriptorString", for: ["kernel"], summary: "a string of the descriptor's string area",
    fields: [
      ["offset", "u32", "from the start of the strings"],
      ["length", "u32", "in bytes"],
    ],
  },
];

/** Bytes of a field type. */
export function fieldBytes(type: FieldType): number {
  return { u8: 1, u16: 2, u32: 4, u64: 8 }[type];
}

/** Each field's offset, checking the natural alignment that makes C, AssemblyScript and DataView agree. */
export function recordLayout(record: RecordDeclaration): { offsets: Map<string, number>; bytes: number } {
  const offsets = new Map<string, number>();
  let offset = 0;
  for (const [name, type] of record.fields) {
    const size = fieldBytes(type);
    if (offset % size !== 0) throw new Error(`interface/optios.ts: ${record.name}.${name} at offset ${offset} is not ${size}-byte aligned; reorder the fields`);
    offsets.set(name, offset);
    offset += size;
  }
  if (offset % 8 !== 0) throw new Error(`interface/optios.ts: ${record.name} is ${offset} bytes; pad it to a multiple of 8`);
  return { offsets, bytes: offset };
}

export function recordNamed(name: string): RecordDeclaration {
  const record = records.find((candidate) => candidate.name === name);
  if (!record) throw new Error(`interface/optios.ts: no record ${name}`);
  return record;
}

export function capabilityNamed(name: string): CapabilityDeclaration | undefined {
  return capabilities.find((capability) => capability.name === name);
}

export function limit(name: string): number {
  const found = limits.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`interface/optios.ts: no limit ${name}`);
  return found.value;
}

export function constant(name: string): number {
  const found = constants.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`interface/optios.ts: no constant ${name}`);
  return found.value;
}
