// The boot descriptor: the system, compiled by the toolchain, read as typed records at boot.
//
// /etc/system.descriptor (toolchain/src/build/boot_descriptor.ts writes it) is little-endian:
//
//   DescriptorHeader                 magic, version, sizes, CRC-32 of everything after it
//   DescriptorHandler × handlerCount budgets, timers, memory, name/version, events, grants
//   DescriptorProgram × programCount memory, name, grants, the console it starts on at boot
//   DescriptorGrant   × grantCount   capability number and argument pattern
//   DescriptorString  × eventCount   subscribed event names
//   strings (stringBytes)            UTF-8 text every record points into
//
// The records are declared once, in interface/optios.ts. Every count, offset and length is
// checked before it is used; a descriptor that is missing, damaged or of another version is
// refused with a message naming what was wrong, and the kernel boots a safe system instead.

import { physicalCopyIn } from "../arch/x86_64/machine";
import { bootFilesystem, bootFilesystemProblem } from "../fs/boot_filesystem";
import { ENTRY_FILE } from "../fs/cpio";
import { Grant } from "../gate/callers";
import { equalsBytes } from "../console/text";
import { CAPABILITIES_MAX, CAPABILITY_FILES, CAPABILITY_POWER, CAPABILITY_REPORT, CAPABILITY_SLOTS, DESCRIPTOR_GRANT_BYTES,
  DESCRIPTOR_HANDLER_BYTES, DESCRIPTOR_HEADER_BYTES, DESCRIPTOR_MAGIC, DESCRIPTOR_PROGRAM_BYTES, DESCRIPTOR_STRING_BYTES,
  DESCRIPTOR_VERSION, QUEUE_DEPTH, QUEUE_DEPTH_MAX, DescriptorGrant, DescriptorHandler, DescriptorHeader, DescriptorProgram, DescriptorString, FOREGROUND_MAX,
  HANDLERS_MAX, NET_HOSTNAME_MAX_BYTES, PROGRAMS_MAX } from "../gate/interface";

export const DESCRIPTOR_PATH = "/etc/system.descriptor";
/** Largest descriptor read, in bytes: copied into kernel memory once, at boot. */
export const DESCRIPTOR_MAX_BYTES: u32 = 65536;

export class HandlerSettings {
  name: string = "";
  version: string = "";
  budgetNanoseconds: u64 = 0;
  everyNanoseconds: u64 = 0;
  afterNanoseconds: u64 = 0;
  memoryBytes: u64 = 0;
  runsAtBoot: bool = false;
  /** Deliveries its queue holds (system.toml queue). */
  queueDepth: i32 = QUEUE_DEPTH;
  /** Whether modules may post it messages (system.toml messages = true). */
  acceptsMessages: bool = false;
  /** Whether handlers may call it (system.toml calls = true). */
  acceptsCalls: bool = false;
  /** CRC-32 of its module file, which a live deploy's module must match (0: not recorded). */
  moduleCrc: u32 = 0;
  /** durability = "none": its state is not written to the data disk. */
  durabilityNone: bool = false;
  /** durability = "interval:…": a written commit waits at most this long for its flush (0: "commit", flushed at once). */
  durabilityIntervalNanoseconds: u64 = 0;
  /** UDP and TCP ports it listens on: up to NET_HANDLER_PORTS_MAX u16s from the lowest bits, 0 ends. */
  udpPorts: u64 = 0;
  tcpPorts: u64 = 0;
  events: string[] = [];
  grants: Grant[] = [];
}

/** [network] and the hostname: what the network stack is configured with (net_config). */
export class NetworkSettings {
  /** Whether the system has [network] (then the handler net is its stack). */
  enabled: bool = false;
  flags: u32 = 0;
  address: u32 = 0;
  prefix: u32 = 0;
  gateway: u32 = 0;
  dns: u32 = 0;
  dhcpTimeoutMilliseconds: u32 = 0;
  hostname: string = "";
}

export class ProgramSettings {
  name: string = "";
  memoryBytes: u64 = 0;
  /** The console it starts on at boot (1-4), 0 when it is only started by `run`. */
  bootConsole: u32 = 0;
  grants: Grant[] = [];
}

export class SystemDescriptor {
  foregroundMax: i32 = 1;
  /** Whether new handler versions are taken on the deploy port ([system] deploy = true). */
  deployPort: bool = false;
  handlers: HandlerSettings[] = [];
  programs: ProgramSettings[] = [];
  network: NetworkSettings = new NetworkSettings();
  /** "" when read; otherwise what was wrong, and the rest describes the safe system. */
  error: string = "";

  /** The program entry whose name is the `length` bytes at `address` (kernel memory), or null. */
  programNamed(address: usize, length: i32): ProgramSettings | null {
    for (let i = 0; i < this.programs.length; i++) if (equalsBytes(this.programs[i].name, address, length)) return this.programs[i];
    return null;
  }

  /** The handler entry called `name`, or null. */
  handler(name: string): HandlerSettings | null {
    for (let i = 0; i < this.handlers.length; i++) if (this.handlers[i].name == name) return this.handlers[i];
    return null;
  }
}

/** The system a missing or damaged descriptor leaves: no handlers, and the shell with what a rescue needs. */
export function safeSystem(error: string): SystemDescriptor {
  const system = new SystemDescriptor();
  system.error = error;
  const shell = new ProgramSettings();
  shell.name = "shell";
  shell.bootConsole = 1;
  shell.grants = [new Grant(CAPABILITY_REPORT, "*"), new Grant(CAPABILITY_FILES, "read"), new Grant(CAPABILITY_POWER, "")];
  system.programs.push(shell);
  return system;
}

/** Reads DESCRIPTOR_PATH from the boot filesystem; a safe system (with `error` set) when it cannot. */
export function loadDescriptor(): SystemDescriptor {
  const filesystem = bootFilesystem();
  if (filesystem == null) return safeSystem("no boot filesystem, so no " + DESCRIPTOR_PATH);
  if (bootFilesystemProblem().length > 0) return safeSystem("the boot filesystem is damaged, so its " + DESCRIPTOR_PATH + " is not used");
  const entry = filesystem.lookup(DESCRIPTOR_PATH);
  if (entry == null) return safeSystem(DESCRIPTOR_PATH + " is missing from the boot filesystem");
  if (entry.kind != ENTRY_FILE) return safeSystem(DESCRIPTOR_PATH + " is not a file");
  if (entry.size > <u64>DESCRIPTOR_MAX_BYTES) {
    return safeSystem(DESCRIPTOR_PATH + " is " + entry.size.toString() + " bytes; at most " + DESCRIPTOR_MAX_BYTES.toString() + " are read");
  }
  const bytes = new StaticArray<u8>(<i32>entry.size);
  physicalCopyIn(changetype<usize>(bytes), entry.address, <u32>entry.size);
  return readDescriptor(changetype<usize>(bytes), <u32>entry.size);
}

/** Reads a descriptor from `length` bytes at `base` in kernel memory; a safe system naming the problem when it is refused. */
export function readDescriptor(base: usize, length: u32): SystemDescriptor {
  const problem = checkDescriptor(base, length);
  if (problem.length > 0) return safeSystem(DESCRIPTOR_PATH + ": " + problem);
  const header = changetype<DescriptorHeader>(base);
  const system = new SystemDescriptor();
  system.foregroundMax = <i32>header.foregroundMax;
  system.deployPort = header.deployPort != 0;
  const layout = new Layout().at(base, header);
  const network = system.network;
  network.enabled = header.network != 0;
  network.flags = header.networkFlags;
  network.address = header.networkAddress;
  network.prefix = header.networkPrefix;
  network.gateway = header.networkGateway;
  network.dns = header.networkDns;
  network.dhcpTimeoutMilliseconds = header.dhcpTimeoutMilliseconds;
  network.hostname = layout.text(header.hostnameOffset, header.hostnameLength);
  for (let i: u32 = 0; i < header.handlerCount; i++) {
    const handler = new HandlerSettings();
    fillHandler(layout, layout.handler(i), handler, null);
    system.handlers.push(handler);
  }
  for (let i: u32 = 0; i < header.programCount; i++) {
    const record = layout.program(i);
    const program = new ProgramSettings();
    program.name = layout.text(record.nameOffset, record.nameLength);
    program.memoryBytes = record.memoryBytes;
    program.bootConsole = record.bootConsole;
    program.grants = layout.grants(record.firstGrant, record.grantCount);
    system.programs.push(program);
  }
  return system;
}

/** readHandlerEntry's answer when the descriptor has no handler of that name. */
export const NO_SUCH_HANDLER = "it has no handler of that name";

/**
 * For a live deploy: the entry of handler `name` in the descriptor at `base`, read into `into`.
 * What reads the same as the running entry (`running`: its version, events, grants) is the
 * running entry's own object, so deploying the same entry again makes nothing: the kernel's
 * runtime never frees. "" or why it cannot be read (the descriptor's problem, or NO_SUCH_HANDLER).
 */
export function readHandlerEntry(base: usize, length: u32, name: string, running: HandlerSettings | null, into: HandlerSettings): string {
  const problem = checkDescriptor(base, length);
  if (problem.length > 0) return DESCRIPTOR_PATH + ": " + problem;
  const header = changetype<DescriptorHeader>(base);
  const layout = scratchLayout.at(base, header);
  for (let i: u32 = 0; i < header.handlerCount; i++) {
    const record = layout.handler(i);
    if (!layout.textIs(record.nameOffset, record.nameLength, name)) continue;
    fillHandler(layout, record, into, running);
    return "";
  }
  return NO_SUCH_HANDLER;
}

/** `record`'s settings into `handler`; texts and lists that read the same as `known`'s (when given) are its objects. */
function fillHandler(layout: Layout, record: DescriptorHandler, handler: HandlerSettings, known: HandlerSettings | null): void {
  handler.name = known != null && layout.textIs(record.nameOffset, record.nameLength, known.name) ? known.name
    : layout.text(record.nameOffset, record.nameLength);
  handler.version = known != null && layout.textIs(record.versionOffset, record.versionLength, known.version) ? known.version
    : layout.text(record.versionOffset, record.versionLength);
  handler.budgetNanoseconds = record.budgetNanoseconds;
  handler.everyNanoseconds = record.everyNanoseconds;
  handler.afterNanoseconds = record.afterNanoseconds;
  handler.memoryBytes = record.memoryBytes;
  handler.runsAtBoot = record.runsAtBoot != 0;
  handler.queueDepth = <i32>record.queueDepth;
  handler.acceptsMessages = record.acceptsMessages != 0;
  handler.acceptsCalls = record.acceptsCalls != 0;
  handler.moduleCrc = record.moduleCrc;
  handler.durabilityNone = record.durability == 1;
  handler.durabilityIntervalNanoseconds = record.durability == 2 ? record.durabilityInterval : 0;
  handler.udpPorts = record.udpPorts;
  handler.tcpPorts = record.tcpPorts;
  if (known != null && layout.sameEvents(record, known.events)) handler.events = known.events;
  else {
    handler.events = new Array<string>();
    for (let e: u32 = 0; e < record.eventCount; e++) {
      const event = layout.event(record.firstEvent + e);
      handler.events.push(layout.text(event.offset, event.length));
    }
  }
  handler.grants = known != null && layout.sameGrants(record.firstGrant, record.grantCount, known.grants) ? known.grants
    : layout.grants(record.firstGrant, record.grantCount);
}

/** The records of a descriptor at `base`, found from the header's counts (checked before use). */
class Layout {
  private handlers: usize = 0;
  private programs: usize = 0;
  private grantTable: usize = 0;
  private events: usize = 0;
  private strings: usize = 0;

  /** This layout, now of the descriptor at `base` (one is reused for checks and deploys, which must not allocate). */
  at(base: usize, header: DescriptorHeader): Layout {
    this.handlers = base + DESCRIPTOR_HEADER_BYTES;
    this.programs = this.handlers + <usize>header.handlerCount * DESCRIPTOR_HANDLER_BYTES;
    this.grantTable = this.programs + <usize>header.programCount * DESCRIPTOR_PROGRAM_BYTES;
    this.events = this.grantTable + <usize>header.grantCount * DESCRIPTOR_GRANT_BYTES;
    this.strings = this.events + <usize>header.eventCount * DESCRIPTOR_STRING_BYTES;
    return this;
  }

  handler(index: u32): DescriptorHandler {
    return changetype<DescriptorHandler>(this.handlers + <usize>index * DESCRIPTOR_HANDLER_BYTES);
  }

  program(index: u32): DescriptorProgram {
    return changetype<DescriptorProgram>(this.programs + <usize>index * DESCRIPTOR_PROGRAM_BYTES);
  }

  grant(index: u32): DescriptorGrant {
    return changetype<DescriptorGrant>(this.grantTable + <usize>index * DESCRIPTOR_GRANT_BYTES);
  }

  event(index: u32): DescriptorString {
    return changetype<DescriptorString>(this.events + <usize>index * DESCRIPTOR_STRING_BYTES);
  }

  text(offset: u32, length: u32): string {
    return String.UTF8.decodeUnsafe(this.strings + offset, length);
  }

  /** Whether the text at `offset` is `value` (ASCII, as names are), compared where it lies. */
  textIs(offset: u32, length: u32, value: string): bool {
    return equalsBytes(value, this.strings + offset, <i32>length);
  }

  /** Whether `record`'s events read as `events`. */
  sameEvents(record: DescriptorHandler, events: string[]): bool {
    if (<u32>events.length != record.eventCount) return false;
    for (let e: u32 = 0; e < record.eventCount; e++) {
      const event = this.event(record.firstEvent + e);
      if (!this.textIs(event.offset, event.length, events[<i32>e])) return false;
    }
    return true;
  }

  /** Whether the `count` grants from `first` read as `grants`. */
  sameGrants(first: u32, count: u32, grants: Grant[]): bool {
    if (<u32>grants.length != count) return false;
    for (let g: u32 = 0; g < count; g++) {
      const record = this.grant(first + g);
      if (record.capability != grants[<i32>g].capability || !this.textIs(record.patternOffset, record.patternLength, grants[<i32>g].pattern)) return false;
    }
    return true;
  }

  grants(first: u32, count: u32): Grant[] {
    const grants = new Array<Grant>();
    for (let g: u32 = 0; g < count; g++) {
      const record = this.grant(first + g);
      grants.push(new Grant(record.capability, this.text(record.patternOffset, record.patternLength)));
    }
    return grants;
  }
}

/** The layout checks and deploys use (they must not allocate: the kernel's runtime never frees). */
const scratchLayout = new Layout();

/** What is wrong with the descriptor, or "" when every field can be trusted. */
export function checkDescriptor(base: usize, length: u32): string {
  if (length < DESCRIPTOR_HEADER_BYTES) {
    return "truncated: " + length.toString() + " bytes, shorter than its " + DESCRIPTOR_HEADER_BYTES.toString() + "-byte header";
  }
  const header = changetype<DescriptorHeader>(base);
  if (header.magic != DESCRIPTOR_MAGIC) {
    return "not a boot descriptor (magic 0x" + header.magic.toString(16) + ", expected 0x" + DESCRIPTOR_MAGIC.toString(16) + ")";
  }
  if (header.version != DESCRIPTOR_VERSION) {
    return "format version " + header.version.toString() + ", but this kernel reads version " + DESCRIPTOR_VERSION.toString() +
      " (build the system and the kernel with the same toolchain)";
  }
  if (header.totalBytes != length) {
    return "truncated: the header says " + header.totalBytes.toString() + " bytes, the file has " + length.toString();
  }
  const sum = crc32(base + DESCRIPTOR_HEADER_BYTES, length - DESCRIPTOR_HEADER_BYTES);
  if (sum != header.checksum) {
    return "damaged: checksum 0x" + sum.toString(16) + " does not match the recorded 0x" + header.checksum.toString(16);
  }
  if (header.handlerCount > <u32>HANDLERS_MAX) {
    return "counts out of range: " + header.handlerCount.toString() + " handlers, more than the " + HANDLERS_MAX.toString() + " this kernel runs";
  }
  if (header.programCount > <u32>PROGRAMS_MAX) {
    return "counts out of range: " + header.programCount.toString() + " programs, more than the " + PROGRAMS_MAX.toString() + " this kernel knows";
  }
  if (header.foregroundMax < 1 || header.foregroundMax > <u32>FOREGROUND_MAX) {
    return "foreground max " + header.foregroundMax.toString() + " is out of range (1 to " + FOREGROUND_MAX.toString() + ")";
  }
  const tables = <u64>DESCRIPTOR_HEADER_BYTES + <u64>header.handlerCount * DESCRIPTOR_HANDLER_BYTES +
    <u64>header.programCount * DESCRIPTOR_PROGRAM_BYTES + <u64>header.grantCount * DESCRIPTOR_GRANT_BYTES +
    <u64>header.eventCount * DESCRIPTOR_STRING_BYTES + <u64>header.stringBytes;
  if (tables != <u64>length) {
    return "counts out of range: its tables and strings need " + tables.toString() + " bytes, the file has " + length.toString();
  }
  return checkRecords(scratchLayout.at(base, header), header);
}

function checkRecords(layout: Layout, header: DescriptorHeader): string {
  const strings = header.stringBytes;
  if (!inside(header.hostnameOffset, header.hostnameLength, strings) || header.hostnameLength > <u32>NET_HOSTNAME_MAX_BYTES) {
    return "the hostname lies outside the strings";
  }
  if (header.networkPrefix > 32) return "[network] prefix " + header.networkPrefix.toString() + " (0 to 32)";
  for (let i: u32 = 0; i < header.handlerCount; i++) {
    const record = layout.handler(i);
    const where = "handler #"; // + its number, made only for a message: a check must not allocate (a deploy checks one)
    if (record.nameLength == 0 || !inside(record.nameOffset, record.nameLength, strings)) return where + (i + 1).toString() + ": its name lies outside the strings";
    if (!inside(record.versionOffset, record.versionLength, strings)) return where + (i + 1).toString() + ": its version lies outside the strings";
    if (!inside(record.firstEvent, record.eventCount, header.eventCount)) return where + (i + 1).toString() + ": its events lie outside the event table";
    if (record.grantCount > <u32>CAPABILITIES_MAX || !inside(record.firstGrant, record.grantCount, header.grantCount)) {
      return where + (i + 1).toString() + ": its capabilities lie outside the grant table";
    }
    if (record.budgetNanoseconds == 0) return where + (i + 1).toString() + ": a budget of 0";
    if (record.queueDepth < 1 || record.queueDepth > <u32>QUEUE_DEPTH_MAX) {
      return where + (i + 1).toString() + ": a queue of " + record.queueDepth.toString() + " (1 to " + QUEUE_DEPTH_MAX.toString() + ")";
    }
  }
  for (let i: u32 = 0; i < header.programCount; i++) {
    const record = layout.program(i);
    const where = "program #";
    if (record.nameLength == 0 || !inside(record.nameOffset, record.nameLength, strings)) return where + (i + 1).toString() + ": its name lies outside the strings";
    if (record.grantCount > <u32>CAPABILITIES_MAX || !inside(record.firstGrant, record.grantCount, header.grantCount)) {
      return where + (i + 1).toString() + ": its capabilities lie outside the grant table";
    }
    if (record.bootConsole > <u32>FOREGROUND_MAX) return where + (i + 1).toString() + ": boot console " + record.bootConsole.toString() + " is out of range";
  }
  for (let i: u32 = 0; i < header.grantCount; i++) {
    const record = layout.grant(i);
    if (record.capability == 0 || record.capability >= <u32>CAPABILITY_SLOTS) {
      return "grant #" + (i + 1).toString() + ": unknown capability number " + record.capability.toString();
    }
    if (!inside(record.patternOffset, record.patternLength, strings)) return "grant #" + (i + 1).toString() + ": its argument lies outside the strings";
  }
  for (let i: u32 = 0; i < header.eventCount; i++) {
    const record = layout.event(i);
    if (!inside(record.offset, record.length, strings)) return "event #" + (i + 1).toString() + ": its name lies outside the strings";
  }
  return "";
}

function inside(offset: u32, length: u32, size: u32): bool {
  return <u64>offset + <u64>length <= <u64>size;
}

/**
 * CRC-32 (IEEE 802.3, reflected, as zlib computes it) of `length` bytes at `address`; pass
 * the CRC of the bytes before them as `previous` to go on (zlib's crc32(data, previous)).
 */
export function crc32(address: usize, length: u32, previous: u32 = 0): u32 {
  let crc: u32 = ~previous;
  for (let i: u32 = 0; i < length; i++) {
    crc ^= <u32>load<u8>(address + i);
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & (0 - (crc & 1)));
  }
  return ~crc;
}

const crcChunk = new StaticArray<u8>(4096);

/** crc32 of `length` bytes of physical memory at `address`, a chunk at a time; `previous` goes on from earlier bytes. */
export function physicalCrc32(address: u64, length: u64, previous: u32 = 0): u32 {
  let crc = previous;
  for (let done: u64 = 0; done < length;) {
    const part = <u32>min<u64>(length - done, <u64>crcChunk.length);
    physicalCopyIn(changetype<usize>(crcChunk), address + done, part);
    crc = crc32(changetype<usize>(crcChunk), part, crc);
    done += part;
  }
  return crc;
}
