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

/* boot/early_serial.c: COM1 output for when the kernel cannot speak for itself. */
void early_print(const char* text);
void early_print_hex(uint64_t value);
__attribute__((noreturn)) void boot_halt(void);
__attribute__((noreturn)) void boot_panic(const char* message);

/* boot/wasm_runtime.c: run `call(context)`; returns WASM_RT_TRAP_NONE or the trap that ended it. */
wasm_rt_trap_t wasm_guard(void (*call)(void* context), void* context);

/* boot/idt.c */
void idt_install(void);
extern const struct interrupt_frame* interrupt_current_frame;

/* boot/main.c: the kernel instance's entry points, for interrupt dispatch. */
void kernel_report_exception(const struct interrupt_frame* frame);
void kernel_report_interrupt(uint32_t vector);

/* boot/entry.S, boot/linker.ld */
extern uint64_t boot_entry_tsc;
extern char kernel_image_start[], kernel_image_end[];
#endif
