/* setjmp/longjmp for the freestanding wasm runtime: traps unwind to the nearest guard. */
/* jmp_buf layout (8 × u64): rbx, rbp, r12, r13, r14, r15, rsp, return address. */
        .text
        .code64
        .global setjmp
setjmp:
        mov %rbx, 0(%rdi)
        mov %rbp, 8(%rdi)
        mov %r12, 16(%rdi)
        mov %r13, 24(%rdi)
        mov %r14, 32(%rdi)
        mov %r15, 40(%rdi)
        lea 8(%rsp), %rdx                /* rsp as it will be after we return */
        mov %rdx, 48(%rdi)
        mov (%rsp), %rdx                 /* return address */
        mov %rdx, 56(%rdi)
        xor %eax, %eax
        ret

        .global longjmp
longjmp:
        mov %esi, %eax
        test %eax, %eax                  /* longjmp(buf, 0) returns 1, as C requires */
        jnz 1f
        inc %eax
1:      mov 0(%rdi), %rbx
        mov 8(%rdi), %rbp
        mov 16(%rdi), %r12
        mov 24(%rdi), %r13
        mov 32(%rdi), %r14
        mov 40(%rdi), %r15
        mov 48(%rdi), %rsp
        jmp *56(%rdi)
