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

#define MULTIBOOT2_BOOT_MAGIC 0x36d76289u
#define PVH_BOOT_MAGIC 0x336ec578u
#define MEMORY_AVAILABLE 1u

static void early_print_decimal(uint64_t value) {
  char digits[21];
  int at = 20;
  digits[at] = 0;
  do digits[--at] = (char)('0' + value % 10); while ((value /= 10) != 0 && at > 0);
  early_print(&digits[at]);
}

/* One memory-map entry: adds available RAM to *total and notes whether it holds the whole kernel image. */
static void count_region(uint64_t base, uint64_t length, uint32_t type, uint64_t* total, int* holds_image) {
  if (type != MEMORY_AVAILABLE) return;
  *total += length;
  if (base <= (uint64_t)kernel_image_start && base + length >= (uint64_t)kernel_image_end) *holds_image = 1;
}

/*
 * Before the kernel's instance exists: is the kernel image (its bss holds the wasm arena the
 * kernel runs in) inside the RAM the loader reported? If not, nothing of the kernel can run,
 * so this is said here, on COM1, with how much RAM there is and how much is needed. A memory
 * map that cannot be read is left to the kernel, which checks it again and names the problem.
 */
static void check_image_fits(uint32_t magic, uint64_t information) {
  uint64_t total = 0;
  int holds_image = 0;
  if (magic == MULTIBOOT2_BOOT_MAGIC && information != 0) {
    uint32_t size = *(volatile uint32_t*)information;
    for (uint32_t offset = 8; size <= 65536 && offset + 8 <= size;) {
      uint32_t type = *(volatile uint32_t*)(information + offset);
      uint32_t tag_size = *(volatile uint32_t*)(information + offset + 4);
      if (type == 0 || tag_size < 8 || tag_size > size - offset) break;
      if (type == 6 && tag_size >= 16) {
        uint32_t entry_size = *(volatile uint32_t*)(information + offset + 8);
        for (uint32_t entry = 16; entry_size >= 24 && entry + entry_size <= tag_size; entry += entry_size) {
          uint64_t at = information + offset + entry;
          count_region(*(volatile uint64_t*)at, *(volatile uint64_t*)(at + 8), *(volatile uint32_t*)(at + 16), &total, &holds_image);
        }
      }
      offset = (offset + tag_size + 7) & ~7u;
    }
  } else if (magic == PVH_BOOT_MAGIC && information != 0 && *(volatile uint32_t*)information == PVH_BOOT_MAGIC) {
    uint64_t map = *(volatile uint64_t*)(information + 40);
    uint32_t entries = *(volatile uint32_t*)(information + 48);
    for (uint32_t i = 0; map != 0 && i < entries && i < 128; i++) {
      uint64_t at = map + (uint64_t)i * 24;
      count_region(*(volatile uint64_t*)at, *(volatile uint64_t*)(at + 8), *(volatile uint32_t*)(at + 16), &total, &holds_image);
    }
  }
  if (total == 0 || holds_image) return;
  early_print("\nOptiOS: this machine needs more memory: it has ");
  early_print_decimal(total >> 10);
  early_print(" KiB of usable RAM, and the kernel alone needs RAM up to ");
  early_print_hex((uint64_t)kernel_image_end);
  early_print(" (at least ");
  early_print_decimal(((uint64_t)kernel_image_end + 0xfffff) >> 20);
  early_print(" MiB; a working shell needs more: docs/benchmarks.md)\n");
  boot_halt();
}

void boot_main(uint32_t magic, uint64_t information) {
  check_image_fits(magic, information);
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
