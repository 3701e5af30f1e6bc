/* lwIP's architecture header for the stack module: wasm32, little-endian, wasi-libc's headers. */
#ifndef OPTIOS_ARCH_CC_H
#define OPTIOS_ARCH_CC_H
#include <stdint.h>
#include <stddef.h>

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_NO_INTTYPES_H 1
#define X8_F  "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"
#define LWIP_ERR_T int

/* An assertion that fails traps the stack's run: the kernel rolls the stack back to before the
   event and reports the trap, with the message, like any handler's abort. */
void stack_assert_failed(const char* message, const char* file, int line) __attribute__((noreturn));
#define LWIP_PLATFORM_ASSERT(message) stack_assert_failed((message), __FILE__, __LINE__)
#define LWIP_PLATFORM_DIAG(message)   do { } while (0)
#endif
