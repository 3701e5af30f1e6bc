/* Freestanding stand-in: abort() ends in the boot panic path (boot/libc.c). */
#ifndef OPTIOS_STDLIB_H
#define OPTIOS_STDLIB_H
#include <stddef.h>
__attribute__((noreturn)) void abort(void);
#endif
