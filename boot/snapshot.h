/* Snapshots of handler state between runs (boot/snapshot.c). */
#ifndef OPTIOS_SNAPSHOT_H
#define OPTIOS_SNAPSHOT_H
#include <stdint.h>
#include "gate_interface.h"

/* Pages one run may dirty; a run that needs more traps (MODULE_TRAP_DIRTY_LIMIT) and is rolled back. */
#define SNAPSHOT_DIRTY_PAGES_MAX DIRTY_PAGES_MAX /* interface/optios.ts */

struct snapshot {
  uint8_t* memory;
  uint64_t memory_bytes;
  void* instance;
  uint64_t instance_bytes;
  uint32_t dirty_count;
  uint8_t* dirty_pages[SNAPSHOT_DIRTY_PAGES_MAX];
  void* undo_pages[SNAPSHOT_DIRTY_PAGES_MAX];
  uint64_t commits, rollbacks, pages_committed, pages_rolled_back;
  uint8_t committed_instance[]; /* instance_bytes: the globals as of the last commit */
};

/* Protects `memory` and records the instance as committed; NULL when out of memory. */
struct snapshot* snapshot_create(uint8_t* memory, uint64_t memory_bytes, void* instance, uint64_t instance_bytes);
void snapshot_destroy(struct snapshot* snapshot);
void snapshot_begin(struct snapshot* snapshot);
void snapshot_commit(struct snapshot* snapshot);
void snapshot_rollback(struct snapshot* snapshot);
/* Called for page faults: 1 when it was a tracked first write (resume), 0 when it is not ours. */
int snapshot_write_fault(uint64_t address, uint64_t error_code);

/* boot/paging.c */
int paging_set_writable(uint64_t address, uint64_t bytes, int writable);
#endif
