/* Freestanding stand-in: the memory functions gcc and wasm2c call (boot/libc.c). */
#ifndef OPTIOS_STRING_H
#define OPTIOS_STRING_H
#include <stddef.h>
void* memcpy(void* destination, const void* source, size_t length);
void* memmove(void* destination, const void* source, size_t length);
void* memset(void* destination, int value, size_t length);
int memcmp(const void* left, const void* right, size_t length);
size_t strlen(const char* text);
#endif
