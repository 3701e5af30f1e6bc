/* Interrupt entry: one stub per vector, a common path that saves registers and SSE state. */
/*
 * Every stub leaves the same frame (see struct interrupt_frame in boot.h): the CPU pushes
 * ss, rsp, rflags, cs, rip and, for some exceptions, an error code; the stub pushes a zero
 * error code where the CPU does not, then the vector. The common path saves all general
 * registers and, just below them, the FPU/SSE state (fxsave, 512 bytes), calls
 * interrupt_dispatch(frame) and resumes the frame it returns: the same one, or another
 * thread's saved frame (threads.c) — a context switch is just resuming a different frame.
 *
 * Alignment: in 64-bit mode the CPU aligns RSP to 16 bytes before it pushes, so after its 5
 * words, the stub's 2 and our 15 the frame is 16-byte aligned, and so is the fxsave area at
 * frame - 512. threads.c builds new threads' first frames the same way.
 */

        .text
        .code64

.macro stub vector, has_error_code
        .align 16
interrupt_stub_\vector:
        .if \has_error_code == 0
        push $0
        .endif
        push $\vector
        jmp interrupt_common
.endm

/* Vectors 8, 10-14, 17, 21, 29, 30 push an error code. */
stub 0, 0;  stub 1, 0;  stub 2, 0;  stub 3, 0;  stub 4, 0;  stub 5, 0;  stub 6, 0;  stub 7, 0
stub 8, 1;  stub 9, 0;  stub 10, 1; stub 11, 1; stub 12, 1; stub 13, 1; stub 14, 1; stub 15, 0
stub 16, 0; stub 17, 1; stub 18, 0; stub 19, 0; stub 20, 0; stub 21, 1; stub 22, 0; stub 23, 0
stub 24, 0; stub 25, 0; stub 26, 0; stub 27, 0; stub 28, 0; stub 29, 1; stub 30, 1; stub 31, 0
stub 32, 0; stub 33, 0; stub 34, 0; stub 35, 0; stub 36, 0; stub 37, 0; stub 38, 0; stub 39, 0
stub 40, 0; stub 41, 0; stub 42, 0; stub 43, 0; stub 44, 0; stub 45, 0; stub 46, 0; stub 47, 0
/* Vector 48: `int $48`, a thread giving up the CPU (threads.c: thread_switch). */
stub 48, 0

interrupt_common:
        push %rax
        push %rbx
        push %rcx
        push %rdx
        push %rsi
        push %rdi
        push %rbp
        push %r8
        push %r9
        push %r10
        push %r11
        push %r12
        push %r13
        push %r14
        push %r15
        cld
        sub $512, %rsp
        fxsave (%rsp)
        lea 512(%rsp), %rdi              /* the frame */
        call interrupt_dispatch          /* returns the frame to resume */
        lea -512(%rax), %rsp
        fxrstor (%rsp)
        add $512, %rsp
        pop %r15
        pop %r14
        pop %r13
        pop %r12
        pop %r11
        pop %r10
        pop %r9
        pop %r8
        pop %rbp
        pop %rdi
        pop %rsi
        pop %rdx
        pop %rcx
        pop %rbx
        pop %rax
        add $16, %rsp                    /* vector and error code */
        iretq

/* Where an interrupted handler that overran its budget resumes (modules.c: module_preempt):
   on its own stack at an arbitrary depth, so align it and end the run with a trap. */
        .global module_budget_trampoline
module_budget_trampoline:
        and $-16, %rsp
        call module_budget_overrun
        ud2

/* The stubs' addresses, for idt.c. */
        .section .rodata
        .align 8
        .global interrupt_stubs
interrupt_stubs:
        .irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48
        .quad interrupt_stub_\vector
        .endr
