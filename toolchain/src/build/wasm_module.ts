// Reads the few facts the build checks in a module not compiled by asc: its memory limits and version.
//
// A handler written in WebAssembly text (or any compiler other than asc) declares its own
// memory and version; the build cannot pass them on a command line as it does to asc, so it
// reads them back from the binary. Only what the checks need is decoded: imports (to number
// the globals), memories, globals, exports and data segments; every other section is skipped.
import { limit } from "../../../interface/optios.ts";

export interface MemoryLimits {
  initialPages: number;
  /** undefined when the module declares no maximum. */
  maximumPages?: number;
}

interface WasmModule {
  importedGlobals: number;
  importsMemory: boolean;
  memories: MemoryLimits[];
  /** Each defined global's initial value when it is an i32.const, else undefined. */
  globalConstants: (number | undefined)[];
  exports: Map<string, { kind: number; index: number }>;
  /** Active data segments for memory 0 with a constant offset. */
  data: { offset: number; bytes: Uint8Array }[];
}

const SECTION = { import: 2, memory: 5, global: 6, export: 7, data: 11 } as const;
const EXTERNAL = { function: 0, table: 1, memory: 2, global: 3 } as const;
const I32_CONST = 0x41;
const END = 0x0b;

class Reader {
  constructor(private bytes: Uint8Array, public at = 0) {}
  byte(): number {
    if (this.at >= this.bytes.length) throw new Error("the wasm binary ends early");
    return this.bytes[this.at++];
  }
  unsigned(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
  }
  signed32(): number {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = this.byte();
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return shift < 32 && byte & 0x40 ? result | (-1 << shift) : result;
  }
  take(length: number): Uint8Array {
    if (this.at + length > this.bytes.length) throw new Error("the wasm binary ends early");
    return this.bytes.subarray(this.at, (this.at += length));
  }
  name(): string {
    return Buffer.from(this.take(this.unsigned())).toString("utf8");
  }
  limits(): MemoryLimits {
    const flags = this.unsigned();
    const initialPages = this.unsigned();
    return flags & 1 ? { initialPages, maximumPages: this.unsigned() } : { initialPages };
  }
  /** A constant expression: its value if it is `i32.const n`, else undefined (skipped to its end). */
  constant(): number | undefined {
    const opcode = this.byte();
    const value = opcode === I32_CONST ? this.signed32() >>> 0 : undefined;
    if (opcode === I32_CONST && this.byte() === END) return value;
    while (this.byte() !== END); // global.get, extended constants: not a plain constant
    return undefined;
  }
}

function readModule(bytes: Uint8Array): WasmModule {
  const module: WasmModule = {
    importedGlobals: 0, importsMemory: false, memories: [], globalConstants: [], exports: new Map(), data: [],
  };
  const reader = new Reader(bytes);
  if (Buffer.from(reader.take(4)).toString("latin1") !== "\0asm") throw new Error("not a wasm binary");
  reader.take(4); // version
  while (reader.at < bytes.length) {
    const id = reader.byte();
    const section = new Reader(reader.take(reader.unsigned()));
    if (id === SECTION.import) {
      for (let count = section.unsigned(); count > 0; count--) {
        section.name();
        section.name();
        const kind = section.byte();
        if (kind === EXTERNAL.function) section.unsigned();
        else if (kind === EXTERNAL.table) { section.byte(); section.limits(); }
        else if (kind === EXTERNAL.memory) { section.limits(); module.importsMemory = true; }
        else { section.take(2); module.importedGlobals++; }
      }
    } else if (id === SECTION.memory) {
      for (let count = section.unsigned(); count > 0; count--) module.memories.push(section.limits());
    } else if (id === SECTION.global) {
      for (let count = section.unsigned(); count > 0; count--) {
        section.take(2); // value type, mutability
        module.globalConstants.push(section.constant());
      }
    } else if (id === SECTION.export) {
      for (let count = section.unsigned(); count > 0; count--) {
        const name = section.name();
        module.exports.set(name, { kind: section.byte(), index: section.unsigned() });
      }
    } else if (id === SECTION.data) {
      for (let count = section.unsigned(); count > 0; count--) {
        const flags = section.unsigned();
        if (flags === 2 && section.unsigned() !== 0) throw new Error("a data segment for a second memory");
        const offset = flags === 1 ? undefined : section.constant();
        const segment = section.take(section.unsigned());
        if (offset !== undefined) module.data.push({ offset, bytes: segment });
      }
    }
  }
  return module;
}

/** The limits of the module's own memory; a string saying what is wrong if it has none of its own. */
export function wasmMemoryLimits(bytes: Uint8Array): MemoryLimits | string {
  const module = readModule(bytes);
  if (module.importsMemory) return "imports its memory; declare its own, e.g. (memory (export \"memory\") 1 16)";
  if (module.memories.length !== 1) return `declares ${module.memories.length} memories; declare exactly one`;
  return module.memories[0];
}

/**
 * The string the exported global `version` points at, in AssemblyScript's layout: UTF-16LE
 * characters, their byte length in the 4 bytes before them (what boot/ reads through the
 * descriptor). A string saying what is wrong if it cannot be read from the binary alone.
 */
/**
 * How a module's version string is laid out where its `version` global points: "counted"
 * (AssemblyScript's, and .wat's: the UTF-16 byte length in the 4 bytes before the characters)
 * or "terminated" (C's OPTIOS_VERSION: UTF-16 characters ended by a 0).
 */
export type VersionEncoding = "counted" | "terminated";

export function wasmVersion(bytes: Uint8Array, encoding: VersionEncoding = "counted"): { version: string } | string {
  const module = readModule(bytes);
  const exported = module.exports.get("version");
  if (exported?.kind !== EXTERNAL.global) return "exports no global named version";
  const address = module.globalConstants[exported.index - module.importedGlobals];
  if (address === undefined || address < 4) return "its version global is not an i32.const address of at least 4";
  const read = (at: number, length: number): Uint8Array | undefined => {
    const segment = module.data.find((data) => at >= data.offset && at + length <= data.offset + data.bytes.length);
    return segment?.bytes.subarray(at - segment.offset, at - segment.offset + length);
  };
  if (encoding === "terminated") {
    for (let length = 0; length <= 2 * limit("VERSION_MAX_BYTES"); length += 2) {
      const unit = read(address + length, 2);
      if (!unit) return `no data segment holds the version's characters at ${address + length}`;
      if (unit[0] === 0 && unit[1] === 0) return { version: Buffer.from(read(address, length)!).toString("utf16le") };
    }
    return `its version at ${address} has no terminating 0 within ${limit("VERSION_MAX_BYTES")} characters`;
  }
  const lengthBytes = read(address - 4, 4);
  if (!lengthBytes) return `no data segment holds the version's byte length at ${address - 4}`;
  const length = Buffer.from(lengthBytes).readUInt32LE(0);
  const characters = read(address, length);
  if (!characters || length % 2 !== 0) return `no data segment holds ${length} bytes of UTF-16 characters at ${address}`;
  return { version: Buffer.from(characters).toString("utf16le") };
}
