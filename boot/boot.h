/* Declarations shared by boot/'s C files: the interrupt frame, early output, the guard. */
#ifndef OPTIOS_BOOT_H
#define OPTIOS_BOOT_H
#include <stdint.h>
#include "wasm-rt.h"

/* What interrupts.S leaves on the stack, lowest address first. */
struct interrupt_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss;
};

/* The "hardware" import module's instance: what hardware.c needs to reach the kernel. */
struct Z_hardware_instance_t {
  wasm_rt_memory_t* kernel_memory;
};

/* A module's gate: passed as the instance of every module it imports (handler_gate.c). */
struct handler_gate {
  uint32_t module;
};
#include "gate_interface.h"

/* boot/early_serial.c: COM1 output for when the kernel cannot speak for itself. */
void early_print(const char* text);
void early_print_hex(uint64_t value);
__attribute__((noreturn)) void boot_halt(void);
__attribute__((noreturn)) void boot_panic(const char* message);
__attribute__((noreturn)) void early_report_exception(const struct interrupt_frame* frame, const char* why);

/* boot/wasm_runtime.c: run `call(context)`; returns WASM_RT_TRAP_NONE or the trap that ended it. */
wasm_rt_trap_t wasm_guard(void (*call)(void* context), void* context);
/* Memory for instances, memories and tables: the boot arena, then the kernel's page allocator. */
void* runtime_allocate(uint64_t bytes);
void runtime_release(void* pointer, uint64_t bytes);
void runtime_use_page_source(void* (*allocate_pages)(uint64_t pages), void (*release_pages)(void* pages, uint64_t count));
jmp_buf* wasm_guard_target(void);
/* The memory whose last memory.grow was refused at its maximum (modules.c names the trap after it). */
extern wasm_rt_memory_t* runtime_grow_refused;
void wasm_guard_set_target(jmp_buf* target);

/* boot/idt.c; interrupt_dispatch returns the frame interrupts.S resumes. */
void idt_install(void);
struct interrupt_frame* interrupt_dispatch(struct interrupt_frame* frame);
extern const struct interrupt_frame* interrupt_current_frame;

/* boot/hardware.c: a bounds-checked view of the kernel's linear memory (traps when out of range). */
uint8_t* kernel_bytes(struct Z_hardware_instance_t* hardware, uint32_t offset, uint32_t length);

/* boot/modules.c: redirect an interrupted, overrunning handler to its end. */
void module_preempt(struct interrupt_frame* frame);
/* boot/modules.c: run a program module's main (on its own thread); the trap that ended it. */
wasm_rt_trap_t module_run_main(uint32_t id);

/* boot/threads.c: the thread to resume after this interrupt (the same frame, or a switch). */
#define THREAD_YIELD_VECTOR 48
struct interrupt_frame* threads_after_interrupt(struct interrupt_frame* frame);

/* boot/main.c: the kernel instance (its type is in the generated kernel.h), and its entry points. */
struct Z_kernel_instance_t* boot_kernel_instance(void);
void kernel_report_exception(const struct interrupt_frame* frame);
void kernel_report_interrupt(uint32_t vector);

/* boot/entry.S, boot/linker.ld */
extern uint64_t boot_entry_tsc;
extern char kernel_image_start[], kernel_image_end[];
#endif
