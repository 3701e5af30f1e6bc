// Supervision: what happens to a handler after each run — counts, back-off, quarantine.
//
// After a failed run (trap or overrun) the handler waits `backoffBase × 2^(n-1)` (capped at
// `backoffMaximum`) before it runs again, n being its consecutive failures; at
// `maximumFailures` consecutive failures it is quarantined: it does not run until an
// operator resets it or a new version is loaded. One successful run clears the streak.

export class SupervisionPolicy {
  maximumFailures: u32 = 5;
  backoffBase: u64 = 100_000_000; //      100 ms, in nanoseconds
  backoffMaximum: u64 = 60_000_000_000; // 60 s
}

export class HandlerHealth {
  runs: u64 = 0;
  failures: u64 = 0;
  consecutiveFailures: u32 = 0;
  /** Resets by an operator or a new version (each starts the handler afresh). */
  restarts: u64 = 0;
  quarantined: bool = false;
  /** Not runnable before this time (nanoseconds since boot). */
  retryAt: u64 = 0;
  /** The last trap's kind (TRAP_ constants of gate/interface.ts); 0 if none yet. */
  lastTrap: u32 = 0;
}

/** Not a wasm trap: the run was stopped because it used up its time budget. */

export function recordSuccess(health: HandlerHealth): void {
  health.runs++;
  health.consecutiveFailures = 0;
}

/** Records a failed run at `now`; returns true when the handler has just been quarantined. */
export function recordFailure(health: HandlerHealth, policy: SupervisionPolicy, now: u64, trap: u32): bool {
  health.runs++;
  health.failures++;
  health.consecutiveFailures++;
  health.lastTrap = trap;
  if (health.consecutiveFailures >= policy.maximumFailures) {
    health.quarantined = true;
    return true;
  }
  health.retryAt = now + backoffDelay(policy, health.consecutiveFailures);
  return false;
}

export function backoffDelay(policy: SupervisionPolicy, consecutiveFailures: u32): u64 {
  let delay = policy.backoffBase;
  for (let i: u32 = 1; i < consecutiveFailures && delay < policy.backoffMaximum; i++) delay *= 2;
  return min<u64>(delay, policy.backoffMaximum);
}

export function runnable(health: HandlerHealth, now: u64): bool {
  return !health.quarantined && now >= health.retryAt;
}

/** An operator reset or a new version: the handler runs again from a clean slate. */
export function restart(health: HandlerHealth): void {
  health.quarantined = false;
  health.consecutiveFailures = 0;
  health.retryAt = 0;
  health.restarts++;
}
