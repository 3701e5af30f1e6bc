/* Early COM1 output: the last-resort voice for faults the kernel cannot report itself. */
#include "boot.h"

#define COM1_DATA 0x3f8
#define COM1_LINE_STATUS 0x3fd
#define LINE_STATUS_TRANSMIT_EMPTY 0x20

static inline uint8_t port_in8(uint16_t port) {
  uint8_t value;
  __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
  return value;
}

static inline void port_out8(uint16_t port, uint8_t value) {
  __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static void early_put(char character) {
  for (int spins = 0; spins < 100000; spins++)
    if (port_in8(COM1_LINE_STATUS) & LINE_STATUS_TRANSMIT_EMPTY) break;
  port_out8(COM1_DATA, (uint8_t)character);
}

void early_print(const char* text) {
  for (; *text; text++) {
    if (*text == '\n') early_put('\r');
    early_put(*text);
  }
}

void early_print_hex(uint64_t value) {
  char digits[19] = "0x";
  for (int i = 0; i < 16; i++) digits[2 + i] = "0123456789abcdef"[(value >> (60 - 4 * i)) & 0xf];
  digits[18] = 0;
  early_print(digits);
}

/* The exception report of last resort (vector, error code, RIP, CR2), then a boot panic. */
void early_report_exception(const struct interrupt_frame* frame, const char* why) {
  uint64_t cr2;
  __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
  early_print("\n*** CPU exception ");
  early_print_hex(frame->vector);
  early_print(" error code ");
  early_print_hex(frame->error_code);
  early_print(" RIP ");
  early_print_hex(frame->rip);
  early_print(" CR2 ");
  early_print_hex(cr2);
  boot_panic(why);
}

void boot_halt(void) {
  for (;;) __asm__ volatile("cli; hlt");
}

void boot_panic(const char* message) {
  early_print("\nOptiOS boot panic: ");
  early_print(message);
  early_print("\nsystem halted.\n");
  port_out8(0xf4, 0x11); /* isa-debug-exit, when present: QEMU ends with status 35 */
  boot_halt();
}
