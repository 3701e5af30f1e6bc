/* The floor guest: a kernel that does nothing but say "floor" on COM1 and end QEMU. */
/*
 * Booted the same two ways as OptiOS (QEMU -kernel through the PVH note, GRUB through the
 * multiboot2 header), it measures what the emulator, firmware and loader cost before any
 * kernel code runs. Both entries arrive in 32-bit protected mode with flat segments.
 */
#define MULTIBOOT2_HEADER_MAGIC  0xe85250d6
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define SERIAL_PORT              0x3f8
#define DEBUG_EXIT_PORT          0xf4
#define DEBUG_EXIT_SUCCESS       0x10   /* QEMU exits with status 33 */

        .section .multiboot2, "a"
        .align 8
multiboot2_header:
        .long MULTIBOOT2_HEADER_MAGIC, 0, multiboot2_header_end - multiboot2_header
        .long -(MULTIBOOT2_HEADER_MAGIC + (multiboot2_header_end - multiboot2_header))
        .short 0, 0                     /* end tag */
        .long 8
multiboot2_header_end:

        .section .note.Xen, "a", @note
        .align 4
        .long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
        .asciz "Xen"
        .align 4
        .long start

        .text
        .code32
        .global start
start:
        mov $message, %esi
        mov $SERIAL_PORT, %dx
1:      lodsb
        test %al, %al
        jz 2f
        out %al, %dx
        jmp 1b
2:      mov $DEBUG_EXIT_SUCCESS, %al
        out %al, $DEBUG_EXIT_PORT
3:      hlt                             /* without isa-debug-exit: stop here */
        jmp 3b

        .section .rodata
message:
        .asciz "floor\r\n"
