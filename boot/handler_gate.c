/* The gate: every call a handler or program module makes arrives here and goes to the kernel. */
/*
 * A module's imports are wasm2c functions named Z_<module>Z_<name>; the loader resolves them
 * by name against MODULE_GATE_SYMBOLS, so the stubs in gate_calls.c (generated from
 * interface/optios.ts) are the only kernel entry points a module can reach. Each receives
 * the calling module's gate and forwards here with the call's number; the kernel
 * (kernel/gate/gate.ts) decides, with the module number, whether the caller may make it.
 */
#include "boot.h"
#include "kernel.h"
#include "module.h"

/* Kernel calls run with interrupts off (they are never preempted midway); an overrun noticed
   meanwhile stops the handler as soon as the call returns to it. */
uint64_t gate_call(struct handler_gate* gate, enum gate_call call, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e) {
  uint64_t flags;
  __asm__ volatile("pushfq; pop %0; cli" : "=r"(flags) : : "memory");
  uint64_t result = Z_kernelZ_kernel_gate_call(boot_kernel_instance(), gate->module, call, a, b, c, d, e);
  __asm__ volatile("push %0; popfq" : : "r"(flags) : "memory", "cc");
  module_stop_if_requested();
  return result;
}
