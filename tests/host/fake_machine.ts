// A fake machine for host tests: JavaScript versions of exactly the imports in kernel/arch/x86_64/machine.ts, modules.ts and threads.ts.
//
// Physical memory is sparse (4 KiB pages made on first touch); COM1 output, port writes,
// the PIT's channel-2 output, the TSC and the exception frame are simulated just enough for
// the kernel code under test. halt_forever throws MachineHalted so a test can observe it;
// a test can give other ports a value to read (portValues) and act on writes (onPortWrite).
import { readFileSync } from "node:fs";

const PAGE = 4096;
const COM1 = 0x3f8;
const COM1_LINE_CONTROL = 0x3fb;
const COM1_LINE_STATUS = 0x3fd;
const COM1_SCRATCH = 0x3ff;
const SPEAKER_CONTROL = 0x61;
const DEBUG_EXIT = 0xf4;

export class MachineHalted extends Error {
  constructor() {
    super("the kernel halted the machine");
  }
}

export class KernelAbort extends Error {}

export class FakeMachine {
  memory!: WebAssembly.Memory;
  readonly portWrites: { port: number; value: number }[] = [];
  /** What reads of ports the fake does not model return (a value, or a function called per read); others read 0xff. */
  readonly portValues = new Map<number, number | (() => number)>();
  /** Bytes waiting in COM1's receive buffer (line status then says data ready; reading data takes one). */
  readonly serialInput: number[] = [];
  /** Called after each port write is recorded: a test may throw MachineHalted to play a machine turning off. */
  onPortWrite: ((port: number, value: number) => void) | undefined;
  serialOutput = "";
  serialPresent = true;
  /** The next read of COM1's line status reports an overrun (bit 1), as a UART does once after losing bytes. */
  serialOverrun = false;
  debugExitCode: number | undefined;
  halted = false;
  tsc = 1_000_000n;
  tscStepPerRead = 1000n;
  /** TSC ticks that pass while the kernel polls port 0x61 once (time spent waiting on the PIT). */
  tscStepPerSpeakerRead = 0n;
  /** Reads of port 0x61 before the PIT's channel-2 output goes high (a countdown in progress). */
  pitPollsUntilDone = 50;
  kernelImageStart = 0x100000n;
  kernelImageEnd = 0x200000n;
  readonly exceptionRegisters: bigint[] = Array.from({ length: 22 }, (_, index) => BigInt(index) * 0x1111n);
  readonly controlRegisters: bigint[] = [0x80000011n, 0n, 0x4000000000n, 0x117000n, 0x620n];
  /** Fakes a test gives for hardware imports, by import name: for those this file does not model (the module primitives, say), or in place of its own. */
  readonly hardwareFakes: Record<string, (...values: never[]) => unknown> = {};
  private readonly pages = new Map<number, Uint8Array>();
  private lineControl = 0;
  private scratch = 0;
  private speakerReads = 0;

  writePhysical(address: number | bigint, bytes: Uint8Array): void {
    const base = Number(address);
    for (let i = 0; i < bytes.length; i++) this.page(base + i)[(base + i) % PAGE] = bytes[i];
  }

  readPhysical(address: number | bigint, length: number): Uint8Array {
    const base = Number(address);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.page(base + i)[(base + i) % PAGE];
    return out;
  }

  private page(address: number): Uint8Array {
    const number = Math.floor(address / PAGE);
    let page = this.pages.get(number);
    if (!page) {
      page = new Uint8Array(PAGE);
      this.pages.set(number, page);
    }
    return page;
  }

  private kernelBytes(offset: number, length: number): Uint8Array {
    if (offset + length > this.memory.buffer.byteLength) throw new RangeError("physical copy outside kernel memory");
    return new Uint8Array(this.memory.buffer, offset, length);
  }

  private readLittleEndian(address: bigint, bytes: number): bigint {
    const data = this.readPhysical(address, bytes);
    let value = 0n;
    for (let i = bytes - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[i]);
    return value;
  }

  private writeLittleEndian(address: bigint, value: bigint, bytes: number): void {
    const data = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) data[i] = Number((value >> BigInt(8 * i)) & 0xffn);
    this.writePhysical(address, data);
  }

  private portRead(port: number): number {
    if (port === COM1_LINE_STATUS) {
      if (!this.serialPresent) return 0xff;
      const overrun = this.serialOverrun ? 0x02 : 0;
      this.serialOverrun = false;
      return 0x20 | overrun | (this.serialInput.length > 0 ? 0x01 : 0);
    }
    if (port === COM1 && (this.lineControl & 0x80) === 0 && this.serialInput.length > 0) return this.serialInput.shift()!;
    if (port === COM1_SCRATCH) return this.serialPresent ? this.scratch : 0xff;
    if (port === SPEAKER_CONTROL) {
      this.tsc += this.tscStepPerSpeakerRead;
      return ++this.speakerReads > this.pitPollsUntilDone ? 0x20 : 0x00;
    }
    const value = this.portValues.get(port) ?? 0xff;
    return typeof value === "function" ? value() : value;
  }

  private portWrite(port: number, value: number): void {
    this.portWrites.push({ port, value });
    if (port === COM1_LINE_CONTROL) this.lineControl = value;
    else if (port === COM1_SCRATCH) this.scratch = value;
    else if (port === COM1 && (this.lineControl & 0x80) === 0 && this.serialPresent) this.serialOutput += String.fromCharCode(value);
    else if (port === DEBUG_EXIT) this.debugExitCode = value;
    else if (port === 0x43) this.speakerReads = 0;
    this.onPortWrite?.(port, value);
  }

  private readAssemblyScriptString(pointer: number): string {
    if (pointer === 0) return "(null)";
    const bytes = new Uint32Array(this.memory.buffer, pointer - 4, 1)[0];
    return String.fromCharCode(...new Uint16Array(this.memory.buffer, pointer, bytes / 2));
  }

  imports(): WebAssembly.Imports {
    const machine = this;
    const halt = () => {
      machine.halted = true;
      throw new MachineHalted();
    };
    return {
      env: {
        abort(message: number, file: number, line: number, column: number) {
          throw new KernelAbort(`${machine.readAssemblyScriptString(message)} at ${machine.readAssemblyScriptString(file)}:${line}:${column}`);
        },
      },
      // Imports the fake does not model (modules, threads) throw when called: a test entry may
      // link code that names them as long as it never calls them.
      hardware: new Proxy({
        port_read8: (port: number) => machine.portRead(port) & 0xff,
        port_read16: (port: number) => machine.portRead(port) & 0xffff,
        port_read32: (port: number) => machine.portRead(port) >>> 0,
        port_write8: (port: number, value: number) => machine.portWrite(port, value & 0xff),
        port_write16: (port: number, value: number) => machine.portWrite(port, value & 0xffff),
        port_write32: (port: number, value: number) => machine.portWrite(port, value >>> 0),
        physical_read8: (address: bigint) => Number(machine.readLittleEndian(address, 1)),
        physical_read16: (address: bigint) => Number(machine.readLittleEndian(address, 2)),
        physical_read32: (address: bigint) => Number(machine.readLittleEndian(address, 4)),
        physical_read64: (address: bigint) => BigInt.asIntN(64, machine.readLittleEndian(address, 8)),
        physical_write8: (address: bigint, value: number) => machine.writeLittleEndian(address, BigInt(value), 1),
        physical_write16: (address: bigint, value: number) => machine.writeLittleEndian(address, BigInt(value), 2),
        physical_write32: (address: bigint, value: number) => machine.writeLittleEndian(address, BigInt(value >>> 0), 4),
        physical_write64: (address: bigint, value: bigint) => machine.writeLittleEndian(address, BigInt.asUintN(64, value), 8),
        physical_copy_in: (destination: number, source: bigint, length: number) =>
          machine.kernelBytes(destination, length).set(machine.readPhysical(source, length)),
        physical_copy_out: (destination: bigint, source: number, length: number) =>
          machine.writePhysical(destination, machine.kernelBytes(source, length).slice()),
        physical_move: (destination: bigint, source: bigint, length: bigint) =>
          machine.writePhysical(destination, machine.readPhysical(source, Number(length))),
        physical_fill32: (destination: bigint, value: number, count: bigint) => {
          const bytes = new Uint8Array(Number(count) * 4);
          new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
          for (let i = 4; i < bytes.length; i++) bytes[i] = bytes[i % 4];
          machine.writePhysical(destination, bytes);
        },
        map_device: () => 1,
        memory_fence: () => {},
        read_tsc: () => (machine.tsc += machine.tscStepPerRead),
        boot_entry_tsc: () => 1_000_000n,
        kernel_image_start: () => machine.kernelImageStart,
        kernel_image_end: () => machine.kernelImageEnd,
        halt_forever: halt,
        exception_register: (index: number) => machine.exceptionRegisters[index] ?? 0n,
        control_register: (number: number) => machine.controlRegisters[number] ?? 0n,
      } as Record<string, unknown>, {
        // A test's own fake wins over the default here.
        get: (fakes, name: string) => machine.hardwareFakes[name] ?? fakes[name] ??
          ((...values: never[]) => {
            const fake = machine.hardwareFakes[name];
            if (!fake) throw new Error(`hardware.${name} is not faked by tests/host/fake_machine.ts`);
            return fake(...values);
          }),
      }),
    };
  }
}

/** Where global_setup.ts puts the wasm of tests/host/<entry>.ts. */
export function entryWasm(entry: string): string {
  return `build/host/${entry}.wasm`;
}

export interface KernelUnderTest {
  machine: FakeMachine;
  // The exports are many and loosely typed; tests call them by name.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  kernel: any;
  /** Text the last call left in the kernel's `result` line. */
  result(): string;
  /** Writes a string (or bytes) into the kernel's input buffer; returns its length. */
  input(value: string | Uint8Array): number;
}

const compiled = new Map<string, WebAssembly.Module>();

/**
 * Instantiates a test entry (default tests/host/kernel_under_test.ts) on a fresh fake
 * machine; `configure` may set the machine up before the entry's start code runs.
 */
export async function startKernel(configure?: (machine: FakeMachine) => void, entry = "kernel_under_test"): Promise<KernelUnderTest> {
  if (!compiled.has(entry)) compiled.set(entry, await WebAssembly.compile(readFileSync(entryWasm(entry))));
  const module = compiled.get(entry)!;
  const machine = new FakeMachine();
  configure?.(machine);
  const instance = await WebAssembly.instantiate(module, machine.imports());
  const kernel = instance.exports as Record<string, CallableFunction> & { memory: WebAssembly.Memory };
  machine.memory = kernel.memory;
  kernel.kernel_initialize();
  return {
    machine,
    kernel,
    result() {
      const pointer = kernel.resultPointer() as number;
      return Buffer.from(new Uint8Array(kernel.memory.buffer, pointer, kernel.resultLength() as number)).toString("latin1");
    },
    input(value) {
      const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
      new Uint8Array(kernel.memory.buffer, kernel.inputPointer() as number, bytes.length).set(bytes);
      return bytes.length;
    },
  };
}
