/* The C library subset that gcc and wasm2c's output call: memory functions and abort. */
#include <stddef.h>
#include <stdint.h>
#include "boot.h"

void* memcpy(void* destination, const void* source, size_t length) {
  void* result = destination;
  __asm__ volatile("rep movsb" : "+D"(destination), "+S"(source), "+c"(length) : : "memory");
  return result;
}

void* memmove(void* destination, const void* source, size_t length) {
  if ((uintptr_t)destination <= (uintptr_t)source || (uintptr_t)destination >= (uintptr_t)source + length)
    return memcpy(destination, source, length);
  /* Overlapping with the destination above the source: copy backwards. */
  void* result = destination;
  uint8_t* last_destination = (uint8_t*)destination + length - 1;
  const uint8_t* last_source = (const uint8_t*)source + length - 1;
  __asm__ volatile("std; rep movsb; cld"
                   : "+D"(last_destination), "+S"(last_source), "+c"(length)
                   :
                   : "memory");
  return result;
}

void* memset(void* destination, int value, size_t length) {
  void* result = destination;
  __asm__ volatile("rep stosb" : "+D"(destination), "+c"(length) : "a"(value) : "memory");
  return result;
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
