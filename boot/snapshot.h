/* Snapshots of handler state between runs (boot/snapshot.c). */
#ifndef OPTIOS_SNAPSHOT_H
#define OPTIOS_SNAPSHOT_H
#include <stdint.h>
#include "gate_interface.h"

/* Pages one run may dirty; a run that needs more traps (MODULE_TRAP_DIRTY_LIMIT) and is rolled back. */
#define SNAPSHOT_DIRTY_PAGES_MAX DIRTY_PAGES_MAX /* interface/optios.ts */
/* Pages the last committed run wrote first, made writable (with their undo copies) when the next run begins. */
#define SNAPSHOT_HOT_PAGES 2

struct snapshot {
  uint8_t* memory;
  uint64_t memory_bytes;
  void* instance;
  uint64_t instance_bytes;
  uint32_t dirty_count;
  uint8_t* dirty_pages[SNAPSHOT_DIRTY_PAGES_MAX];
  void* undo_pages[SNAPSHOT_DIRTY_PAGES_MAX];
  uint64_t commits, rollbacks, pages_committed, pages_rolled_back;
  /* A savepoint inside the open transaction (a nested call): undo entries from here on belong to it. */
  uint32_t savepoint;
  /* The first pages the last committed run wrote (its stack's, for AssemblyScript): taken at begin, without a fault. */
  uint32_t hot_count;
  uint8_t* hot_pages[SNAPSHOT_HOT_PAGES];
  /* instance_bytes twice: the globals as of the last commit, then as of the savepoint. */
  uint8_t committed_instance[];
};

/* Protects `memory` and records the instance as committed; NULL when out of memory. */
struct snapshot* snapshot_create(uint8_t* memory, uint64_t memory_bytes, void* instance, uint64_t instance_bytes);
void snapshot_destroy(struct snapshot* snapshot);
void snapshot_begin(struct snapshot* snapshot);
void snapshot_commit(struct snapshot* snapshot);
void snapshot_rollback(struct snapshot* snapshot);
/* Tracks this snapshot's writes from now on (another snapshot of the same transaction may have been tracked). */
void snapshot_track(struct snapshot* snapshot);
/*
 * Opens a savepoint: the pages dirtied so far are protected again, so a later write records a
 * second undo copy. `at_begin`: nothing ran since snapshot_begin, so the undo copies taken so
 * far (the hot pages) already hold the savepoint's contents and stay writable.
 */
void snapshot_savepoint(struct snapshot* snapshot, int at_begin);
/* Undoes everything since the savepoint (the transaction stays open). */
void snapshot_rollback_to_savepoint(struct snapshot* snapshot);
/* Called for page faults: 1 when it was a tracked first write (resume), 0 when it is not ours. */
int snapshot_write_fault(uint64_t address, uint64_t error_code);

/* boot/paging.c */
int paging_set_writable(uint64_t address, uint64_t bytes, int writable);
/* The same without flushing the TLB: the caller calls paging_flush_all() after the batch. */
int paging_set_writable_unflushed(uint64_t address, uint64_t bytes, int writable);
void paging_flush_all(void);
/* Identity-maps device registers (uncached), also above the first 4 GiB, with 4 KiB pages; 0 on failure. */
int paging_map_device(uint64_t address, uint64_t bytes);
/* Maps [address, address + bytes) below 4 GiB with 4 KiB pages (split from entry.S's 2 MiB ones); 0 on failure. */
int paging_use_small_pages(uint64_t address, uint64_t bytes);
#endif
