/* Paging: 4 KiB write protection inside the identity map, for snapshot dirty-page tracking, and
 * device registers mapped above it. */
/*
 * entry.S maps the first 4 GiB with 2 MiB pages. To protect single 4 KiB pages we split the
 * 2 MiB page that holds them into a page table of 512 identity entries (taken from the
 * runtime's page source), once; protection then flips one entry's writable bit. CR0.WP is
 * set, so the kernel's own writes (including the wasm2c code of handlers) honour it.
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

/* The 4 KiB entry mapping `address`, splitting its 2 MiB page first; NULL if it cannot. */
static uint64_t* page_entry(uint64_t address) {
  if (address >= MAPPED_BYTES) return NULL;
  uint64_t* directory_entry = &boot_page_directories[address / LARGE_PAGE_BYTES];
  if (*directory_entry & ENTRY_LARGE_PAGE) {
    uint64_t* table = runtime_allocate(PAGE_BYTES);
    if (!table) return NULL;
    uint64_t large_base = address & ~(LARGE_PAGE_BYTES - 1);
    for (uint64_t i = 0; i < 512; i++) table[i] = (large_base + i * PAGE_BYTES) | ENTRY_PRESENT | ENTRY_WRITABLE;
    *directory_entry = (uint64_t)table | ENTRY_PRESENT | ENTRY_WRITABLE;
    for (uint64_t offset = 0; offset < LARGE_PAGE_BYTES; offset += PAGE_BYTES) flush_page(large_base + offset);
  }
  uint64_t* table = (uint64_t*)(*directory_entry & ENTRY_ADDRESS_MASK);
  return &table[(address / PAGE_BYTES) % 512];
}

/* Makes [address, address + bytes) read-only or writable, a 4 KiB page at a time; 0 on failure. */
int paging_set_writable(uint64_t address, uint64_t bytes, int writable) {
  for (uint64_t page = address & ~(PAGE_BYTES - 1); page < address + bytes; page += PAGE_BYTES) {
    uint64_t* entry = page_entry(page);
    if (!entry) return 0;
    *entry = writable ? (*entry | ENTRY_WRITABLE) : (*entry & ~ENTRY_WRITABLE);
    flush_page(page);
  }
  return 1;
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
 * Identity-maps the device registers at [address, address + bytes), uncached, with 2 MiB
 * pages: below 4 GiB entry.S mapped them already; above, a UEFI firmware may have put a
 * 64-bit BAR (OVMF puts an xHCI controller's at 896 GiB). 1 on success, 0 if a table could
 * not be had.
 */
int paging_map_device(uint64_t address, uint64_t bytes) {
  uint64_t control3;
  __asm__ volatile("mov %%cr3, %0" : "=r"(control3));
  uint64_t* top = (uint64_t*)(control3 & ENTRY_ADDRESS_MASK);
  for (uint64_t large = address & ~(LARGE_PAGE_BYTES - 1); large < address + bytes; large += LARGE_PAGE_BYTES) {
    if (large < MAPPED_BYTES) continue;
    uint64_t* pointers = table_of(&top[(large >> 39) & 511]);
    uint64_t* directory = pointers ? table_of(&pointers[(large >> 30) & 511]) : NULL;
    if (!directory) return 0;
    directory[(large >> 21) & 511] = large | ENTRY_PRESENT | ENTRY_WRITABLE | ENTRY_LARGE_PAGE | ENTRY_CACHE_DISABLED;
    flush_page(large);
  }
  return 1;
}
