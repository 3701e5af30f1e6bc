// Crash points: named instants at which a test has the real command killed, as a power cut would.
//
// `OPTIOS_CRASH_AT=<name> optios gc …` sends the process SIGKILL when it reaches crash
// point <name>: no cleanup, no finally blocks, the same as `kill -9` at that instant.
// tests/toolchain/store/crash.test.ts runs the real build and gc this way at each point
// and checks that the next command leaves a store `optios store verify` passes.
// Unset (always, outside tests), a crash point costs one environment lookup.

/** Every crash point, where it is. */
export const CRASH_POINTS = {
  /** store.ts: an entry recorded as pending, its folder not yet renamed into place. */
  entryPending: "entry-pending",
  /** store.ts: the entry renamed into place, its pending row not yet cleared. */
  entryRenamed: "entry-renamed",
  /** generations.ts: a generation committed, its record file not yet written. */
  generationCommitted: "generation-committed",
  /** gc.ts: dead entries named in the trash table (phase 1 committed), none moved yet. */
  gcNamed: "gc-named",
  /** gc.ts: the first dead entry moved into .trash/, the others still in the store. */
  gcMoved: "gc-moved",
  /** gc.ts: the first trash folder deleted, the others not. */
  gcDeleting: "gc-deleting",
} as const;

export function crashPoint(name: (typeof CRASH_POINTS)[keyof typeof CRASH_POINTS]): void {
  if (process.env.OPTIOS_CRASH_AT === name) process.kill(process.pid, "SIGKILL");
}
