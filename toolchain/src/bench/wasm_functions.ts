// How many bytes of a wasm module's code each function takes, by name: enough of the binary
// format (WebAssembly Core Specification, §5: sections, imports, the code section, and the
// custom "name" section's function names) to say what share of the kernel a subsystem is.
// The kernel is built without names; `make bench` compiles a copy with asc's --debug, which
// keeps the same code and adds the name section.

/** A reader of LEB128 numbers and names over the module's bytes. */
class Reader {
  constructor(readonly bytes: Uint8Array, public at = 0) {}

  byte(): number {
    return this.bytes[this.at++];
  }

  unsigned(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.byte();
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  }

  name(): string {
    const length = this.unsigned();
    const text = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + length));
    this.at += length;
    return text;
  }

  limits(): void {
    const flags = this.byte();
    this.unsigned();
    if (flags & 1) this.unsigned();
  }
}

const SECTION_CUSTOM = 0;
const SECTION_IMPORT = 2;
const SECTION_CODE = 10;

/** Each defined function's name (or "#index" without one) and the bytes of its body in the code section. */
export function functionSizes(module: Uint8Array): Array<{ name: string; bytes: number }> {
  const reader = new Reader(module, 8); // after the magic and version
  let importedFunctions = 0;
  const bodies: number[] = [];
  const names = new Map<number, string>();
  while (reader.at < module.length) {
    const id = reader.byte();
    const size = reader.unsigned();
    const end = reader.at + size;
    if (id === SECTION_IMPORT) {
      for (let count = reader.unsigned(); count > 0; count--) {
        reader.name();
        reader.name();
        const kind = reader.byte();
        if (kind === 0) {
          reader.unsigned();
          importedFunctions++;
        } else if (kind === 1) {
          reader.byte();
          reader.limits();
        } else if (kind === 2) reader.limits();
        else {
          reader.byte();
          reader.byte();
        }
      }
    } else if (id === SECTION_CODE) {
      for (let count = reader.unsigned(); count > 0; count--) {
        const body = reader.unsigned();
        bodies.push(body);
        reader.at += body;
      }
    } else if (id === SECTION_CUSTOM && reader.name() === "name") {
      while (reader.at < end) {
        const subsection = reader.byte();
        const length = reader.unsigned();
        const next = reader.at + length;
        if (subsection === 1) {
          for (let count = reader.unsigned(); count > 0; count--) {
            const index = reader.unsigned();
            names.set(index, reader.name());
          }
        }
        reader.at = next;
      }
    }
    reader.at = end;
  }
  return bodies.map((bytes, index) => ({ name: names.get(importedFunctions + index) ?? `#${importedFunctions + index}`, bytes }));
}

/** Bytes of code in functions whose names start with one of `prefixes` (asc names them by source file: "kernel/net/…"), and in all. */
export function codeShare(module: Uint8Array, prefixes: string[]): { matching: number; total: number } {
  let matching = 0;
  let total = 0;
  for (const { name, bytes } of functionSizes(module)) {
    total += bytes;
    if (prefixes.some((prefix) => name.startsWith(prefix))) matching += bytes;
  }
  return { matching, total };
}
