// The module boundary: linking, starting, running and copying to and from handler and program modules.
//
// Declared here and implemented by boot/modules.c (imports of the "hardware" wasm module,
// like machine.ts and threads.ts). Every call into a module runs inside a trap guard and
// returns the trap kind (kernel/gate/interface.ts names them, 0 for none); copies check the
// module's range and return false when it is out of bounds.

// Loadable modules (boot/modules.c): link a relocatable module image, start it, call its entry
// point inside a trap guard (the result is the trap kind, 0 for none), and copy to and from its
// memory (false when the module's range is out of bounds).
// @ts-ignore: decorator
@external("hardware", "module_load") export declare function moduleLoad(address: u64, size: u64): i32;
// @ts-ignore: decorator
@external("hardware", "module_error_symbol") export declare function moduleErrorSymbol(destination: usize, capacity: u32): u32;
// @ts-ignore: decorator
@external("hardware", "module_start") export declare function moduleStart(module: i32): u32;
// @ts-ignore: decorator
@external("hardware", "module_handle") export declare function moduleHandle(module: i32, kind: u32, source: u32, name: u32,
  timestamp: u64, payloadLength: u32): u32;
/** A synchronous call: handler `module` runs nested in the running handler's transaction (boot/modules.c); its trap. */
// @ts-ignore: decorator
@external("hardware", "module_call") export declare function moduleCall(module: i32, kind: u32, source: u32, name: u32,
  timestamp: u64, payloadLength: u32): u32;
// @ts-ignore: decorator
@external("hardware", "module_version") export declare function moduleVersion(module: i32, destination: usize, capacity: u32): u32;
// @ts-ignore: decorator
@external("hardware", "module_copy_in") export declare function moduleCopyIn(module: i32, destination: usize, source: u32, length: u32): bool;
// @ts-ignore: decorator
@external("hardware", "module_copy_out") export declare function moduleCopyOut(module: i32, destination: u32, source: usize, length: u32): bool;
// @ts-ignore: decorator
@external("hardware", "module_memory_bytes") export declare function moduleMemoryBytes(module: i32): u64;
// From now on the runtime takes module memory from the kernel's page allocator (kernel_allocate_pages).
// @ts-ignore: decorator
@external("hardware", "runtime_use_page_allocator") export declare function runtimeUsePageAllocator(): void;
// Pages the module's last run dirtied (its snapshot commit or rollback touched exactly these).
// @ts-ignore: decorator
@external("hardware", "module_last_dirty_pages") export declare function moduleLastDirtyPages(module: i32): u32;
// Asks boot/ to stop the running handler: it traps (overrun) as soon as it is in its own code.
// @ts-ignore: decorator
@external("hardware", "module_request_stop") export declare function moduleRequestStop(): void;
// Measurements of a module's last run (0: TSC at handler entry, 1: cycles of its commit or
// rollback) and of its footprint in bytes (0: image, 1: instance and its committed copy,
// 2: wasm memory in use, 3: wasm memory reserved), for test=bench.
// @ts-ignore: decorator
@external("hardware", "module_last_run") export declare function moduleLastRun(module: i32, which: u32): u64;
// @ts-ignore: decorator
@external("hardware", "module_footprint") export declare function moduleFootprint(module: i32, which: u32): u64;
// Module lifetime (boot/modules.c): whether a loaded module is a program (it has main), giving
// everything back, and a handler's reset to the state right after its start code (the trap
// its start code raised, 0 for none).
// @ts-ignore: decorator
@external("hardware", "module_is_program") export declare function moduleIsProgram(module: i32): bool;
// @ts-ignore: decorator
@external("hardware", "module_unload") export declare function moduleUnload(module: i32): void;
// @ts-ignore: decorator
@external("hardware", "module_reset") export declare function moduleReset(module: i32): u32;
// Whether a handler's runs are transactions (the default) or run straight on its memory (the
// network stack's: after a trap the kernel resets it); kept across resets. 0, or 1 on failure.
// @ts-ignore: decorator
@external("hardware", "module_set_transactional") export declare function moduleSetTransactional(module: i32, transactional: bool): u32;
// A handler's committed state across a warm reboot (boot/modules.c): globals then memory in
// use, saved to physical memory (bytes written, 0 if it does not fit) and restored right
// after start (0, or 1 if it does not fit the module); and its globals layout's hash.
// @ts-ignore: decorator
@external("hardware", "module_state_save") export declare function moduleStateSave(module: i32, destination: u64, capacity: u64): u64;
// @ts-ignore: decorator
@external("hardware", "module_state_restore") export declare function moduleStateRestore(module: i32, source: u64, globalsBytes: u32,
  memoryBytes: u64): u32;
// A live upgrade keeping the state: module `from`'s committed globals and memory become `to`'s, right after
// `to` started (0, or 1 if they do not fit it).
// @ts-ignore: decorator
@external("hardware", "module_state_copy") export declare function moduleStateCopy(from: i32, to: i32): u32;
// For the state log (storage/state_log.ts): the offset of the index-th page the last transaction dirtied
// (~0 past the last), the wasm memory's address, and the globals copied to physical memory (their size, 0 if too big).
// @ts-ignore: decorator
@external("hardware", "module_dirty_page") export declare function moduleDirtyPage(module: i32, index: u32): u64;
// @ts-ignore: decorator
@external("hardware", "module_memory_address") export declare function moduleMemoryAddress(module: i32): u64;
// @ts-ignore: decorator
@external("hardware", "module_globals_save") export declare function moduleGlobalsSave(module: i32, destination: u64, capacity: u32): u32;
// @ts-ignore: decorator
@external("hardware", "module_globals_layout") export declare function moduleGlobalsLayout(module: i32): u32;
