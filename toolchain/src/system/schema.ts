// The typed shape of a system: what each system.toml section holds once validated.
//
// Everything here is normalised: durations in nanoseconds, sizes in bytes, hostnames in
// lower case, handler and program sources relative to the top-level system.toml's directory
// with '/' separators, so the same system written two ways has one canonical JSON form and one hash.
// Limits the kernel shares (name lengths, foreground programs) come from interface/optios.ts.
import { limit } from "../../../interface/optios.ts";

/** When a handler runs. At least one trigger is required; several may be combined. */
export interface HandlerTriggers {
  /** Period of a repeating timer (`every = "250ms"`), or null. */
  everyNanoseconds: number | null;
  /** Delay of a one-shot timer after boot (`after = "2s"`), or null. */
  afterNanoseconds: number | null;
  /** App-defined events that run the handler (`events = ["door-opened"]`). */
  events: string[];
  /** Whether the handler runs once at boot (`boot = true`). */
  boot: boolean;
  /** Whether other modules may post it messages (`messages = true`; they need post:<name>). */
  messages: boolean;
  /** Whether other handlers may call it (`calls = true`; they need call:<name>). */
  calls: boolean;
  /** UDP ports whose datagrams it gets (`udp = [7]`; each needs net.udp:<port>). */
  udp: number[];
  /** TCP ports whose connections it accepts (`tcp = [80]`; each needs net.tcp:<port>). */
  tcp: number[];
}

export interface HandlerConfig {
  name: string;
  /**
   * The handler's source — AssemblyScript (.ts) or WebAssembly text (.wat, docs/handlers.md) —
   * relative to the top-level system.toml's folder.
   */
  source: string;
  /** The handler's declared version; a new version resets its snapshot. */
  version: string;
  triggers: HandlerTriggers;
  /** How long one run may take before it is stopped (`budget = "10ms"`). */
  budgetNanoseconds: number;
  /** The handler's linear memory limit, a whole number of 64 KiB pages (`memory = "1MiB"`). */
  memoryBytes: number;
  /** What the handler may do beyond log, time, random and its own events ("emit:door.*", "power"); docs/gate.md. */
  capabilities: string[];
  /** Events and messages its queue holds (`queue = 64`; QUEUE_DEPTH by default). */
  queueDepth: number;
  /**
   * `durability = "none"`: its state is not written to the data disk; `"interval:1s"`: written at
   * each commit, flushed within the interval (group commit). Absent: "commit", each committed run flushed.
   */
  durability?: "none" | "interval";
  /** With `durability: "interval"`: the interval, in nanoseconds. */
  durabilityIntervalNanoseconds?: number;
}

/** A foreground program: an AssemblyScript module compiled like a handler, run on a virtual console. */
export interface ProgramConfig {
  name: string;
  /** The program's AssemblyScript source, relative to the top-level system.toml's folder. */
  source: string;
  /** The program's linear memory limit, a whole number of 64 KiB pages (`memory = "1MiB"`). */
  memoryBytes: number;
  /** What the program may do beyond its console, log, time and random; docs/gate.md. */
  capabilities: string[];
}

export interface SystemConfig {
  system: {
    /** An RFC 1123 label, lower case. */
    hostname: string;
    version: string;
    /** How many generations `gc` keeps and the boot menu lists. */
    keepGenerations: number;
    /** Whether the running machine takes new handler versions on its deploy port, COM2 (`optios deploy`; docs/upgrade.md). */
    deploy: boolean;
  };
  foreground: {
    /** How many foreground programs may run at once, time-sliced (1 to 4). */
    max: number;
    /** Programs started at boot, one per virtual console, in order: names of `programs` entries, at most `max`. */
    programs: string[];
  };
  handlers: HandlerConfig[];
  /** Every declared program, in include order; `foreground.programs` says which start at boot. */
  programs: ProgramConfig[];
  /** `[network]`: null when the system has none (then no network stack is built or run). */
  network: NetworkConfig | null;
}

/** `[network]` (docs/network.md): DHCP by default, or a static address, or DHCP falling back to one. */
export interface NetworkConfig {
  /** Ask DHCP for an address (`dhcp = true`, the default). */
  dhcp: boolean;
  /** The static address (`address = "10.0.2.15/24"`) as its dotted quad, or null. */
  address: string | null;
  /** Its prefix length (24). */
  prefix: number;
  gateway: string | null;
  dns: string | null;
  /** How long to wait for a lease before using the static address (`dhcp_timeout = "10s"`). */
  dhcpTimeoutNanoseconds: number;
}

/** The network stack: the handler the build adds when the system has [network] (services/network/stack.c). */
export const NETWORK_STACK = {
  name: "net",
  source: "services/network/stack.c",
  version: "lwip-2.1.3/2",
  budgetNanoseconds: 20_000_000,
  memoryBytes: 1024 * 1024,
  queueDepth: 128,
};
export const DEFAULT_DHCP_TIMEOUT_NANOSECONDS = 10_000_000_000;

export const DEFAULT_BUDGET_NANOSECONDS = 10_000_000;
export const DEFAULT_MEMORY_BYTES = 1024 * 1024;
export const DEFAULT_KEEP_GENERATIONS = 5;
export const DEFAULT_FOREGROUND_MAX = 1;
export const MAXIMUM_FOREGROUND = limit("FOREGROUND_MAX");
export const MAXIMUM_KEEP_GENERATIONS = 100;

/**
 * What the toolchain reads, bounded so a mistaken path cannot exhaust it: a system.toml or
 * module file is a regular file of at most 1 MiB (the largest in the repository is under
 * 2 KiB); a handler or program source at most 4 MiB (asc reads it whole); includes nest at
 * most 32 deep (systems/ nest 2).
 */
export const SYSTEM_FILE_MAX_BYTES = 1024 * 1024;
export const SOURCE_FILE_MAX_BYTES = 4 * 1024 * 1024;
export const INCLUDE_DEPTH_MAX = 32;

/** Keys allowed in each place; the did-you-mean suggestions are drawn from these lists. */
export const TOP_LEVEL_KEYS = ["include", "system", "foreground", "handlers", "programs", "network"] as const;
export const NETWORK_KEYS = ["dhcp", "address", "gateway", "dns", "dhcp_timeout"] as const;
export const SYSTEM_KEYS = ["hostname", "version", "keep_generations", "deploy"] as const;
export const FOREGROUND_KEYS = ["max", "programs"] as const;
export const HANDLER_KEYS = ["name", "source", "version", "every", "after", "events", "boot", "messages", "calls", "udp", "tcp", "queue", "budget", "memory",
  "durability", "capabilities"] as const;
export const PROGRAM_KEYS = ["name", "source", "memory", "capabilities"] as const;

/** RFC 1123 host name label: letters, digits and '-', 1 to 63, not starting or ending with '-'. */
export const HOSTNAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
export const HOSTNAME_FORM = "an RFC 1123 label (1 to 63 letters, digits or '-', not starting or ending with '-')";

/** Handler and program names: used in store paths and module names; the kernel keeps NAME_MAX_BYTES. */
export const NAME_PATTERN = new RegExp(`^[a-z][a-z0-9_-]{0,${limit("NAME_MAX_BYTES") - 1}}$`);
export const NAME_FORM = `a name of 1 to ${limit("NAME_MAX_BYTES")} lower-case letters, digits, '_' or '-', starting with a letter`;

/** App-defined event names may also use '.' to group them ("door.opened"); the kernel keeps EVENT_NAME_MAX_BYTES. */
export const EVENT_PATTERN = new RegExp(`^[a-z][a-z0-9_.-]{0,${limit("EVENT_NAME_MAX_BYTES") - 1}}$`);
export const EVENT_FORM = `an event name of 1 to ${limit("EVENT_NAME_MAX_BYTES")} lower-case letters, digits, '_', '-' or '.', starting with a letter`;

/** Versions are short printable strings without spaces, compared for equality only; the kernel keeps VERSION_MAX_BYTES. */
export const VERSION_PATTERN = new RegExp(`^[\\x21-\\x7e]{1,${limit("VERSION_MAX_BYTES")}}$`);
export const VERSION_FORM = `a version string of 1 to ${limit("VERSION_MAX_BYTES")} printable characters without spaces`;
