/* boot_main: instantiate the kernel's wasm module and hand it the boot information. */
#include "boot.h"
#include "kernel.h"

struct Z_env_instance_t {
  int unused;
};

static Z_kernel_instance_t kernel;
static struct Z_env_instance_t environment;
static struct Z_hardware_instance_t hardware;
static int kernel_ready;

struct boot_arguments {
  uint32_t magic;
  uint64_t information;
};

struct Z_kernel_instance_t* boot_kernel_instance(void) {
  return &kernel;
}

static void* allocate_kernel_pages(uint64_t pages) {
  return (void*)Z_kernelZ_kernel_allocate_pages(&kernel, (u32)pages);
}

static void release_kernel_pages(void* pages, uint64_t count) {
  Z_kernelZ_kernel_free_pages(&kernel, (u64)pages, (u32)count);
}

/* The kernel calls this once its page allocator is up: module memories come from it from then on. */
void Z_hardwareZ_runtime_use_page_allocator(struct Z_hardware_instance_t* h) {
  runtime_use_page_source(allocate_kernel_pages, release_kernel_pages);
}

static void call_kernel_initialize(void* context) { Z_kernelZ_kernel_initialize(&kernel); }

static void call_kernel_main(void* context) {
  struct boot_arguments* arguments = context;
  Z_kernelZ_kernel_main(&kernel, arguments->magic, arguments->information);
}

static void call_kernel_trap(void* context) { Z_kernelZ_kernel_trap(&kernel, *(uint32_t*)context); }

static void call_kernel_exception(void* context) {
  const struct interrupt_frame* frame = context;
  Z_kernelZ_kernel_exception(&kernel, (uint32_t)frame->vector, frame->error_code, frame->rip);
}

static void call_kernel_interrupt(void* context) { Z_kernelZ_kernel_interrupt(&kernel, *(uint32_t*)context); }

/* A trap in the kernel's own code is a kernel bug: the kernel reports it, or we do. */
static void report_kernel_trap(wasm_rt_trap_t trap) {
  uint32_t kind = (uint32_t)trap;
  if (wasm_guard(call_kernel_trap, &kind) != WASM_RT_TRAP_NONE) {
    early_print("\nOptiOS: kernel trap (");
    early_print(wasm_rt_strerror(trap));
    early_print(") and another while reporting it\n");
  }
}

/* AssemblyScript's abort(): the kernel reports it as a panic and never returns. */
void Z_envZ_abort(struct Z_env_instance_t* unused, u32 message, u32 file, u32 line, u32 column) {
  Z_kernelZ_kernel_abort(&kernel, message, file, line, column);
  boot_panic("kernel abort() returned");
}

void kernel_report_exception(const struct interrupt_frame* frame) {
  if (!kernel_ready || wasm_guard(call_kernel_exception, (void*)frame) != WASM_RT_TRAP_NONE)
    early_report_exception(frame, "CPU exception the kernel could not report");
}

void kernel_report_interrupt(uint32_t vector) {
  if (!kernel_ready) return;
  wasm_rt_trap_t trap = wasm_guard(call_kernel_interrupt, &vector);
  if (trap != WASM_RT_TRAP_NONE) report_kernel_trap(trap);
}

void boot_main(uint32_t magic, uint64_t information) {
  idt_install();
  wasm_rt_init();
  Z_kernel_init_module();
  Z_kernel_instantiate(&kernel, &environment, &hardware);
  hardware.kernel_memory = Z_kernelZ_memory(&kernel);
  kernel_ready = 1;
  wasm_rt_trap_t trap = wasm_guard(call_kernel_initialize, NULL);
  if (trap == WASM_RT_TRAP_NONE) {
    struct boot_arguments arguments = {magic, information};
    trap = wasm_guard(call_kernel_main, &arguments);
  }
  if (trap != WASM_RT_TRAP_NONE) report_kernel_trap(trap);
  boot_halt();
}
