/* The gate: every import a handler or program module has arrives here and goes to the kernel. */
/*
 * A module's imports are wasm2c functions named Z_<module>Z_<name>; the loader resolves a
 * handler's references to them by name (MODULE_GATE_SYMBOLS in boot.h), so these are the
 * only kernel entry points a handler can reach. Each receives the calling module's gate,
 * whose handler number the kernel uses to decide what that handler may do.
 */
#include "boot.h"
#include "kernel.h"
#include "module.h"

/* Operation numbers shared with kernel/handlers/gate.ts. */
enum gate_operation { GATE_LOG = 1, GATE_TIME = 2, GATE_RANDOM = 3, GATE_EMIT = 4, GATE_PAYLOAD = 5, GATE_STATUS = 6 };

/* Kernel calls run with interrupts off (they are never preempted midway); an overrun noticed
   meanwhile stops the handler as soon as the call returns to it. */
static u64 call(struct handler_gate* gate, enum gate_operation operation, u64 a, u64 b, u64 c, u64 d) {
  uint64_t flags;
  __asm__ volatile("pushfq; pop %0; cli" : "=r"(flags) : : "memory");
  u64 result = Z_kernelZ_kernel_handler_call(boot_kernel_instance(), gate->handler, operation, a, b, c, d);
  __asm__ volatile("push %0; popfq" : : "r"(flags) : "memory", "cc");
  module_stop_if_requested();
  return result;
}

void handler_gate_log(struct handler_gate* gate, u32 message, u32 length) {
  call(gate, GATE_LOG, message, length, 0, 0);
}

u64 handler_gate_time(struct handler_gate* gate) {
  return call(gate, GATE_TIME, 0, 0, 0, 0);
}

u64 handler_gate_random(struct handler_gate* gate) {
  return call(gate, GATE_RANDOM, 0, 0, 0, 0);
}

u32 handler_gate_emit(struct handler_gate* gate, u32 name, u32 name_length, u32 payload, u32 payload_length) {
  return (u32)call(gate, GATE_EMIT, name, name_length, payload, payload_length);
}

u32 handler_gate_payload(struct handler_gate* gate, u32 destination, u32 length) {
  return (u32)call(gate, GATE_PAYLOAD, destination, length, 0, 0);
}

u32 handler_gate_status(struct handler_gate* gate, u32 name, u32 name_length, u32 destination) {
  return (u32)call(gate, GATE_STATUS, name, name_length, destination, 0);
}

/* A program's request (kernel/programs/requests.ts numbers them; handlers are refused there). */
u64 handler_gate_request(struct handler_gate* gate, u32 operation, u64 a, u64 b, u64 c, u64 d) {
  return call(gate, (enum gate_operation)operation, a, b, c, d);
}

/* AssemblyScript's abort() inside a handler: the run traps and is rolled back, the kernel goes on. */
void handler_gate_abort(struct handler_gate* gate, u32 message, u32 file, u32 line, u32 column) {
  wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}
