/* Freestanding stand-in: boot/setjmp.S saves rbx, rbp, r12-r15, rsp and the return address. */
#ifndef OPTIOS_SETJMP_H
#define OPTIOS_SETJMP_H
typedef unsigned long jmp_buf[8];
int setjmp(jmp_buf buffer) __attribute__((returns_twice));
__attribute__((noreturn)) void longjmp(jmp_buf buffer, int value);
#endif
