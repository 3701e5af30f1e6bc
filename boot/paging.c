/* Paging: 4 KiB pages for RAM and device registers, with 4 KiB write protection for snapshot
 * dirty-page tracking, and device registers mapped above the first 4 GiB. */
/*
 * entry.S maps the first 4 GiB with 2 MiB pages. Once the kernel's page allocator runs, the
 * kernel has the 2 MiB pages holding RAM and the device registers it uses split into page
 * tables of 512 identity entries (paging_use_small_pages; 4 KiB of table per 2 MiB), and
 * device registers above 4 GiB are mapped with 4 KiB pages too. Why not keep 2 MiB pages:
 * QEMU's TCG keeps 4 KiB entries in its software TLB and only remembers one span covering
 * every 2 MiB page it has filled since its last full flush; an `invlpg` inside that span
 * flushes the whole TLB. A snapshot's commit re-protects each page a run dirtied with
 * `invlpg`, so with the kernel's image, its heap and the local APIC in 2 MiB pages (a span
 * covering nearly all RAM), a handler's commit could flush everything, and everything after it
 * ran slower: an echo's share was 115k cycles on a fresh machine and 145k–150k once the shell
 * had read a line (docs/benchmarks.md). On real hardware 4 KiB pages cost TLB reach, not
 * correctness; handler memory needed them anyway. Protection then flips one entry's writable
 * bit. CR0.WP is set, so the kernel's own writes (including the wasm2c code of handlers)
 * honour it.
 */
#include "boot.h"

#define ENTRY_PRESENT 0x1ull
#define ENTRY_WRITABLE 0x2ull
#define ENTRY_CACHE_DISABLED 0x18ull /* PWT | PCD: uncached, as device registers must be */
#define ENTRY_LARGE_PAGE 0x80ull
#define ENTRY_ADDRESS_MASK 0x000ffffffffff000ull
#define LARGE_PAGE_BYTES (2ull << 20)
#define PAGE_BYTES 4096ull
#define MAPPED_BYTES (4ull << 30)

extern uint64_t boot_page_directories[];

static void flush_page(uint64_t address) {
  __asm__ volatile("invlpg (%0)" : : "r"(address) : "memory");
}

/* Flushes every TLB entry (CR3 reloaded; this kernel makes no global pages). */
void paging_flush_all(void) {
  uint64_t control3;
  __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(control3) : : "memory");
}

/*
 * Makes `table` the page table of the 2 MiB page holding `address` (below 4 GiB): 512
 * identity entries, the same access. The caller flushes the old entry: one `invlpg`
 * anywhere in the 2 MiB page invalidates it (Intel SDM 4.10.4.1).
 */
static void split_large_page(uint64_t address, uint64_t* table) {
  uint64_t large_base = address & ~(LARGE_PAGE_BYTES - 1);
  for (uint64_t i = 0; i < 512; i++) table[i] = (large_base + i * PAGE_BYTES) | ENTRY_PRESENT | ENTRY_WRITABLE;
  boot_page_directories[address / LARGE_PAGE_BYTES] = (uint64_t)table | ENTRY_PRESENT | ENTRY_WRITABLE;
}

static int is_large_page(uint64_t address) {
  return (boot_page_directories[address / LARGE_PAGE_BYTES] & ENTRY_LARGE_PAGE) != 0;
}

/* The 4 KiB entry mapping `address`, splitting its 2 MiB page first; NULL if it cannot. */
static uint64_t* page_entry(uint64_t address) {
  if (address >= MAPPED_BYTES) return NULL;
  if (is_large_page(address)) {
    uint64_t* table = runtime_allocate(PAGE_BYTES);
    if (!table) return NULL;
    split_large_page(address, table);
    flush_page(address);
  }
  uint64_t* table = (uint64_t*)(boot_page_directories[address / LARGE_PAGE_BYTES] & ENTRY_ADDRESS_MASK);
  return &table[(address / PAGE_BYTES) % 512];
}

/*
 * Maps [address, address + bytes) (the part below 4 GiB) with 4 KiB pages, splitting the
 * 2 MiB pages that hold it; the same addresses, the same access. 1, or 0 when a table
 * could not be had (what was split stays split; the rest keeps its 2 MiB pages).
 */
int paging_use_small_pages(uint64_t address, uint64_t bytes) {
  uint64_t first = address & ~(LARGE_PAGE_BYTES - 1);
  uint64_t end = address + bytes < MAPPED_BYTES ? address + bytes : MAPPED_BYTES;
  uint64_t count = 0;
  for (uint64_t large = first; large < end; large += LARGE_PAGE_BYTES) count += is_large_page(large);
  if (count == 0) return 1;
  /* The tables in one allocation (one call to the kernel's allocator, not one a table), or
   * else one at a time for as long as there are pages. */
  uint8_t* tables = runtime_allocate(count * PAGE_BYTES);
  int done = 1;
  for (uint64_t large = first; large < end; large += LARGE_PAGE_BYTES) {
    if (!is_large_page(large)) continue;
    uint64_t* table = tables ? (uint64_t*)tables : runtime_allocate(PAGE_BYTES);
    if (!table) {
      done = 0;
      break;
    }
    if (tables) tables += PAGE_BYTES;
    split_large_page(large, table);
  }
  paging_flush_all();
  return done;
}

static int set_writable(uint64_t address, uint64_t bytes, int writable, int flush) {
  for (uint64_t page = address & ~(PAGE_BYTES - 1); page < address + bytes; page += PAGE_BYTES) {
    uint64_t* entry = page_entry(page);
    if (!entry) return 0;
    *entry = writable ? (*entry | ENTRY_WRITABLE) : (*entry & ~ENTRY_WRITABLE);
    if (flush) flush_page(page);
  }
  return 1;
}

/* Makes [address, address + bytes) read-only or writable, a 4 KiB page at a time; 0 on failure. */
int paging_set_writable(uint64_t address, uint64_t bytes, int writable) {
  return set_writable(address, bytes, writable, 1);
}

/*
 * The same, leaving the TLB to the caller, who calls paging_flush_all() once after a batch:
 * under QEMU's TCG an `invlpg` costs far more than its one page (measured: a rollback of 6
 * pages took 42k cycles with one `invlpg` a page, 19k with one flush at the end).
 */
int paging_set_writable_unflushed(uint64_t address, uint64_t bytes, int writable) {
  return set_writable(address, bytes, writable, 0);
}


/* The table `entry` points to, made (zeroed) if the entry is not present yet; NULL if it cannot. */
static uint64_t* table_of(uint64_t* entry) {
  if (!(*entry & ENTRY_PRESENT)) {
    uint64_t* table = runtime_allocate(PAGE_BYTES);
    if (!table) return NULL;
    for (uint64_t i = 0; i < 512; i++) table[i] = 0;
    *entry = (uint64_t)table | ENTRY_PRESENT | ENTRY_WRITABLE;
  }
  return (uint64_t*)(*entry & ENTRY_ADDRESS_MASK);
}

/*
 * Identity-maps the device registers at [address, address + bytes), uncached, with 4 KiB
 * pages: below 4 GiB entry.S mapped them already (their 2 MiB pages are split); above, a
 * UEFI firmware may have put a 64-bit BAR (OVMF puts an xHCI controller's at 896 GiB). 1 on
 * success, 0 if a table could not be had.
 */
int paging_map_device(uint64_t address, uint64_t bytes) {
  if (address < MAPPED_BYTES && !paging_use_small_pages(address, bytes)) return 0;
  uint64_t control3;
  __asm__ volatile("mov %%cr3, %0" : "=r"(control3));
  uint64_t* top = (uint64_t*)(control3 & ENTRY_ADDRESS_MASK);
  for (uint64_t page = address & ~(PAGE_BYTES - 1); page < address + bytes; page += PAGE_BYTES) {
    if (page < MAPPED_BYTES) continue;
    uint64_t* pointers = table_of(&top[(page >> 39) & 511]);
    uint64_t* directory = pointers ? table_of(&pointers[(page >> 30) & 511]) : NULL;
    uint64_t* table = directory ? table_of(&directory[(page >> 21) & 511]) : NULL;
    if (!table) return 0;
    table[(page >> 12) & 511] = page | ENTRY_PRESENT | ENTRY_WRITABLE | ENTRY_CACHE_DISABLED;
    flush_page(page);
  }
  return 1;
}
