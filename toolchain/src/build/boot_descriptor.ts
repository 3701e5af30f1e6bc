// The boot descriptor: the resolved system as the typed binary records the kernel reads at boot.
//
//   LoadedSystem ─encodeDescriptor─► build/initrd/etc/system.descriptor
//
// The layout (header, handler, program, grant and string records, then UTF-8 strings) is
// declared in interface/optios.ts and read by kernel/config/boot_descriptor.ts; this file
// only fills it in. The same system always gives the same bytes.
import { crc32 } from "node:zlib";
import {
  capabilityNamed, constant, DESCRIPTOR_MAGIC, DESCRIPTOR_VERSION, recordLayout, recordNamed, type RecordDeclaration,
} from "../../../interface/optios.ts";
import type { SystemConfig } from "../system/schema.ts";
import { grantPattern, parseCapability } from "../system/capabilities.ts";

type Values = Record<string, number | bigint>;

/** Writes `values` into `view` at `offset` as the record declares its fields. */
function writeRecord(view: DataView, offset: number, record: RecordDeclaration, values: Values): void {
  const { offsets } = recordLayout(record);
  for (const [name, type] of record.fields) {
    const at = offset + offsets.get(name)!;
    const value = values[name] ?? 0;
    if (type === "u64") view.setBigUint64(at, BigInt(value), true);
    else if (type === "u32") view.setUint32(at, Number(value), true);
    else if (type === "u16") view.setUint16(at, Number(value), true);
    else view.setUint8(at, Number(value));
  }
}

/** The strings area: each distinct string once, in first-use order. */
class Strings {
  private readonly offsets = new Map<string, number>();
  private readonly parts: Buffer[] = [];
  private bytes = 0;

  add(text: string): { offset: number; length: number } {
    const encoded = Buffer.from(text, "utf8");
    let offset = this.offsets.get(text);
    if (offset === undefined) {
      offset = this.bytes;
      this.offsets.set(text, offset);
      this.parts.push(encoded);
      this.bytes += encoded.length;
    }
    return { offset, length: encoded.length };
  }

  buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/**
 * `moduleCrcs` gives each handler's module file's CRC-32 (handlers without one get 0): the
 * kernel checks a module deployed live against it (docs/upgrade.md).
 */
export function encodeDescriptor(config: SystemConfig, moduleCrcs: ReadonlyMap<string, number> = new Map()): Buffer {
  const header = recordNamed("DescriptorHeader");
  const handlerRecord = recordNamed("DescriptorHandler");
  const programRecord = recordNamed("DescriptorProgram");
  const grantRecord = recordNamed("DescriptorGrant");
  const stringRecord = recordNamed("DescriptorString");
  const strings = new Strings();
  const grants: Values[] = [];
  const events: Values[] = [];
  const addGrants = (entries: readonly string[], module: string) => {
    const first = grants.length;
    for (const entry of entries) {
      const { name } = parseCapability(entry);
      const pattern = grantPattern(entry, module);
      const capability = capabilityNamed(name);
      if (!capability) throw new Error(`boot descriptor: unknown capability '${name}' (the system was validated; this is a toolchain bug)`);
      const text = strings.add(pattern);
      grants.push({ capability: capability.number, patternOffset: text.offset, patternLength: text.length });
    }
    return { firstGrant: first, grantCount: entries.length };
  };
  const handlers = config.handlers.map((handler) => {
    const name = strings.add(handler.name);
    const version = strings.add(handler.version);
    const firstEvent = events.length;
    for (const event of handler.triggers.events) {
      const text = strings.add(event);
      events.push({ offset: text.offset, length: text.length });
    }
    return {
      budgetNanoseconds: BigInt(handler.budgetNanoseconds),
      everyNanoseconds: BigInt(handler.triggers.everyNanoseconds ?? 0),
      afterNanoseconds: BigInt(handler.triggers.afterNanoseconds ?? 0),
      memoryBytes: BigInt(handler.memoryBytes),
      nameOffset: name.offset, nameLength: name.length,
      versionOffset: version.offset, versionLength: version.length,
      firstEvent, eventCount: handler.triggers.events.length,
      ...addGrants(handler.capabilities, handler.name),
      runsAtBoot: handler.triggers.boot ? 1 : 0,
      queueDepth: handler.queueDepth,
      acceptsMessages: handler.triggers.messages ? 1 : 0,
      acceptsCalls: handler.triggers.calls ? 1 : 0,
      moduleCrc: moduleCrcs.get(handler.name) ?? 0,
      durability: handler.durability === "none" ? 1 : handler.durability === "interval" ? 2 : 0,
      durabilityInterval: BigInt(handler.durabilityIntervalNanoseconds ?? 0),
      udpPorts: packPorts(handler.triggers.udp ?? []),
      tcpPorts: packPorts(handler.triggers.tcp ?? []),
    };
  });
  const programs = config.programs.map((program) => {
    const name = strings.add(program.name);
    return {
      memoryBytes: BigInt(program.memoryBytes),
      nameOffset: name.offset, nameLength: name.length,
      ...addGrants(program.capabilities, program.name),
      bootConsole: config.foreground.programs.indexOf(program.name) + 1,
    };
  });
  const hostname = strings.add(config.system.hostname);
  const network = config.network ?? null;
  const text = strings.buffer();
  const sizes = [header, handlerRecord, programRecord, grantRecord, stringRecord].map((record) => recordLayout(record).bytes);
  const total = sizes[0] + handlers.length * sizes[1] + programs.length * sizes[2] + grants.length * sizes[3] + events.length * sizes[4] + text.length;
  const bytes = Buffer.alloc(total);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = sizes[0];
  const table = (record: RecordDeclaration, size: number, rows: Values[]) => {
    for (const row of rows) {
      writeRecord(view, offset, record, row);
      offset += size;
    }
  };
  table(handlerRecord, sizes[1], handlers);
  table(programRecord, sizes[2], programs);
  table(grantRecord, sizes[3], grants);
  table(stringRecord, sizes[4], events);
  text.copy(bytes, offset);
  writeRecord(view, 0, header, {
    magic: DESCRIPTOR_MAGIC, version: DESCRIPTOR_VERSION, totalBytes: total,
    checksum: crc32(bytes.subarray(sizes[0])),
    handlerCount: handlers.length, programCount: programs.length, grantCount: grants.length, eventCount: events.length,
    stringBytes: text.length, foregroundMax: config.foreground.max, deployPort: config.system.deploy ? 1 : 0,
    network: network ? 1 : 0,
    networkFlags: network?.dhcp ? constant("NET_CONFIG_DHCP") : 0,
    networkAddress: ipv4Number(network?.address ?? null), networkPrefix: network?.prefix ?? 0,
    networkGateway: ipv4Number(network?.gateway ?? null), networkDns: ipv4Number(network?.dns ?? null),
    dhcpTimeoutMilliseconds: network ? Math.round(network.dhcpTimeoutNanoseconds / 1e6) : 0,
    hostnameOffset: hostname.offset, hostnameLength: hostname.length,
  });
  return bytes;
}

/** Up to NET_HANDLER_PORTS_MAX ports as u16s from the lowest bits. */
export function packPorts(ports: readonly number[]): bigint {
  return ports.reduce((packed, port, index) => packed | (BigInt(port) << BigInt(16 * index)), 0n);
}

/** "10.0.2.15" → (10 << 24) | (0 << 16) | (2 << 8) | 15; null → 0. */
export function ipv4Number(address: string | null): number {
  if (address === null) return 0;
  return address.split(".").reduce((value, part) => value * 256 + Number(part), 0);
}
