/* The interrupt descriptor table: 49 gates to interrupts.S, dispatch to the kernel. */
/*
 * Vectors 0-31 are CPU exceptions: the kernel reports them (vector, error code, RIP, CR2,
 * registers) and decides what happens next. Vectors 32-47 are device interrupts (the local
 * APIC timer, the remapped PIC lines, spurious); vector 48 is a thread yielding (threads.c).
 * After a device interrupt or a yield the kernel may have asked for another thread: the
 * frame returned is the one interrupts.S resumes. An exception raised while one is being reported is caught here, printed on
 * COM1 by boot/ itself, and stops the machine: nothing can be trusted at that point.
 */
#include "boot.h"
#include "snapshot.h"

#define INTERRUPT_VECTORS 49
#define CPU_EXCEPTIONS 32
#define KERNEL_CODE_SELECTOR 0x08
#define GATE_PRESENT_INTERRUPT 0x8e
#define VECTOR_PAGE_FAULT 14

struct idt_gate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t stack_table;
  uint8_t attributes;
  uint16_t offset_middle;
  uint32_t offset_high;
  uint32_t reserved;
} __attribute__((packed));

struct idt_pointer {
  uint16_t limit;
  uint64_t base;
} __attribute__((packed));

extern const uint64_t interrupt_stubs[INTERRUPT_VECTORS];

static struct idt_gate idt[INTERRUPT_VECTORS] __attribute__((aligned(16)));
static int exception_depth;
const struct interrupt_frame* interrupt_current_frame;

void idt_install(void) {
  for (int vector = 0; vector < INTERRUPT_VECTORS; vector++) {
    uint64_t address = interrupt_stubs[vector];
    idt[vector] = (struct idt_gate){
        .offset_low = (uint16_t)address,
        .selector = KERNEL_CODE_SELECTOR,
        .attributes = GATE_PRESENT_INTERRUPT,
        .offset_middle = (uint16_t)(address >> 16),
        .offset_high = (uint32_t)(address >> 32),
    };
  }
  struct idt_pointer pointer = {sizeof idt - 1, (uint64_t)idt};
  __asm__ volatile("lidt %0" : : "m"(pointer));
}

static uint64_t read_cr2(void) {
  uint64_t cr2;
  __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
  return cr2;
}

struct interrupt_frame* interrupt_dispatch(struct interrupt_frame* frame) {
  /*
   * The interrupted code may be a handler hundreds of wasm calls deep, and wasm2c's call
   * depth counter is one for all instances: the kernel's handler must not inherit it, or it
   * would trap at the limit and never acknowledge the interrupt (the APIC then delivers no
   * more timer interrupts). Its own few frames fit on the 256 KiB boot stack beside it.
   */
  if (frame->vector == THREAD_YIELD_VECTOR) return threads_after_interrupt(frame);
  uint32_t interrupted_depth = wasm_rt_call_stack_depth;
  wasm_rt_call_stack_depth = 0;
  if (frame->vector >= CPU_EXCEPTIONS) {
    kernel_report_interrupt((uint32_t)frame->vector);
    module_preempt(frame);
    wasm_rt_call_stack_depth = interrupted_depth;
    return threads_after_interrupt(frame);
  }
  /* A handler's first write to a page in a run (it may ask the kernel for an undo page). */
  if (frame->vector == VECTOR_PAGE_FAULT && snapshot_write_fault(read_cr2(), frame->error_code)) {
    wasm_rt_call_stack_depth = interrupted_depth;
    return frame;
  }
  if (exception_depth++ > 0) early_report_exception(frame, "CPU exception while reporting another one");
  interrupt_current_frame = frame;
  kernel_report_exception(frame);
  /* The kernel decides whether to stop; if it ever returns, the faulting code cannot resume. */
  boot_halt();
}
