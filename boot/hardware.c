/* The hardware primitives the kernel imports ("hardware" module in kernel/arch/x86_64/machine.ts, modules.ts and threads.ts). */
/*
 * Mechanism only: each function does one machine operation and decides nothing. Physical
 * addresses are identity-mapped (entry.S maps the first 4 GiB; map_device adds device
 * registers above), so an address outside that range faults like any bad pointer and the kernel's exception report names it. Copies into
 * the kernel's linear memory are bounds-checked and trap like a wasm access would.
 */
#include "boot.h"
#include "kernel.h"

uint8_t* kernel_bytes(struct Z_hardware_instance_t* hardware, uint32_t offset, uint32_t length) {
  if ((uint64_t)offset + length > hardware->kernel_memory->size) wasm_rt_trap(WASM_RT_TRAP_OOB);
  return hardware->kernel_memory->data + offset;
}

u32 Z_hardwareZ_port_read8(struct Z_hardware_instance_t* h, u32 port) {
  uint8_t value;
  __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"((uint16_t)port));
  return value;
}

u32 Z_hardwareZ_port_read16(struct Z_hardware_instance_t* h, u32 port) {
  uint16_t value;
  __asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"((uint16_t)port));
  return value;
}

u32 Z_hardwareZ_port_read32(struct Z_hardware_instance_t* h, u32 port) {
  uint32_t value;
  __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"((uint16_t)port));
  return value;
}

void Z_hardwareZ_port_write8(struct Z_hardware_instance_t* h, u32 port, u32 value) {
  __asm__ volatile("outb %0, %1" : : "a"((uint8_t)value), "Nd"((uint16_t)port));
}

void Z_hardwareZ_port_write16(struct Z_hardware_instance_t* h, u32 port, u32 value) {
  __asm__ volatile("outw %0, %1" : : "a"((uint16_t)value), "Nd"((uint16_t)port));
}

void Z_hardwareZ_port_write32(struct Z_hardware_instance_t* h, u32 port, u32 value) {
  __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"((uint16_t)port));
}

u32 Z_hardwareZ_physical_read8(struct Z_hardware_instance_t* h, u64 address) { return *(volatile uint8_t*)address; }
u32 Z_hardwareZ_physical_read16(struct Z_hardware_instance_t* h, u64 address) { return *(volatile uint16_t*)address; }
u32 Z_hardwareZ_physical_read32(struct Z_hardware_instance_t* h, u64 address) { return *(volatile uint32_t*)address; }
u64 Z_hardwareZ_physical_read64(struct Z_hardware_instance_t* h, u64 address) { return *(volatile uint64_t*)address; }
void Z_hardwareZ_physical_write8(struct Z_hardware_instance_t* h, u64 address, u32 value) { *(volatile uint8_t*)address = (uint8_t)value; }
void Z_hardwareZ_physical_write16(struct Z_hardware_instance_t* h, u64 address, u32 value) { *(volatile uint16_t*)address = (uint16_t)value; }
void Z_hardwareZ_physical_write32(struct Z_hardware_instance_t* h, u64 address, u32 value) { *(volatile uint32_t*)address = value; }
void Z_hardwareZ_physical_write64(struct Z_hardware_instance_t* h, u64 address, u64 value) { *(volatile uint64_t*)address = value; }

void Z_hardwareZ_physical_copy_in(struct Z_hardware_instance_t* h, u32 destination, u64 source, u32 length) {
  memcpy(kernel_bytes(h, destination, length), (const void*)source, length);
}

void Z_hardwareZ_physical_copy_out(struct Z_hardware_instance_t* h, u64 destination, u32 source, u32 length) {
  memcpy((void*)destination, kernel_bytes(h, source, length), length);
}

void Z_hardwareZ_physical_move(struct Z_hardware_instance_t* h, u64 destination, u64 source, u64 length) {
  memmove((void*)destination, (const void*)source, length);
}

/* A plain loop rather than `rep stosl`, which QEMU's TCG runs one iteration at a time (see libc.c). */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void Z_hardwareZ_physical_fill32(struct Z_hardware_instance_t* h, u64 destination, u32 value, u64 count) {
  volatile uint32_t* cell = (volatile uint32_t*)destination;
  for (u64 i = 0; i < count; i++) cell[i] = value;
}

void Z_hardwareZ_memory_fence(struct Z_hardware_instance_t* h) { __asm__ volatile("mfence" ::: "memory"); }

u64 Z_hardwareZ_read_tsc(struct Z_hardware_instance_t* h) {
  uint32_t low, high;
  __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
  return ((uint64_t)high << 32) | low;
}

u64 Z_hardwareZ_boot_entry_tsc(struct Z_hardware_instance_t* h) { return boot_entry_tsc; }
u64 Z_hardwareZ_kernel_image_start(struct Z_hardware_instance_t* h) { return (uint64_t)kernel_image_start; }
u64 Z_hardwareZ_kernel_image_end(struct Z_hardware_instance_t* h) { return (uint64_t)kernel_image_end; }

void Z_hardwareZ_halt_forever(struct Z_hardware_instance_t* h) { boot_halt(); }

/* Registers of the exception being reported, in the order of kernel/arch/x86_64/exceptions.ts. */
u64 Z_hardwareZ_exception_register(struct Z_hardware_instance_t* h, u32 index) {
  const struct interrupt_frame* frame = interrupt_current_frame;
  if (!frame) return 0;
  const uint64_t values[] = {
      frame->rax, frame->rbx, frame->rcx, frame->rdx, frame->rsi, frame->rdi, frame->rbp, frame->rsp,
      frame->r8,  frame->r9,  frame->r10, frame->r11, frame->r12, frame->r13, frame->r14, frame->r15,
      frame->rip, frame->rflags, frame->cs, frame->ss, frame->error_code, frame->vector,
  };
  return index < sizeof values / sizeof values[0] ? values[index] : 0;
}

u64 Z_hardwareZ_control_register(struct Z_hardware_instance_t* h, u32 number) {
  uint64_t value = 0;
  switch (number) {
    case 0: __asm__ volatile("mov %%cr0, %0" : "=r"(value)); break;
    case 2: __asm__ volatile("mov %%cr2, %0" : "=r"(value)); break;
    case 3: __asm__ volatile("mov %%cr3, %0" : "=r"(value)); break;
    case 4: __asm__ volatile("mov %%cr4, %0" : "=r"(value)); break;
  }
  return value;
}

/* Device registers at `address` made reachable (mapped if above the first 4 GiB); 1, or 0 if they cannot be. */
u32 Z_hardwareZ_map_device(struct Z_hardware_instance_t* h, u64 address, u64 bytes) {
  return paging_map_device(address, bytes);
}

/* RAM at `address` mapped with 4 KiB pages instead of 2 MiB ones (boot/paging.c says why); 1, or 0 if it could not be. */
u32 Z_hardwareZ_use_small_pages(struct Z_hardware_instance_t* h, u64 address, u64 bytes) {
  return paging_use_small_pages(address, bytes);
}

/* Enables interrupts only for the halt: `sti; hlt` cannot lose a wake-up (sti's one-instruction shadow). */
void Z_hardwareZ_wait_for_interrupt(struct Z_hardware_instance_t* h) {
  __asm__ volatile("sti; hlt; cli" ::: "memory");
}

u64 Z_hardwareZ_read_msr(struct Z_hardware_instance_t* h, u32 index) {
  uint32_t low, high;
  __asm__ volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(index));
  return ((uint64_t)high << 32) | low;
}
