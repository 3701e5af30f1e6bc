/* Threads: each foreground program runs on its own stack; switching resumes another saved frame. */
/*
 * Thread 0 is the kernel's own: the boot stack, the event loop, every handler run. Threads
 * 1 … THREADS_MAX-1 each run one program module's main() on a stack of their own. A thread
 * not running is a saved interrupt frame (registers, then FPU/SSE state 512 bytes below it,
 * exactly as interrupts.S leaves them), so every switch happens on the way out of an
 * interrupt:
 *   - a device interrupt: the kernel, asked what to run next, may name thread 0
 *     (thread_request_switch) — that is preemption;
 *   - `int $48` (thread_switch): the calling thread gives up the CPU and names who runs.
 * wasm2c's call depth and the innermost trap guard belong to the thread, and are swapped too.
 * Which thread runs when is the kernel's policy (kernel/programs/scheduler.ts); this file
 * only does it.
 */
#include "boot.h"
#include "kernel.h"

#define THREADS_MAX 8
#define THREAD_STACK_BYTES (128 * 1024)
#define FXSAVE_BYTES 512
#define FLAGS_INTERRUPTS_ON 0x202
#define KERNEL_CODE_SELECTOR 0x08
#define FPU_CONTROL_DEFAULT 0x037f
#define MXCSR_DEFAULT 0x1f80
/* The result of a thread ended by thread_kill (beyond wasm_rt_trap_t and MODULE_TRAP_OVERRUN). */
#define THREAD_KILLED 101

enum thread_state { THREAD_FREE, THREAD_ALIVE, THREAD_ENDED };

struct thread {
  enum thread_state state;
  struct interrupt_frame* frame; /* while not running */
  uint8_t* stack;
  uint32_t module;
  uint32_t call_depth;
  jmp_buf* trap_target;
  wasm_rt_trap_t result; /* how main() ended, once THREAD_ENDED */
};

static struct thread threads[THREADS_MAX] = {{THREAD_ALIVE}};
static uint32_t current;
static int requested = -1;

/* Where a new thread starts: main() inside its own guard, then a report, then never again. */
static void thread_entry(void) {
  struct thread* self = &threads[current];
  wasm_rt_trap_t result = module_run_main(self->module);
  __asm__ volatile("cli" ::: "memory");
  self->result = result;
  self->state = THREAD_ENDED;
  for (;;) {
    requested = 0;
    __asm__ volatile("int $48" ::: "memory");
  }
}

/* A new thread for program module `module`, ready to run main(); its number, or -1 when none is free. */
u32 Z_hardwareZ_thread_create(struct Z_hardware_instance_t* h, u32 module) {
  uint32_t id = 1;
  while (id < THREADS_MAX && threads[id].state != THREAD_FREE) id++;
  if (id == THREADS_MAX) return (u32)-1;
  uint8_t* stack = runtime_allocate(THREAD_STACK_BYTES);
  if (!stack) return (u32)-1;
  uint64_t top = (uint64_t)(stack + THREAD_STACK_BYTES);
  struct interrupt_frame* frame = (struct interrupt_frame*)((top - sizeof *frame - 64) & ~15ull);
  uint8_t* fpu = (uint8_t*)frame - FXSAVE_BYTES;
  memset(fpu, 0, FXSAVE_BYTES);
  *(uint16_t*)fpu = FPU_CONTROL_DEFAULT;
  *(uint32_t*)(fpu + 24) = MXCSR_DEFAULT;
  memset(frame, 0, sizeof *frame);
  uint16_t stack_selector;
  __asm__ volatile("mov %%ss, %0" : "=r"(stack_selector));
  frame->rip = (uint64_t)thread_entry;
  frame->cs = KERNEL_CODE_SELECTOR;
  frame->rflags = FLAGS_INTERRUPTS_ON;
  frame->rsp = top - 8; /* as if called: rsp + 8 is 16-byte aligned at a function's entry */
  frame->ss = stack_selector;
  threads[id] = (struct thread){THREAD_ALIVE, frame, stack, module, 0, NULL, WASM_RT_TRAP_NONE};
  return id;
}

/* -1 while the thread runs or waits; once main() has ended, the trap that ended it (0: returned). */
u32 Z_hardwareZ_thread_result(struct Z_hardware_instance_t* h, u32 id) {
  if (id >= THREADS_MAX || threads[id].state != THREAD_ENDED) return (u32)-1;
  return threads[id].result;
}

/* Frees an ended thread's stack and its number. */
void Z_hardwareZ_thread_release(struct Z_hardware_instance_t* h, u32 id) {
  if (id == 0 || id >= THREADS_MAX || threads[id].state != THREAD_ENDED) return;
  runtime_release(threads[id].stack, THREAD_STACK_BYTES);
  threads[id] = (struct thread){THREAD_FREE};
}

u32 Z_hardwareZ_thread_current(struct Z_hardware_instance_t* h) { return current; }

/* Switches to thread `id` now; returns when somebody switches back to the caller. */
void Z_hardwareZ_thread_switch(struct Z_hardware_instance_t* h, u32 id) {
  if (id >= THREADS_MAX || id == current || threads[id].state == THREAD_FREE) return;
  requested = (int)id;
  __asm__ volatile("int $48" ::: "memory");
}

/* Switches to thread `id` when the interrupt being handled ends (preemption). */
void Z_hardwareZ_thread_request_switch(struct Z_hardware_instance_t* h, u32 id) {
  if (id < THREADS_MAX && threads[id].state != THREAD_FREE) requested = (int)id;
}

struct interrupt_frame* threads_after_interrupt(struct interrupt_frame* frame) {
  if (requested < 0 || (uint32_t)requested == current) {
    requested = -1;
    return frame;
  }
  struct thread* from = &threads[current];
  from->frame = frame;
  from->call_depth = wasm_rt_call_stack_depth;
  from->trap_target = wasm_guard_target();
  current = (uint32_t)requested;
  requested = -1;
  struct thread* to = &threads[current];
  wasm_rt_call_stack_depth = to->call_depth;
  wasm_guard_set_target(to->trap_target);
  return to->frame;
}

/* Ends a thread that is not the one running (a program stopped from the shell); reaped like any other. */
void Z_hardwareZ_thread_kill(struct Z_hardware_instance_t* h, u32 id) {
  if (id == 0 || id >= THREADS_MAX || id == current || threads[id].state != THREAD_ALIVE) return;
  threads[id].state = THREAD_ENDED;
  threads[id].result = (wasm_rt_trap_t)THREAD_KILLED;
}
