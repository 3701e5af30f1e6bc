/* Freestanding stand-in: a failed assert is a broken invariant and stops the machine. */
#ifndef OPTIOS_ASSERT_H
#define OPTIOS_ASSERT_H
__attribute__((noreturn)) void boot_assert_failed(const char* condition, const char* file, int line);
#define assert(condition) \
  ((condition) ? (void)0 : boot_assert_failed(#condition, __FILE__, __LINE__))
#endif
