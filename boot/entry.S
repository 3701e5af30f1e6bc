/* Boot entry: multiboot2 header, PVH note, 32→64-bit switch with SSE, then boot_main(). */
/*
 * Two ways in, one way on:
 *   GRUB (multiboot2)  enters at _start_multiboot2, eax = 0x36d76289, ebx = information;
 *   QEMU -kernel (PVH) enters at _start_pvh,        ebx = hvm_start_info.
 * Both arrive in 32-bit protected mode with paging off. We record the TSC first (so the
 * kernel can time its own boot), identity-map the first 4 GiB with 2 MiB pages, enable
 * PAE, long mode and SSE (CR0.EM=0, CR0.MP=1, CR4.OSFXSR, CR4.OSXMMEXCPT: gcc uses SSE
 * even in integer code and the first `pxor` would triple-fault otherwise), load a flat
 * 64-bit GDT and call boot_main(magic, information_address) in C.
 */

#define MULTIBOOT2_HEADER_MAGIC 0xe85250d6
#define MULTIBOOT2_ARCH_I386    0
#define PVH_BOOT_MAGIC          0x336ec578   /* hvm_start_info.magic, passed on as "magic" */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define IDENTITY_MAP_GIB        4

/* ---- multiboot2 header: must sit in the first 32 KiB of the file, 8-byte aligned ---- */
        .section .multiboot2, "a"
        .align 8
multiboot2_header:
        .long MULTIBOOT2_HEADER_MAGIC
        .long MULTIBOOT2_ARCH_I386
        .long multiboot2_header_end - multiboot2_header
        .long 0x100000000 - (MULTIBOOT2_HEADER_MAGIC + MULTIBOOT2_ARCH_I386 + (multiboot2_header_end - multiboot2_header))
        .align 8                        /* console flags tag: EGA text is supported */
        .short 4, 1
        .long 12
        .long 2
        .align 8                        /* framebuffer tag (optional): any mode, 32 bpp preferred */
        .short 5, 1
        .long 20
        .long 0, 0, 32
        .align 8                        /* end tag */
        .short 0, 0
        .long 8
multiboot2_header_end:

/* ---- PVH note: QEMU's -kernel boots this ELF directly through it ---- */
        .section .note.Xen, "a", @note
        .align 4
        .long 4                          /* name size: "Xen\0" */
        .long 4                          /* descriptor size: a 32-bit entry address */
        .long XEN_ELFNOTE_PHYS32_ENTRY
        .asciz "Xen"
        .align 4
        .long _start_pvh
        .align 4

/* ---- 32-bit entry ---- */
        .section .text.boot, "ax"
        .code32
        .global _start_multiboot2
_start_multiboot2:
        cli
        mov %eax, %edi                   /* magic */
        mov %ebx, %esi                   /* information address */
        jmp enter_long_mode

        .global _start_pvh
_start_pvh:
        cli
        mov $PVH_BOOT_MAGIC, %edi
        mov %ebx, %esi

enter_long_mode:
        rdtsc                            /* the kernel's "entry" timestamp */
        mov %eax, boot_entry_tsc
        mov %edx, boot_entry_tsc + 4
        mov $boot_stack_top, %esp

        /* No long mode (CPUID 0x80000001 EDX bit 29): say so on COM1 and stop. */
        mov $0x80000000, %eax
        cpuid
        cmp $0x80000001, %eax
        jb no_long_mode
        mov $0x80000001, %eax
        cpuid
        bt $29, %edx
        jnc no_long_mode

        /* Page tables: PML4[0] → PDPT, PDPT[0..3] → 4 page directories of 2 MiB pages. */
        mov $boot_pdpt, %eax
        or $0x3, %eax                    /* present | writable */
        mov %eax, boot_pml4
        xor %ecx, %ecx
1:      mov %ecx, %eax
        shl $12, %eax
        add $boot_page_directories, %eax
        or $0x3, %eax
        mov %eax, boot_pdpt(,%ecx,8)
        inc %ecx
        cmp $IDENTITY_MAP_GIB, %ecx
        jb 1b
        xor %ecx, %ecx
2:      mov %ecx, %eax                   /* entry i maps physical i × 2 MiB */
        shl $21, %eax
        or $0x83, %eax                   /* present | writable | 2 MiB page */
        mov %eax, boot_page_directories(,%ecx,8)
        mov %ecx, %eax
        shr $11, %eax                    /* high dword: bits 32+ of the address */
        mov %eax, boot_page_directories + 4(,%ecx,8)
        inc %ecx
        cmp $(IDENTITY_MAP_GIB * 512), %ecx
        jb 2b

        mov $boot_pml4, %eax
        mov %eax, %cr3
        mov %cr4, %eax
        or $((1 << 5) | (1 << 9) | (1 << 10)), %eax   /* PAE | OSFXSR | OSXMMEXCPT */
        mov %eax, %cr4
        mov $0xc0000080, %ecx            /* EFER.LME */
        rdmsr
        or $(1 << 8), %eax
        wrmsr
        mov %cr0, %eax
        and $~(1 << 2), %eax             /* EM = 0 */
        or $((1 << 31) | (1 << 16) | (1 << 1)), %eax /* PG | WP (ring 0 honours read-only pages) | MP */
        mov %eax, %cr0
        lgdt boot_gdt_pointer
        ljmp $0x08, $long_mode_entry

no_long_mode:
        mov $no_long_mode_message, %esi
3:      lodsb
        test %al, %al
        jz 5f
        mov %al, %bl
        mov $0x3fd, %dx                  /* wait for the transmitter to be empty */
4:      in %dx, %al
        test $0x20, %al
        jz 4b
        mov $0x3f8, %dx
        mov %bl, %al
        out %al, %dx
        jmp 3b
5:      hlt
        jmp 5b

        .code64
long_mode_entry:
        mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        xor %ax, %ax
        mov %ax, %fs
        mov %ax, %gs
        mov $boot_stack_top, %rsp
        xor %ebp, %ebp
        mov %edi, %edi                   /* zero the upper halves: undefined after the switch */
        mov %esi, %esi
        fninit
        call boot_main
6:      cli
        hlt
        jmp 6b

        .section .rodata
no_long_mode_message:
        .asciz "OptiOS: this CPU has no 64-bit long mode; OptiOS needs an x86_64 processor.\r\n"

        .align 16
boot_gdt:
        .quad 0                          /* null */
        .quad 0x00209a0000000000         /* 0x08: 64-bit code, ring 0 */
        .quad 0x0000920000000000         /* 0x10: data, ring 0 */
boot_gdt_end:
boot_gdt_pointer:
        .short boot_gdt_end - boot_gdt - 1
        .quad boot_gdt

        .section .data
        .align 8
        .global boot_entry_tsc
boot_entry_tsc:
        .quad 0

        .section .bss
        .align 4096
        .global boot_page_directories
boot_pml4:              .skip 4096
boot_pdpt:              .skip 4096
boot_page_directories:  .skip 4096 * IDENTITY_MAP_GIB
        .align 16
boot_stack:             .skip 262144          /* handlers run on it too: 500 wasm frames deep */
        .global boot_stack_top
boot_stack_top:
