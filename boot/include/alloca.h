/* Freestanding stand-in. */
#ifndef OPTIOS_ALLOCA_H
#define OPTIOS_ALLOCA_H
#define alloca(size) __builtin_alloca(size)
#endif
