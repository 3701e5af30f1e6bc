// The one hardware boundary: every primitive the kernel imports from boot/ (C and assembly).
//
// Implemented by boot/hardware.c on the machine and by tests/host/fake_hardware.ts in host
// tests, which fakes exactly this list. Physical addresses are identity-mapped up to 4 GiB;
// touching anything else faults and is reported as a CPU exception.

// Port I/O.
@external("hardware", "port_read8") export declare function portRead8(port: u16): u8;
@external("hardware", "port_read16") export declare function portRead16(port: u16): u16;
@external("hardware", "port_read32") export declare function portRead32(port: u16): u32;
@external("hardware", "port_write8") export declare function portWrite8(port: u16, value: u8): void;
@external("hardware", "port_write16") export declare function portWrite16(port: u16, value: u16): void;
@external("hardware", "port_write32") export declare function portWrite32(port: u16, value: u32): void;

// Physical memory and memory-mapped I/O, one access at a time.
@external("hardware", "physical_read8") export declare function physicalRead8(address: u64): u8;
@external("hardware", "physical_read16") export declare function physicalRead16(address: u64): u16;
@external("hardware", "physical_read32") export declare function physicalRead32(address: u64): u32;
@external("hardware", "physical_read64") export declare function physicalRead64(address: u64): u64;
@external("hardware", "physical_write8") export declare function physicalWrite8(address: u64, value: u8): void;
@external("hardware", "physical_write16") export declare function physicalWrite16(address: u64, value: u16): void;
@external("hardware", "physical_write32") export declare function physicalWrite32(address: u64, value: u32): void;
@external("hardware", "physical_write64") export declare function physicalWrite64(address: u64, value: u64): void;

// Bulk physical memory: copies between physical memory and the kernel's linear memory
// (bounds-checked: a bad range traps as out-of-bounds), moves and fills within physical memory.
@external("hardware", "physical_copy_in") export declare function physicalCopyIn(destination: usize, source: u64, length: u32): void;
@external("hardware", "physical_copy_out") export declare function physicalCopyOut(destination: u64, source: usize, length: u32): void;
@external("hardware", "physical_move") export declare function physicalMove(destination: u64, source: u64, length: u64): void;
@external("hardware", "physical_fill32") export declare function physicalFill32(destination: u64, value: u32, count: u64): void;

// Time.
@external("hardware", "read_tsc") export declare function readTsc(): u64;
@external("hardware", "boot_entry_tsc") export declare function bootEntryTsc(): u64;

// The kernel image's physical extent (code, data and bss, including the wasm runtime arena).
@external("hardware", "kernel_image_start") export declare function kernelImageStart(): u64;
@external("hardware", "kernel_image_end") export declare function kernelImageEnd(): u64;

// Stopping: interrupts off, `hlt` forever.
@external("hardware", "halt_forever") export declare function haltForever(): void;

// CPU state while an exception is being reported (indices in exceptions.ts) and CR0/2/3/4.
@external("hardware", "exception_register") export declare function exceptionRegister(index: u32): u64;
@external("hardware", "control_register") export declare function controlRegister(number: u32): u64;

// Loadable modules (boot/modules.c): link a relocatable module image, start it, call its entry
// point inside a trap guard (the result is the trap kind, 0 for none), and copy to and from its
// memory (false when the module's range is out of bounds).
@external("hardware", "module_load") export declare function moduleLoad(address: u64, size: u64): i32;
@external("hardware", "module_error_symbol") export declare function moduleErrorSymbol(destination: usize, capacity: u32): u32;
@external("hardware", "module_start") export declare function moduleStart(module: i32): u32;
@external("hardware", "module_handle") export declare function moduleHandle(module: i32, kind: u32, source: u32, name: u32,
  timestamp: u64, payloadLength: u32): u32;
@external("hardware", "module_version") export declare function moduleVersion(module: i32, destination: usize, capacity: u32): u32;
@external("hardware", "module_copy_in") export declare function moduleCopyIn(module: i32, destination: usize, source: u32, length: u32): bool;
@external("hardware", "module_copy_out") export declare function moduleCopyOut(module: i32, destination: u32, source: usize, length: u32): bool;
@external("hardware", "module_memory_bytes") export declare function moduleMemoryBytes(module: i32): u64;
// From now on the runtime takes module memory from the kernel's page allocator (kernel_allocate_pages).
@external("hardware", "runtime_use_page_allocator") export declare function runtimeUsePageAllocator(): void;

// Interrupts and model-specific registers. The kernel runs with interrupts off; it enables
// them only while halted, so interrupt handlers never interleave with kernel code.
@external("hardware", "wait_for_interrupt") export declare function waitForInterrupt(): void;
@external("hardware", "read_msr") export declare function readMsr(index: u32): u64;
// Pages the module's last run dirtied (its snapshot commit or rollback touched exactly these).
@external("hardware", "module_last_dirty_pages") export declare function moduleLastDirtyPages(module: i32): u32;
// Asks boot/ to stop the running handler: it traps (overrun) as soon as it is in its own code.
@external("hardware", "module_request_stop") export declare function moduleRequestStop(): void;
// Measurements of a module's last run (0: TSC at handler entry, 1: cycles of its commit or
// rollback) and of its footprint in bytes (0: image, 1: instance and its committed copy,
// 2: wasm memory in use, 3: wasm memory reserved), for test=bench.
@external("hardware", "module_last_run") export declare function moduleLastRun(module: i32, which: u32): u64;
@external("hardware", "module_footprint") export declare function moduleFootprint(module: i32, which: u32): u64;
// Module lifetime (boot/modules.c): whether a loaded module is a program (it has main), giving
// everything back, and a handler's reset to the state right after its start code (the trap
// its start code raised, 0 for none).
@external("hardware", "module_is_program") export declare function moduleIsProgram(module: i32): bool;
@external("hardware", "module_unload") export declare function moduleUnload(module: i32): void;
@external("hardware", "module_reset") export declare function moduleReset(module: i32): u32;

// Threads (boot/threads.c): thread 0 is the kernel's; a program's main() runs on its own.
// thread_switch returns when someone switches back; thread_request_switch takes effect when
// the interrupt being handled ends. thread_result is -1 while the thread lives, then the trap
// that ended main() (0: it returned). thread_kill ends a thread that is not running.
@external("hardware", "thread_create") export declare function threadCreate(module: i32): i32;
@external("hardware", "thread_switch") export declare function threadSwitch(thread: i32): void;
@external("hardware", "thread_request_switch") export declare function threadRequestSwitch(thread: i32): void;
@external("hardware", "thread_current") export declare function threadCurrent(): i32;
@external("hardware", "thread_result") export declare function threadResult(thread: i32): i32;
@external("hardware", "thread_kill") export declare function threadKill(thread: i32): void;
@external("hardware", "thread_release") export declare function threadRelease(thread: i32): void;
// A handler's committed state across a warm reboot (boot/modules.c): globals then memory in
// use, saved to physical memory (bytes written, 0 if it does not fit) and restored right
// after start (0, or 1 if it does not fit the module); and its globals layout's hash.
@external("hardware", "module_state_save") export declare function moduleStateSave(module: i32, destination: u64, capacity: u64): u64;
@external("hardware", "module_state_restore") export declare function moduleStateRestore(module: i32, source: u64, globalsBytes: u32,
  memoryBytes: u64): u32;
@external("hardware", "module_globals_layout") export declare function moduleGlobalsLayout(module: i32): u32;
