/* Loaded modules: linking, instantiation and guarded calls, as primitives for the kernel. */
/*
 * The kernel decides which modules to load and when to run them; this file only does it.
 * A module is a handler (started with a snapshot: every run is a transaction) or a program
 * (started without one: its main() runs on a thread of its own, threads.c). Slots are
 * reused once a module is unloaded, so programs can be run and ended again and again.
 * A module's linked image, instance and wasm memory come from the kernel's page allocator.
 * Every call into a module runs inside wasm_guard, so a trap comes back as its kind.
 * Each module's imports (env, optios) all receive its gate, which tells the kernel which
 * handler is calling (handler_gate.c).
 */
#include "boot.h"
#include "kernel.h"
#include "module.h"
#include "snapshot.h"

#define PAGE_BYTES 4096

struct module {
  int loaded;
  const struct module_descriptor* descriptor;
  uint8_t* image;
  uint64_t image_bytes;
  void* instance;
  struct handler_gate gate;
  struct snapshot* snapshot; /* from the end of start on: every run is a transaction */
  /* 0: runs without a snapshot (module_set_transactional): faster, and a trap leaves its memory
     as the trap found it, so the kernel resets it. Kept across resets. */
  int untracked;
  /* The last run, measured for `test=bench`: TSC at entry, cycles of its commit or rollback. */
  uint64_t entry_tsc, snapshot_cycles;
};

static inline uint64_t read_tsc(void) {
  uint32_t low, high;
  __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
  return ((uint64_t)high << 32) | low;
}

static struct module modules[MODULES_MAX];
static uint32_t module_count;
static const char* last_error_symbol;
/* The module running now (NULL between runs), and whether the kernel asked it to stop. */
static struct module* running;
static volatile int stop_requested;

static struct module* module_at(uint32_t id) {
  return id < module_count && modules[id].loaded ? &modules[id] : NULL;
}

static wasm_rt_memory_t* module_memory(struct module* module) {
  return module->descriptor->memory(module->instance);
}

u32 Z_hardwareZ_module_load(struct Z_hardware_instance_t* h, u64 address, u64 size) {
  uint32_t id = 0;
  while (id < module_count && modules[id].loaded) id++;
  if (id == MODULES_MAX) return (u32)MODULE_ERROR_TOO_MANY_MODULES;
  const uint8_t* image = (const uint8_t*)address;
  int error = 0;
  uint64_t bytes = module_image_bytes(image, size, &error);
  if (!bytes) return (u32)error;
  uint8_t* destination = runtime_allocate(bytes);
  if (!destination) return (u32)MODULE_ERROR_NO_MEMORY;
  const struct module_descriptor* descriptor = module_link(image, size, destination, &error, &last_error_symbol);
  if (!descriptor) {
    runtime_release(destination, bytes);
    return (u32)error;
  }
  void* instance = runtime_allocate(descriptor->instance_bytes);
  if (!instance) {
    runtime_release(destination, bytes);
    return (u32)MODULE_ERROR_NO_MEMORY;
  }
  memset(instance, 0, descriptor->instance_bytes);
  modules[id] = (struct module){1, descriptor, destination, bytes, instance, {.module = id}, NULL, 0, 0};
  if (id == module_count) module_count++;
  return id;
}

/* Whether the module is a program (has main) rather than a handler (has handle). */
u32 Z_hardwareZ_module_is_program(struct Z_hardware_instance_t* h, u32 id) {
  struct module* module = module_at(id);
  return module && module->descriptor->main && !module->descriptor->handle;
}

/* Gives back everything the module holds: snapshot, memory and tables, instance, image. */
static void release_instance(struct module* module) {
  snapshot_destroy(module->snapshot);
  module->snapshot = NULL;
  module->descriptor->free(module->instance); /* NULL-safe for parts never made */
}

void Z_hardwareZ_module_unload(struct Z_hardware_instance_t* h, u32 id) {
  struct module* module = module_at(id);
  if (!module || module == running) return;
  release_instance(module);
  runtime_release(module->instance, module->descriptor->instance_bytes);
  runtime_release(module->image, module->image_bytes);
  modules[id] = (struct module){0};
}

/* The symbol the last failed load could not resolve, copied into kernel memory. */
u32 Z_hardwareZ_module_error_symbol(struct Z_hardware_instance_t* h, u32 destination, u32 capacity) {
  uint32_t length = 0;
  if (last_error_symbol)
    while (last_error_symbol[length] && length < capacity) length++;
  if (length) memcpy(kernel_bytes(h, destination, length), last_error_symbol, length);
  return length;
}

/*
 * A module's code, guarded: the trap that ended it, named MODULE_TRAP_MEMORY_LIMIT when the
 * module's own memory refused to grow on the way (AssemblyScript's allocator then executes
 * `unreachable`, which says nothing of why).
 */
static wasm_rt_trap_t guarded(struct module* module, void (*call)(void* context), void* context) {
  runtime_grow_refused = NULL;
  wasm_rt_trap_t trap = wasm_guard(call, context);
  if (trap != WASM_RT_TRAP_NONE && runtime_grow_refused && runtime_grow_refused == module_memory(module))
    trap = (wasm_rt_trap_t)MODULE_TRAP_MEMORY_LIMIT;
  return trap;
}

static void call_start(void* context) {
  struct module* module = context;
  module->descriptor->initialize_module();
  module->descriptor->instantiate(module->instance, &module->gate);
  if (module->descriptor->start) module->descriptor->start(module->instance);
}

/*
 * Instantiates and runs the start code. For a handler the state it leaves is the first
 * committed snapshot; a program gets no snapshot (its main() runs on a thread, not in runs).
 */
u32 Z_hardwareZ_module_start(struct Z_hardware_instance_t* h, u32 id) {
  struct module* module = module_at(id);
  if (!module) return WASM_RT_TRAP_CALL_INDIRECT;
  wasm_rt_trap_t trap = guarded(module, call_start, module);
  if (trap != WASM_RT_TRAP_NONE) return trap;
  if (!module->descriptor->handle || module->untracked) return WASM_RT_TRAP_NONE;
  wasm_rt_memory_t* memory = module_memory(module);
  module->snapshot = snapshot_create(memory->data, (uint64_t)memory->max_pages * 65536, module->instance,
                                     module->descriptor->instance_bytes);
  return module->snapshot ? WASM_RT_TRAP_NONE : WASM_RT_TRAP_OOB;
}

/*
 * Whether a handler's runs are transactions (the default) or run straight on its memory: the
 * network stack's, whose every frame would otherwise pay the snapshot's faults and copies. 0, or
 * 1 when a snapshot could not be made.
 */
u32 Z_hardwareZ_module_set_transactional(struct Z_hardware_instance_t* h, u32 id, u32 transactional) {
  struct module* module = module_at(id);
  if (!module || module == running || !module->descriptor->handle) return 1;
  module->untracked = !transactional;
  if (!transactional) {
    snapshot_destroy(module->snapshot); /* the memory is writable again */
    module->snapshot = NULL;
    return 0;
  }
  if (module->snapshot) return 0;
  wasm_rt_memory_t* memory = module_memory(module);
  module->snapshot = snapshot_create(memory->data, (uint64_t)memory->max_pages * 65536, module->instance,
                                     module->descriptor->instance_bytes);
  return module->snapshot ? 0 : 1;
}

/*
 * Back to the state right after start: memory and tables given back, the instance made
 * afresh and its start code run again (a handler's reset, or a new version of it).
 */
u32 Z_hardwareZ_module_reset(struct Z_hardware_instance_t* h, u32 id) {
  struct module* module = module_at(id);
  if (!module || module == running) return WASM_RT_TRAP_CALL_INDIRECT;
  release_instance(module);
  memset(module->instance, 0, module->descriptor->instance_bytes);
  return Z_hardwareZ_module_start(h, id);
}

static void call_main(void* context) {
  struct module* module = context;
  module->descriptor->main(module->instance);
}

wasm_rt_trap_t module_run_main(uint32_t id) {
  struct module* module = module_at(id);
  if (!module || !module->descriptor->main) return WASM_RT_TRAP_CALL_INDIRECT;
  return guarded(module, call_main, module);
}

struct handle_arguments {
  struct module* module;
  uint32_t kind, source, name, payload_length;
  uint64_t timestamp;
};

static void call_handle(void* context) {
  struct handle_arguments* arguments = context;
  arguments->module->entry_tsc = read_tsc();
  arguments->module->descriptor->handle(arguments->module->instance, arguments->kind, arguments->source,
                                        arguments->name, arguments->timestamp, arguments->payload_length);
}

/*
 * The modules a run's transaction spans besides the one that runs: the handlers it called
 * (module_call). Their changes commit or roll back with the run's own.
 */
static struct module* callees[MODULES_MAX];
static uint32_t callee_count;

static int called_in_this_run(struct module* module) {
  for (uint32_t i = 0; i < callee_count; i++)
    if (callees[i] == module) return 1;
  return 0;
}

u32 Z_hardwareZ_module_handle(struct Z_hardware_instance_t* h, u32 id, u32 kind, u32 source, u32 name, u64 timestamp,
                              u32 payload_length) {
  struct module* module = module_at(id);
  if (!module || !module->descriptor->handle) return WASM_RT_TRAP_CALL_INDIRECT;
  struct handle_arguments arguments = {module, kind, source, name, payload_length, timestamp};
  if (module->snapshot) snapshot_begin(module->snapshot);
  callee_count = 0;
  running = module;
  stop_requested = 0;
  /* Interrupts on for the run only: the budget timer must be able to reach the handler. */
  __asm__ volatile("sti" ::: "memory");
  wasm_rt_trap_t trap = guarded(module, call_handle, &arguments);
  __asm__ volatile("cli" ::: "memory");
  running = NULL;
  uint64_t snapshot_start = read_tsc();
  /* One transaction: the run and every handler it called commit together, or roll back together. */
  for (uint32_t i = 0; i < callee_count; i++) {
    if (trap == WASM_RT_TRAP_NONE) snapshot_commit(callees[i]->snapshot);
    else snapshot_rollback(callees[i]->snapshot);
  }
  callee_count = 0;
  if (!module->snapshot) {
    /* Untracked: nothing to commit; after a trap the kernel resets it. */
  } else if (trap == WASM_RT_TRAP_NONE) snapshot_commit(module->snapshot);
  else snapshot_rollback(module->snapshot);
  module->snapshot_cycles = read_tsc() - snapshot_start;
  return trap;
}

/*
 * A synchronous call from the running handler (inside its gate call, interrupts off): the
 * handler `id` runs for one event nested in the caller's run, as a sub-transaction. Its
 * changes are kept open: a trap undoes them at once (back to the savepoint taken here), and
 * otherwise they commit or roll back with the caller's run (module_handle). The budget is
 * the caller's: an overrun stops whichever of the two is running. Returns the callee's trap.
 */
u32 Z_hardwareZ_module_call(struct Z_hardware_instance_t* h, u32 id, u32 kind, u32 source, u32 name, u64 timestamp,
                            u32 payload_length) {
  struct module* callee = module_at(id);
  struct module* caller = running;
  if (!callee || !callee->descriptor->handle || !callee->snapshot || !caller || callee == caller)
    return WASM_RT_TRAP_CALL_INDIRECT;
  int first = !called_in_this_run(callee);
  if (first) {
    snapshot_begin(callee->snapshot);
    callees[callee_count++] = callee;
  }
  snapshot_savepoint(callee->snapshot, first); /* the first call's savepoint is the transaction's start */
  snapshot_track(callee->snapshot);
  struct handle_arguments arguments = {callee, kind, source, name, payload_length, timestamp};
  running = callee;
  __asm__ volatile("sti" ::: "memory");
  wasm_rt_trap_t trap = guarded(callee, call_handle, &arguments);
  __asm__ volatile("cli" ::: "memory");
  running = caller;
  if (trap != WASM_RT_TRAP_NONE) snapshot_rollback_to_savepoint(callee->snapshot);
  snapshot_track(caller->snapshot);
  return trap;
}

/* The module's last run: 0 = TSC at entry to the handler, 1 = cycles of its commit or rollback. */
u64 Z_hardwareZ_module_last_run(struct Z_hardware_instance_t* h, u32 id, u32 which) {
  struct module* module = module_at(id);
  if (!module) return 0;
  return which == 0 ? module->entry_tsc : module->snapshot_cycles;
}

/* Bytes a module holds: 0 = linked image, 1 = instance (globals), 2 = wasm memory in use, 3 = reserved. */
u64 Z_hardwareZ_module_footprint(struct Z_hardware_instance_t* h, u32 id, u32 which) {
  struct module* module = module_at(id);
  if (!module) return 0;
  wasm_rt_memory_t* memory = module_memory(module);
  switch (which) {
    case 0: return module->image_bytes;
    case 1: return module->descriptor->instance_bytes * 2; /* the live instance and the committed copy */
    case 2: return memory->size;
    case 3: return (uint64_t)memory->max_pages * 65536;
  }
  return 0;
}

/* Pages the module's last run dirtied (committed or rolled back), and totals, for the kernel's counters. */
u32 Z_hardwareZ_module_last_dirty_pages(struct Z_hardware_instance_t* h, u32 id) {
  struct module* module = module_at(id);
  return module && module->snapshot ? module->snapshot->dirty_count : 0;
}

/*
 * For the state log (kernel/storage/state_log.ts), between runs: the offset in the module's
 * wasm memory of the `index`-th page its last transaction dirtied (a run, or the calls made
 * to it in one), or ~0 past the last; the memory's address; and its globals, copied to
 * physical `destination` (their size; 0 when they exceed `capacity`).
 */
u64 Z_hardwareZ_module_dirty_page(struct Z_hardware_instance_t* h, u32 id, u32 index) {
  struct module* module = module_at(id);
  if (!module || !module->snapshot || index >= module->snapshot->dirty_count) return ~0ull;
  return (uint64_t)(module->snapshot->dirty_pages[index] - module->snapshot->memory);
}

u64 Z_hardwareZ_module_memory_address(struct Z_hardware_instance_t* h, u32 id) {
  struct module* module = module_at(id);
  return module ? (uint64_t)module_memory(module)->data : 0;
}

u32 Z_hardwareZ_module_globals_save(struct Z_hardware_instance_t* h, u32 id, u64 destination, u32 capacity) {
  struct module* module = module_at(id);
  if (!module || module == running || module->descriptor->globals_bytes > capacity) return 0;
  memcpy((void*)destination, (uint8_t*)module->instance + module->descriptor->globals_offset, module->descriptor->globals_bytes);
  return module->descriptor->globals_bytes;
}

/* The module's version string (UTF-16LE bytes, as AssemblyScript stores it) into kernel memory. */
u32 Z_hardwareZ_module_version(struct Z_hardware_instance_t* h, u32 id, u32 destination, u32 capacity) {
  struct module* module = module_at(id);
  if (!module || !module->descriptor->version) return 0;
  uint32_t address = 0, length = 0;
  module->descriptor->version(module->instance, &address, &length);
  if (length > capacity) length = capacity;
  wasm_rt_memory_t* memory = module_memory(module);
  if ((uint64_t)address + length > memory->size) return 0;
  memcpy(kernel_bytes(h, destination, length), memory->data + address, length);
  return length;
}

/*
 * A handler's committed state, for keeping it across a warm reboot: its globals, then the
 * wasm memory in use, written to physical `destination` (at most `capacity` bytes). Between
 * runs the live instance and memory are the committed ones. Returns the bytes written, or
 * 0 when they do not fit.
 */
u64 Z_hardwareZ_module_state_save(struct Z_hardware_instance_t* h, u32 id, u64 destination, u64 capacity) {
  struct module* module = module_at(id);
  if (!module || module == running || !module->snapshot) return 0;
  const struct module_descriptor* descriptor = module->descriptor;
  wasm_rt_memory_t* memory = module_memory(module);
  uint64_t bytes = (uint64_t)descriptor->globals_bytes + memory->size;
  if (bytes > capacity) return 0;
  memcpy((void*)destination, (uint8_t*)module->instance + descriptor->globals_offset, descriptor->globals_bytes);
  memcpy((void*)(destination + descriptor->globals_bytes), memory->data, memory->size);
  return bytes;
}

/*
 * Makes `globals` and the `memory_bytes` of wasm memory at `memory_source` the module's
 * committed state, right after its start: the memory grows to fit and takes the contents,
 * the globals are overwritten, and that becomes the committed snapshot. Returns 0, or 1 when
 * the state does not fit the module (wrong globals size, more memory than its maximum).
 */
static uint32_t adopt_state(struct module* module, const void* globals, uint32_t globals_bytes, const void* memory_source,
                            uint64_t memory_bytes) {
  if (!module || module == running || !module->snapshot) return 1;
  const struct module_descriptor* descriptor = module->descriptor;
  wasm_rt_memory_t* memory = module_memory(module);
  if (globals_bytes != descriptor->globals_bytes || memory_bytes % 65536 != 0 ||
      memory_bytes > (uint64_t)memory->max_pages * 65536)
    return 1;
  snapshot_destroy(module->snapshot); /* the memory is writable again */
  if (memory_bytes > memory->size) wasm_rt_grow_memory(memory, (uint32_t)((memory_bytes - memory->size) / 65536));
  memcpy(memory->data, memory_source, memory_bytes);
  memcpy((uint8_t*)module->instance + descriptor->globals_offset, globals, globals_bytes);
  module->snapshot = snapshot_create(memory->data, (uint64_t)memory->max_pages * 65536, module->instance,
                                     descriptor->instance_bytes);
  return module->snapshot ? 0 : 1;
}

/* The reverse of module_state_save, right after start; the caller checked the version and globals layout. */
u32 Z_hardwareZ_module_state_restore(struct Z_hardware_instance_t* h, u32 id, u64 source, u32 globals_bytes,
                                     u64 memory_bytes) {
  return adopt_state(module_at(id), (const void*)source, globals_bytes, (const void*)(source + globals_bytes), memory_bytes);
}

/*
 * A live upgrade that keeps the state: module `from`'s committed globals and memory become
 * module `to`'s, right after `to` started. The caller checked the version and globals layout.
 */
u32 Z_hardwareZ_module_state_copy(struct Z_hardware_instance_t* h, u32 from, u32 to) {
  struct module* source = module_at(from);
  if (!source || source == running || !source->snapshot) return 1;
  wasm_rt_memory_t* memory = module_memory(source);
  return adopt_state(module_at(to), (uint8_t*)source->instance + source->descriptor->globals_offset,
                     source->descriptor->globals_bytes, memory->data, memory->size);
}

/* The hash of the module's globals layout (toolchain/src/build/handler_descriptor.ts). */
u32 Z_hardwareZ_module_globals_layout(struct Z_hardware_instance_t* h, u32 id) {
  struct module* module = module_at(id);
  return module ? module->descriptor->globals_layout : 0;
}

/* Copies between a module's memory and the kernel's; false when the module range is out of bounds. */
u32 Z_hardwareZ_module_copy_in(struct Z_hardware_instance_t* h, u32 id, u32 destination, u32 source, u32 length) {
  struct module* module = module_at(id);
  if (!module) return 0;
  wasm_rt_memory_t* memory = module_memory(module);
  if ((uint64_t)source + length > memory->size) return 0;
  memcpy(kernel_bytes(h, destination, length), memory->data + source, length);
  return 1;
}

u32 Z_hardwareZ_module_copy_out(struct Z_hardware_instance_t* h, u32 id, u32 destination, u32 source, u32 length) {
  struct module* module = module_at(id);
  if (!module) return 0;
  wasm_rt_memory_t* memory = module_memory(module);
  if ((uint64_t)destination + length > memory->size) return 0;
  memcpy(memory->data + destination, kernel_bytes(h, source, length), length);
  return 1;
}

u64 Z_hardwareZ_module_memory_bytes(struct Z_hardware_instance_t* h, u32 id) {
  struct module* module = module_at(id);
  return module ? module_memory(module)->size : 0;
}

/* The kernel's verdict that the running handler overran its budget. */
void Z_hardwareZ_module_request_stop(struct Z_hardware_instance_t* h) {
  if (running) stop_requested = 1;
}

/* Called by the gate when a kernel call returns to the handler. */
void module_stop_if_requested(void) {
  if (running && stop_requested) wasm_rt_trap(MODULE_TRAP_OVERRUN);
}

void module_budget_overrun(void) {
  wasm_rt_trap(MODULE_TRAP_OVERRUN);
}

/*
 * After an interrupt: if a stop was requested and the CPU was in the running module's own
 * code, return into module_budget_trampoline (interrupts.S), which ends the run with the
 * overrun trap. Elsewhere (the gate, the runtime) we leave it: the gate traps on return, and
 * the kernel re-arms a short timer to catch the module's own code soon.
 */
void module_preempt(struct interrupt_frame* frame) {
  if (!running || !stop_requested) return;
  if (frame->rip < (uint64_t)running->image || frame->rip >= (uint64_t)running->image + running->image_bytes) return;
  frame->rip = (uint64_t)module_budget_trampoline;
}
