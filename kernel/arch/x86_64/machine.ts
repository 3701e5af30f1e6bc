// The machine boundary: ports, physical memory, time, interrupts and stopping, imported from boot/.
//
// One of the three files that declare every primitive the kernel imports from boot/ (the
// wasm import module "hardware", implemented by boot/hardware.c): this one (the machine),
// modules.ts (loaded modules, boot/modules.c) and threads.ts (program threads,
// boot/threads.c). Host tests fake exactly these imports (tests/host/fake_machine.ts).
// Physical addresses are identity-mapped up to 4 GiB; touching anything else faults and is
// reported as a CPU exception.

// Port I/O.
// @ts-ignore: decorator
@external("hardware", "port_read8") export declare function portRead8(port: u16): u8;
// @ts-ignore: decorator
@external("hardware", "port_read16") export declare function portRead16(port: u16): u16;
// @ts-ignore: decorator
@external("hardware", "port_read32") export declare function portRead32(port: u16): u32;
// @ts-ignore: decorator
@external("hardware", "port_write8") export declare function portWrite8(port: u16, value: u8): void;
// @ts-ignore: decorator
@external("hardware", "port_write16") export declare function portWrite16(port: u16, value: u16): void;
// @ts-ignore: decorator
@external("hardware", "port_write32") export declare function portWrite32(port: u16, value: u32): void;

// Physical memory and memory-mapped I/O, one access at a time.
// @ts-ignore: decorator
@external("hardware", "physical_read8") export declare function physicalRead8(address: u64): u8;
// @ts-ignore: decorator
@external("hardware", "physical_read16") export declare function physicalRead16(address: u64): u16;
// @ts-ignore: decorator
@external("hardware", "physical_read32") export declare function physicalRead32(address: u64): u32;
// @ts-ignore: decorator
@external("hardware", "physical_read64") export declare function physicalRead64(address: u64): u64;
// @ts-ignore: decorator
@external("hardware", "physical_write8") export declare function physicalWrite8(address: u64, value: u8): void;
// @ts-ignore: decorator
@external("hardware", "physical_write16") export declare function physicalWrite16(address: u64, value: u16): void;
// @ts-ignore: decorator
@external("hardware", "physical_write32") export declare function physicalWrite32(address: u64, value: u32): void;
// @ts-ignore: decorator
@external("hardware", "physical_write64") export declare function physicalWrite64(address: u64, value: u64): void;

// Bulk physical memory: copies between physical memory and the kernel's linear memory
// (bounds-checked: a bad range traps as out-of-bounds), moves and fills within physical memory.
// @ts-ignore: decorator
@external("hardware", "physical_copy_in") export declare function physicalCopyIn(destination: usize, source: u64, length: u32): void;
// @ts-ignore: decorator
@external("hardware", "physical_copy_out") export declare function physicalCopyOut(destination: u64, source: usize, length: u32): void;
// @ts-ignore: decorator
@external("hardware", "physical_move") export declare function physicalMove(destination: u64, source: u64, length: u64): void;
// @ts-ignore: decorator
@external("hardware", "physical_fill32") export declare function physicalFill32(destination: u64, value: u32, count: u64): void;
// Device registers: mapped with 4 KiB pages, uncached, also where a firmware put them above the
// first 4 GiB (UEFI does, for 64-bit BARs); whether they could be.
// @ts-ignore: decorator
@external("hardware", "map_device") export declare function mapDevice(address: u64, bytes: u64): bool;
// RAM at [address, address + bytes) mapped with 4 KiB pages instead of entry.S's 2 MiB ones
// (boot/paging.c says why: QEMU's TLB flushes); whether it could be (a page table per 2 MiB).
// @ts-ignore: decorator
@external("hardware", "use_small_pages") export declare function useSmallPages(address: u64, bytes: u64): bool;

// Ordering: every earlier load and store is done before any later one (x86 mfence). A driver
// that publishes a ring index and then reads the device's flags needs it: x86 lets a load pass
// an earlier store.
// @ts-ignore: decorator
@external("hardware", "memory_fence") export declare function memoryFence(): void;

// Time.
// @ts-ignore: decorator
@external("hardware", "read_tsc") export declare function readTsc(): u64;
// @ts-ignore: decorator
@external("hardware", "boot_entry_tsc") export declare function bootEntryTsc(): u64;

// The kernel image's physical extent (code, data and bss, including the wasm runtime arena).
// @ts-ignore: decorator
@external("hardware", "kernel_image_start") export declare function kernelImageStart(): u64;
// @ts-ignore: decorator
@external("hardware", "kernel_image_end") export declare function kernelImageEnd(): u64;

// Stopping: interrupts off, `hlt` forever.
// @ts-ignore: decorator
@external("hardware", "halt_forever") export declare function haltForever(): void;

// CPU state while an exception is being reported (indices in exceptions.ts) and CR0/2/3/4.
// @ts-ignore: decorator
@external("hardware", "exception_register") export declare function exceptionRegister(index: u32): u64;
// @ts-ignore: decorator
@external("hardware", "control_register") export declare function controlRegister(number: u32): u64;

// Interrupts and model-specific registers. The kernel runs with interrupts off; it enables
// them only while halted, so interrupt handlers never interleave with kernel code.
// @ts-ignore: decorator
@external("hardware", "wait_for_interrupt") export declare function waitForInterrupt(): void;
// @ts-ignore: decorator
@external("hardware", "read_msr") export declare function readMsr(index: u32): u64;
