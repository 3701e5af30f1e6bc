// Kernel limits the user cannot set, in one place, each with its unit and reason.

/** The kernel's version, printed first in the banner. */
export const KERNEL_VERSION = "0.1.0";

/** Bytes in a physical page frame (x86_64 base pages). */
export const PAGE_BYTES: u64 = 4096;

/** entry.S identity-maps this much physical address space with 2 MiB pages. */
export const IDENTITY_MAPPED_BYTES: u64 = 4 << 30;

/** Low memory never handed out: real-mode IVT, BIOS data, EBDA, VGA memory, option ROMs. */
export const LOW_MEMORY_RESERVED_BYTES: u64 = 1 << 20;

/** Largest boot-information structure (multiboot2 or PVH) the kernel copies in. */
export const BOOT_INFORMATION_MAX_BYTES: u32 = 65536;


/** Most memory-map regions kept from the firmware's tables. */
export const MEMORY_REGIONS_MAX: i32 = 128;
// BOOT_MODULES_MAX (boot modules kept) is shared with the toolchain: kernel/gate/interface.ts.

/** Bytes of kernel log kept in the ring; the oldest whole lines are dropped first. */
export const LOG_RING_BYTES: i32 = 32768;

/** Bytes of log one handler run may hold until it ends (kernel/handlers/run_log.ts); older lines of the run go first. */
export const RUN_LOG_BYTES: i32 = 2048;

/** Longest single console or log line, in bytes; longer text is cut. */
export const TEXT_CAPACITY: i32 = 512;

/** Length of the PIT window used to measure the TSC frequency, in PIT ticks (1.193182 MHz). */
export const TSC_CALIBRATION_PIT_TICKS: u32 = 2386; // ≈ 2 ms

/** Spin limit while waiting for the PIT during calibration, so a missing PIT cannot hang boot. */
export const TSC_CALIBRATION_MAX_POLLS: u32 = 10_000_000;




/** Handler timers (every= / after=) in the whole system. */
export const HANDLER_TIMERS_MAX: i32 = 64;

/** A handler run's time budget when its configuration sets none, in nanoseconds. */
export const HANDLER_DEFAULT_BUDGET_NANOSECONDS: u64 = 10_000_000;

/** After a budget expires, how soon to look again for the handler back in its own code. */
export const HANDLER_STOP_RETRY_NANOSECONDS: u64 = 50_000;

// ---- kernel/fs: the boot filesystem (the initrd, a cpio newc archive read in place) ----

/** Entries the boot filesystem indexes at most, implied directories and the root included. */
export const INITRD_ENTRIES_MAX: i32 = 1024;

/** Longest path name in the archive, in bytes, without its NUL (Linux's PATH_MAX is 4096; ours is a boot config). */
export const INITRD_PATH_MAX_BYTES: u32 = 256;

/** Longest line a console's line discipline accepts, in bytes; further keys ring the bell. */
export const INPUT_LINE_MAX_BYTES: i32 = 256;

/** Entered lines each console remembers for Up/Down recall. */
export const INPUT_HISTORY_LINES: i32 = 16;

/** Completed lines waiting for a console's program; Enter on a full queue rings the bell. */
export const INPUT_QUEUE_LINES: i32 = 8;

/** Bytes of recent output each virtual console keeps, to redraw it when it is switched to. */
export const VIRTUAL_CONSOLE_RECENT_BYTES: i32 = 4096;
/**
 * Input bytes buffered between an interrupt and the kernel loop (keyboard and serial each):
 * 4 KiB is about a third of a second of 115200-baud serial input, or 16 full-length lines.
 * A full serial ring turns the UART's receive interrupt off until it is half empty.
 */
export const INPUT_RING_BYTES: i32 = 4096;
/** How long a foreground program runs before another runnable one gets the CPU. */
export const PROGRAM_TIME_SLICE_NANOSECONDS: u64 = 10_000_000;
/** Bytes a program may write or read in one kernel call. */
export const PROGRAM_TRANSFER_MAX_BYTES: u32 = 4096;

// Limits shared with the toolchain and modules (MODULES_MAX, HANDLERS_MAX, PAYLOAD_MAX_BYTES,
// FOREGROUND_MAX, ...) are declared in interface/optios.ts: see kernel/gate/interface.ts.
