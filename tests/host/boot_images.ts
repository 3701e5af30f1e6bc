// Builders for boot-loader structures (multiboot2 information, PVH start info) as a loader lays them out.

export interface MemoryEntry {
  base: bigint;
  length: bigint;
  kind: number;
}

/** Multiboot2 tags, each `type, size, payload`, padded to 8 bytes; the structure ends with tag 0. */
export class Multiboot2Builder {
  private readonly tags: Buffer[] = [];

  tag(type: number, payload: Buffer, sizeOverride?: number): this {
    const header = Buffer.alloc(8);
    header.writeUInt32LE(type, 0);
    header.writeUInt32LE(sizeOverride ?? 8 + payload.length, 4);
    const body = Buffer.concat([header, payload]);
    const padded = Buffer.alloc(Math.ceil(body.length / 8) * 8);
    body.copy(padded);
    this.tags.push(padded);
    return this;
  }

  commandLine(text: string): this {
    return this.tag(1, Buffer.from(text + "\0"));
  }

  loaderName(text: string): this {
    return this.tag(2, Buffer.from(text + "\0"));
  }

  module(start: number, end: number, name: string): this {
    const payload = Buffer.alloc(8);
    payload.writeUInt32LE(start, 0);
    payload.writeUInt32LE(end, 4);
    return this.tag(3, Buffer.concat([payload, Buffer.from(name + "\0")]));
  }

  basicMemory(lowerKiB: number, upperKiB: number): this {
    const payload = Buffer.alloc(8);
    payload.writeUInt32LE(lowerKiB, 0);
    payload.writeUInt32LE(upperKiB, 4);
    return this.tag(4, payload);
  }

  memoryMap(entries: MemoryEntry[], entrySize = 24): this {
    const payload = Buffer.alloc(8 + entries.length * entrySize);
    payload.writeUInt32LE(entrySize, 0);
    entries.forEach((entry, index) => {
      const offset = 8 + index * entrySize;
      payload.writeBigUInt64LE(entry.base, offset);
      payload.writeBigUInt64LE(entry.length, offset + 8);
      payload.writeUInt32LE(entry.kind, offset + 16);
    });
    return this.tag(6, payload);
  }

  framebuffer(address: bigint, pitch: number, width: number, height: number, bitsPerPixel: number, kind: number): this {
    const payload = Buffer.alloc(kind === 1 ? 30 : 24);
    payload.writeBigUInt64LE(address, 0);
    payload.writeUInt32LE(pitch, 8);
    payload.writeUInt32LE(width, 12);
    payload.writeUInt32LE(height, 16);
    payload[20] = bitsPerPixel;
    payload[21] = kind;
    if (kind === 1) payload.set([16, 8, 8, 8, 0, 8], 24);
    return this.tag(8, payload);
  }

  acpiRsdp(revision: 0 | 2): this {
    return this.tag(revision === 2 ? 15 : 14, Buffer.alloc(revision === 2 ? 36 : 20, 0x52));
  }

  build(options: { end?: boolean; totalOverride?: number } = {}): Buffer {
    const tags = [...this.tags];
    if (options.end !== false) {
      const end = Buffer.alloc(8);
      end.writeUInt32LE(8, 4);
      tags.push(end);
    }
    const body = Buffer.concat(tags);
    const header = Buffer.alloc(8);
    header.writeUInt32LE(options.totalOverride ?? 8 + body.length, 0);
    return Buffer.concat([header, body]);
  }
}

export const PVH_MAGIC = 0x336ec578;

/** hvm_start_info version 1 and the tables it points to, each at its own address. */
export function pvhStartInfo(options: {
  memoryMapAddress: number;
  entries: MemoryEntry[];
  commandLineAddress?: number;
  version?: number;
  magic?: number;
  modules?: { listAddress: number; start: bigint; size: bigint }[];
}): { startInfo: Buffer; memoryMap: Buffer; moduleList: Buffer } {
  const startInfo = Buffer.alloc(56);
  startInfo.writeUInt32LE(options.magic ?? PVH_MAGIC, 0);
  startInfo.writeUInt32LE(options.version ?? 1, 4);
  startInfo.writeUInt32LE(options.modules?.length ?? 0, 12);
  startInfo.writeBigUInt64LE(BigInt(options.modules?.[0]?.listAddress ?? 0), 16);
  startInfo.writeBigUInt64LE(BigInt(options.commandLineAddress ?? 0), 24);
  startInfo.writeBigUInt64LE(0xf5a30n, 32);
  startInfo.writeBigUInt64LE(BigInt(options.memoryMapAddress), 40);
  startInfo.writeUInt32LE(options.entries.length, 48);
  const memoryMap = Buffer.alloc(options.entries.length * 24);
  options.entries.forEach((entry, index) => {
    memoryMap.writeBigUInt64LE(entry.base, index * 24);
    memoryMap.writeBigUInt64LE(entry.length, index * 24 + 8);
    memoryMap.writeUInt32LE(entry.kind, index * 24 + 16);
  });
  const moduleList = Buffer.alloc((options.modules?.length ?? 0) * 32);
  options.modules?.forEach((module, index) => {
    moduleList.writeBigUInt64LE(module.start, index * 32);
    moduleList.writeBigUInt64LE(module.size, index * 32 + 8);
  });
  return { startInfo, memoryMap, moduleList };
}

/** A PC's memory map as QEMU's SeaBIOS reports it for `-m <megabytes>M`. */
export function pcMemoryMap(megabytes: number): MemoryEntry[] {
  return [
    { base: 0n, length: 0x9fc00n, kind: 1 },
    { base: 0x9fc00n, length: 0x400n, kind: 2 },
    { base: 0xf0000n, length: 0x10000n, kind: 2 },
    { base: 0x100000n, length: BigInt(megabytes) * 0x100000n - 0x100000n - 0x20000n, kind: 1 },
    { base: BigInt(megabytes) * 0x100000n - 0x20000n, length: 0x20000n, kind: 2 },
    { base: 0xfffc0000n, length: 0x40000n, kind: 2 },
  ];
}
