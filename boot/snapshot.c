/* Snapshots: a handler run is a transaction over its memory and globals, tracked by page faults. */
/*
 * Between runs a handler's whole memory reservation is read-only. During a run, the first
 * write to a page faults; snapshot_write_fault() copies the page to an undo page, records
 * it and makes it writable, and the write goes ahead. At the end of the run:
 *   commit   — make the dirtied pages read-only again and keep the new globals;
 *   rollback — copy every dirtied page back, make it read-only, restore the globals.
 * Both cost in proportion to the pages the run dirtied, never to the memory's size. The
 * globals (and the memory's current size) live in the module instance, which is small and
 * copied whole. Undo pages are recycled through a free list.
 *
 * A fault is the expensive part (an exception, the full register and SSE save, a TLB
 * refill), and most runs write the same first page: an AssemblyScript module's shadow stack.
 * So a commit remembers the first SNAPSHOT_HOT_PAGES pages the run wrote, and the next begin
 * takes them at once, undo copy and all, as a fault would: a run that writes them again
 * does so without faulting; one that does not pays a copy it did not need.
 */
#include "boot.h"
#include "snapshot.h"

#define PAGE_BYTES 4096ull

struct undo_page {
  struct undo_page* next;
};

static struct snapshot* tracking;
static struct undo_page* free_undo_pages;

static void* take_undo_page(void) {
  struct undo_page* page = free_undo_pages;
  if (page) {
    free_undo_pages = page->next;
    return page;
  }
  return runtime_allocate(PAGE_BYTES);
}

static void give_undo_page(void* page) {
  struct undo_page* free_page = page;
  free_page->next = free_undo_pages;
  free_undo_pages = free_page;
}

struct snapshot* snapshot_create(uint8_t* memory, uint64_t memory_bytes, void* instance, uint64_t instance_bytes) {
  struct snapshot* snapshot = runtime_allocate(sizeof *snapshot + 2 * instance_bytes);
  if (!snapshot) return NULL;
  memset(snapshot, 0, sizeof *snapshot);
  snapshot->memory = memory;
  snapshot->memory_bytes = memory_bytes;
  snapshot->instance = instance;
  snapshot->instance_bytes = instance_bytes;
  memcpy(snapshot->committed_instance, instance, instance_bytes);
  if (!paging_set_writable((uint64_t)memory, memory_bytes, 0)) return NULL;
  return snapshot;
}

/* Makes the memory writable again and gives the snapshot back (the module is being reset or unloaded). */
void snapshot_destroy(struct snapshot* snapshot) {
  if (!snapshot) return;
  paging_set_writable((uint64_t)snapshot->memory, snapshot->memory_bytes, 1);
  runtime_release(snapshot, sizeof *snapshot + 2 * snapshot->instance_bytes);
}

/* Records `page`'s undo copy and makes it writable (a first write, by fault or ahead of one); 0 when there is no room. */
static int take_page(struct snapshot* snapshot, uint64_t page) {
  void* undo = snapshot->dirty_count < SNAPSHOT_DIRTY_PAGES_MAX ? take_undo_page() : NULL;
  if (!undo) return 0;
  memcpy(undo, (void*)page, PAGE_BYTES);
  snapshot->dirty_pages[snapshot->dirty_count] = (uint8_t*)page;
  snapshot->undo_pages[snapshot->dirty_count] = undo;
  snapshot->dirty_count++;
  paging_set_writable(page, PAGE_BYTES, 1);
  return 1;
}

void snapshot_begin(struct snapshot* snapshot) {
  snapshot->dirty_count = 0;
  snapshot->savepoint = 0;
  tracking = snapshot;
  for (uint32_t i = 0; i < snapshot->hot_count; i++) take_page(snapshot, (uint64_t)snapshot->hot_pages[i]);
}

void snapshot_track(struct snapshot* snapshot) {
  tracking = snapshot;
}

void snapshot_savepoint(struct snapshot* snapshot, int at_begin) {
  if (!at_begin)
    for (uint32_t i = 0; i < snapshot->dirty_count; i++) paging_set_writable((uint64_t)snapshot->dirty_pages[i], PAGE_BYTES, 0);
  snapshot->savepoint = at_begin ? 0 : snapshot->dirty_count;
  memcpy(snapshot->committed_instance + snapshot->instance_bytes, snapshot->instance, snapshot->instance_bytes);
}

/*
 * Copies undo entries [from, dirty_count) back, newest first (a page may have two: the oldest
 * must win), and frees them. A rollback is the rare path: its pages are protected again in
 * one batch, with one TLB flush (paging_set_writable_unflushed says why).
 */
static void undo_since(struct snapshot* snapshot, uint32_t from) {
  if (snapshot->dirty_count == from) return;
  for (uint32_t i = snapshot->dirty_count; i > from; i--) {
    memcpy(snapshot->dirty_pages[i - 1], snapshot->undo_pages[i - 1], PAGE_BYTES);
    paging_set_writable_unflushed((uint64_t)snapshot->dirty_pages[i - 1], PAGE_BYTES, 0);
    give_undo_page(snapshot->undo_pages[i - 1]);
  }
  paging_flush_all();
  snapshot->dirty_count = from;
}

void snapshot_rollback_to_savepoint(struct snapshot* snapshot) {
  uint32_t undone = snapshot->dirty_count - snapshot->savepoint;
  undo_since(snapshot, snapshot->savepoint);
  memcpy(snapshot->instance, snapshot->committed_instance + snapshot->instance_bytes, snapshot->instance_bytes);
  snapshot->pages_rolled_back += undone;
}

int snapshot_write_fault(uint64_t address, uint64_t error_code) {
  struct snapshot* snapshot = tracking;
  const uint64_t present_and_write = 0x3;
  if (!snapshot || (error_code & present_and_write) != present_and_write) return 0;
  if (address < (uint64_t)snapshot->memory || address >= (uint64_t)snapshot->memory + snapshot->memory_bytes) return 0;
  /* No room to keep the run undoable: end it (it rolls back), saying why. */
  if (!take_page(snapshot, address & ~(PAGE_BYTES - 1)))
    wasm_rt_trap(snapshot->dirty_count < SNAPSHOT_DIRTY_PAGES_MAX ? WASM_RT_TRAP_OOB : (wasm_rt_trap_t)MODULE_TRAP_DIRTY_LIMIT);
  return 1;
}

void snapshot_commit(struct snapshot* snapshot) {
  for (uint32_t i = 0; i < snapshot->dirty_count; i++) {
    paging_set_writable((uint64_t)snapshot->dirty_pages[i], PAGE_BYTES, 0);
    give_undo_page(snapshot->undo_pages[i]);
  }
  snapshot->hot_count = snapshot->dirty_count < SNAPSHOT_HOT_PAGES ? snapshot->dirty_count : SNAPSHOT_HOT_PAGES;
  for (uint32_t i = 0; i < snapshot->hot_count; i++) snapshot->hot_pages[i] = snapshot->dirty_pages[i];
  memcpy(snapshot->committed_instance, snapshot->instance, snapshot->instance_bytes);
  snapshot->commits++;
  snapshot->pages_committed += snapshot->dirty_count;
  tracking = NULL;
}

void snapshot_rollback(struct snapshot* snapshot) {
  uint32_t undone = snapshot->dirty_count;
  undo_since(snapshot, 0);
  snapshot->dirty_count = undone; /* still reported as the run's dirtied pages (module_last_dirty_pages) */
  memcpy(snapshot->instance, snapshot->committed_instance, snapshot->instance_bytes);
  snapshot->rollbacks++;
  snapshot->pages_rolled_back += undone;
  tracking = NULL;
}
