// Capabilities: whether a caller's grants allow a call, and the one log line a refusal writes.
//
// A grant is a capability number and a pattern for its argument: a name ("door.opened"), a
// prefix ending in '*' ("door.*", "*"), or empty for capabilities without an argument
// ("power"). The toolchain checked every name at build time (docs/gate.md); here a grant
// either matches or it does not. Default deny: no grant, no call.

import { equalsBytes, Text } from "../console/text";
import { LEVEL_WARNING, log } from "../log/log";
import { Caller, Grant } from "./callers";
import { CALL_NAMES, CAPABILITY_HAS_ARGUMENT, CAPABILITY_INCLUDED_IN, CAPABILITY_NAMES } from "./interface";

const refusal = new Text();

/** Whether `pattern` admits the `length` bytes at `address`: equal, or a prefix when it ends in '*'. */
export function patternMatches(pattern: string, address: usize, length: i32): bool {
  const last = pattern.length - 1;
  if (last >= 0 && pattern.charCodeAt(last) == 0x2a) {
    if (length < last) return false;
    for (let i = 0; i < last; i++) if (<i32>load<u8>(address + i) != pattern.charCodeAt(i)) return false;
    return true;
  }
  return equalsBytes(pattern, address, length);
}

/**
 * Whether `grants` hold `capability` for the argument at `address` (ignored for capabilities
 * without one); a grant of the capability it is included in counts too (data for data.read).
 */
export function granted(grants: Grant[], capability: u32, address: usize, length: i32): bool {
  const wider = <u32>CAPABILITY_INCLUDED_IN[capability];
  for (let i = 0; i < grants.length; i++) {
    const grant = grants[i];
    if (grant.capability != capability && (wider == 0 || grant.capability != wider)) continue;
    if (!CAPABILITY_HAS_ARGUMENT[grant.capability] || patternMatches(grant.pattern, address, length)) return true;
  }
  return false;
}

/**
 * Logs a refused call: module, call and the capability it lacks. The 1st, 2nd, 4th, 8th…
 * refusal of each module is logged, so a module retrying in a loop cannot flood the log.
 */
export function logRefusal(caller: Caller, call: u32, capability: u32, address: usize, length: i32): void {
  caller.refusals++;
  if ((caller.refusals & (caller.refusals - 1)) != 0) return;
  refusal.clear().string("gate: refused ").string(caller.name).string("'s call ").string(CALL_NAMES[call])
    .string(": it needs the capability ").string(CAPABILITY_NAMES[capability]);
  if (CAPABILITY_HAS_ARGUMENT[capability]) refusal.string(":").escaped(address, length);
  log(LEVEL_WARNING, refusal.string(" (").decimal(caller.refusals).string(caller.refusals == 1 ? " refusal)" : " refusals)"));
}

/** Writes `grants` as they are written in system.toml ("emit:door.*, power"), or "none". */
export function describeGrants(out: Text, grants: Grant[]): Text {
  if (grants.length == 0) return out.string("none");
  for (let i = 0; i < grants.length; i++) {
    if (i > 0) out.string(", ");
    out.string(CAPABILITY_NAMES[grants[i].capability]);
    if (grants[i].pattern.length > 0) out.string(":").string(grants[i].pattern);
  }
  return out;
}
