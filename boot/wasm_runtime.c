/* Freestanding wasm2c runtime: memories, tables, function types, traps and call depth. */
/*
 * wasm2c's generated C calls these functions; Debian's hosted runtime uses malloc, mmap and
 * signals, none of which exist here. Invariants:
 *   - every memory is bounds-checked in software (we compile with
 *     WASM_RT_MEMCHECK_SIGNAL_HANDLER=0), and reserves its maximum size up front, so growing
 *     never moves it;
 *   - a trap longjmps to the innermost wasm_guard(), which restores the call depth.
 * The kernel's own memory comes from a fixed arena in the kernel image (RUNTIME_ARENA_BYTES,
 * set by the build from the kernel's maximum memory; the page allocator excludes the whole
 * image). Once the kernel's page allocator runs, modules' memories come from it.
 */
#include <stdarg.h>
#include <stddef.h>
#include "boot.h"

#define WASM_PAGE_BYTES 65536u
#define MAX_FUNCTION_TYPES 128
#define MAX_FUNCTION_TYPE_VALUES 2048

#ifndef RUNTIME_ARENA_BYTES
#error "RUNTIME_ARENA_BYTES must be set by the build (toolchain/src/build)"
#endif

uint32_t wasm_rt_call_stack_depth;

static jmp_buf* trap_target;
static int initialized;

static uint8_t arena[RUNTIME_ARENA_BYTES] __attribute__((aligned(4096)));
static uint64_t arena_used;

static void* (*page_source)(uint64_t pages);
static void (*page_release)(void* pages, uint64_t count);

static void* arena_allocate(uint64_t bytes) {
  uint64_t start = (arena_used + 4095) & ~4095ull;
  if (start + bytes > sizeof arena) boot_panic("wasm runtime arena exhausted (RUNTIME_ARENA_BYTES too small)");
  arena_used = start + bytes;
  return arena + start;
}

/* Once the kernel's page allocator runs, everything after the kernel's own memory comes from it. */
void runtime_use_page_source(void* (*allocate_pages)(uint64_t pages), void (*release_pages)(void* pages, uint64_t count)) {
  page_source = allocate_pages;
  page_release = release_pages;
}

void* runtime_allocate(uint64_t bytes) {
  if (!page_source) return arena_allocate(bytes);
  return page_source((bytes + 4095) / 4096);
}

/* Gives back what runtime_allocate(bytes) returned; the boot arena is never given back. */
void runtime_release(void* pointer, uint64_t bytes) {
  uint8_t* start = pointer;
  if (!pointer || !page_release || (start >= arena && start < arena + sizeof arena)) return;
  page_release(pointer, (bytes + 4095) / 4096);
}

/* The innermost guard's jump target, swapped with the call depth on every thread switch (threads.c). */
jmp_buf* wasm_guard_target(void) { return trap_target; }
void wasm_guard_set_target(jmp_buf* target) { trap_target = target; }

void wasm_rt_init(void) { initialized = 1; }
bool wasm_rt_is_initialized(void) { return initialized; }
void wasm_rt_free(void) { initialized = 0; }

wasm_rt_trap_t wasm_guard(void (*call)(void* context), void* context) {
  jmp_buf here;
  jmp_buf* volatile outer = trap_target;
  volatile uint32_t depth = wasm_rt_call_stack_depth;
  trap_target = &here;
  wasm_rt_trap_t trap = (wasm_rt_trap_t)setjmp(here);
  if (trap == WASM_RT_TRAP_NONE) call(context);
  trap_target = outer;
  wasm_rt_call_stack_depth = depth;
  return trap;
}

void wasm_rt_trap(wasm_rt_trap_t trap) {
  if (!trap_target) boot_panic("wasm trap outside any guard");
  longjmp(*trap_target, (int)trap);
}

const char* wasm_rt_strerror(wasm_rt_trap_t trap) {
  switch (trap) {
    case WASM_RT_TRAP_NONE: return "no trap";
    case WASM_RT_TRAP_OOB: return "out-of-bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable executed";
    case WASM_RT_TRAP_CALL_INDIRECT: return "bad indirect call";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
  }
  return "unknown trap";
}

/* Function types: a flat pool of (parameter count, result count, types…) records. */
static uint32_t type_offsets[MAX_FUNCTION_TYPES];
static uint32_t type_count;
static uint8_t type_values[MAX_FUNCTION_TYPE_VALUES];
static uint32_t type_values_used;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  uint8_t record[2 + 256];
  uint32_t length = 2 + params + results;
  if (params + results > 256) boot_panic("wasm function type has more than 256 values");
  record[0] = (uint8_t)params;
  record[1] = (uint8_t)results;
  va_list arguments;
  va_start(arguments, results);
  for (uint32_t i = 0; i < params + results; i++) record[2 + i] = (uint8_t)va_arg(arguments, int);
  va_end(arguments);
  for (uint32_t index = 0; index < type_count; index++) {
    const uint8_t* known = type_values + type_offsets[index];
    if (known[0] == record[0] && known[1] == record[1] && memcmp(known + 2, record + 2, length - 2) == 0)
      return index;
  }
  if (type_count == MAX_FUNCTION_TYPES || type_values_used + length > MAX_FUNCTION_TYPE_VALUES)
    boot_panic("too many wasm function types");
  type_offsets[type_count] = type_values_used;
  memcpy(type_values + type_values_used, record, length);
  type_values_used += length;
  return type_count++;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages) {
  if (max_pages >= 65536) boot_panic("wasm memory without a maximum (build it with --maximumMemory)");
  memory->data = runtime_allocate((uint64_t)max_pages * WASM_PAGE_BYTES);
  if (!memory->data) wasm_rt_trap(WASM_RT_TRAP_OOB); /* no memory for the module: its start traps */
  memory->pages = initial_pages;
  memory->max_pages = max_pages;
  memory->size = initial_pages * WASM_PAGE_BYTES;
  memset(memory->data, 0, memory->size);
}

wasm_rt_memory_t* runtime_grow_refused;

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t delta) {
  uint32_t old_pages = memory->pages;
  uint64_t new_pages = (uint64_t)old_pages + delta;
  if (new_pages > memory->max_pages) {
    runtime_grow_refused = memory;
    return (uint32_t)-1;
  }
  memset(memory->data + memory->size, 0, (uint64_t)delta * WASM_PAGE_BYTES);
  memory->pages = (uint32_t)new_pages;
  memory->size = (uint32_t)(new_pages * WASM_PAGE_BYTES);
  return old_pages;
}

void wasm_rt_free_memory(wasm_rt_memory_t* memory) {
  runtime_release(memory->data, (uint64_t)memory->max_pages * WASM_PAGE_BYTES);
  memory->data = NULL;
  memory->size = 0;
}

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t* table, uint32_t elements, uint32_t max_elements) {
  uint32_t reserve = max_elements > elements ? max_elements : elements;
  if (reserve > 65536) reserve = elements;
  table->data = runtime_allocate((uint64_t)reserve * sizeof(wasm_rt_funcref_t));
  if (!table->data) wasm_rt_trap(WASM_RT_TRAP_OOB);
  memset(table->data, 0, (uint64_t)elements * sizeof(wasm_rt_funcref_t));
  table->size = elements;
  table->max_size = reserve;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t* table) {
  runtime_release(table->data, (uint64_t)table->max_size * sizeof(wasm_rt_funcref_t));
  table->data = NULL;
  table->size = 0;
}

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t* table, uint32_t delta, wasm_rt_funcref_t initial) {
  uint32_t old_size = table->size;
  if ((uint64_t)old_size + delta > table->max_size) return (uint32_t)-1;
  for (uint32_t i = 0; i < delta; i++) table->data[old_size + i] = initial;
  table->size = old_size + delta;
  return old_size;
}
