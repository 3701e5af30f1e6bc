/* The C library subset that gcc and wasm2c's output call: memory functions and abort. */
#include <stddef.h>
#include <stdint.h>
#include "boot.h"

/*
 * Word loops, not `rep movsb`/`rep stosb`: under QEMU's TCG a rep-prefixed instruction runs
 * one iteration per trip through the translation-block lookup, which made zeroing the
 * kernel's 128 KiB of wasm memory take ~19 ms of boot. gcc vectorises these loops with
 * SSE2; `no-tree-loop-distribute-patterns` stops it from turning them back into calls to
 * memcpy/memset themselves.
 */
#define NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#define WORD sizeof(uint64_t)

NO_LIBCALLS void* memcpy(void* destination, const void* source, size_t length) {
  uint8_t* to = destination;
  const uint8_t* from = source;
  if ((((uintptr_t)to | (uintptr_t)from) & (WORD - 1)) == 0) {
    for (; length >= WORD; length -= WORD, to += WORD, from += WORD) *(uint64_t*)to = *(const uint64_t*)from;
  }
  while (length--) *to++ = *from++;
  return destination;
}

NO_LIBCALLS void* memmove(void* destination, const void* source, size_t length) {
  if ((uintptr_t)destination <= (uintptr_t)source || (uintptr_t)destination >= (uintptr_t)source + length)
    return memcpy(destination, source, length);
  /* Overlapping with the destination above the source: copy backwards. */
  uint8_t* to = (uint8_t*)destination + length;
  const uint8_t* from = (const uint8_t*)source + length;
  if ((((uintptr_t)to | (uintptr_t)from) & (WORD - 1)) == 0) {
    for (; length >= WORD; length -= WORD) {
      to -= WORD;
      from -= WORD;
      *(uint64_t*)to = *(const uint64_t*)from;
    }
  }
  while (length--) *--to = *--from;
  return destination;
}

NO_LIBCALLS void* memset(void* destination, int value, size_t length) {
  uint8_t* to = destination;
  uint64_t pattern = 0x0101010101010101ull * (uint8_t)value;
  for (; length && ((uintptr_t)to & (WORD - 1)); length--) *to++ = (uint8_t)value;
  for (; length >= WORD; length -= WORD, to += WORD) *(uint64_t*)to = pattern;
  while (length--) *to++ = (uint8_t)value;
  return destination;
}

int memcmp(const void* left, const void* right, size_t length) {
  const uint8_t* a = left;
  const uint8_t* b = right;
  for (size_t i = 0; i < length; i++)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

size_t strlen(const char* text) {
  size_t length = 0;
  while (text[length]) length++;
  return length;
}

void abort(void) {
  boot_panic("abort() called");
}

void boot_assert_failed(const char* condition, const char* file, int line) {
  early_print("\nassertion failed: ");
  early_print(condition);
  early_print(" at ");
  early_print(file);
  early_print(" line ");
  early_print_hex((uint64_t)line);
  boot_panic("broken invariant in boot/");
}

/* libgcc's population count (gcc calls it for __builtin_popcountll without -mpopcnt). */
int __popcountdi2(uint64_t value) {
  value = value - ((value >> 1) & 0x5555555555555555ull);
  value = (value & 0x3333333333333333ull) + ((value >> 2) & 0x3333333333333333ull);
  value = (value + (value >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (int)((value * 0x0101010101010101ull) >> 56);
}
