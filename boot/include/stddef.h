/* Freestanding stand-in: the C library subset wasm2c's output and boot/ need. */
#ifndef OPTIOS_STDDEF_H
#define OPTIOS_STDDEF_H
typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
#define NULL ((void*)0)
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif
