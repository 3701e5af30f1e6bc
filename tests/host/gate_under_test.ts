// Host-test entry for the gate (kernel/gate/) and the boot descriptor reader, driven by tests/host/gate.test.ts.
//
// Bytes and text travel through exchange.ts's buffers.

import { checkDescriptor, crc32, readDescriptor } from "../../kernel/config/boot_descriptor";
import { callImplemented } from "../../kernel/gate/calls";
import { patternMatches } from "../../kernel/gate/capabilities";
import { rangeFits } from "../../kernel/gate/copy";
import { describeGrants } from "../../kernel/gate/capabilities";
import { CALL_CAPABILITY, CALL_SLOTS } from "../../kernel/gate/interface";
import { Text } from "../../kernel/console/text";

import { input, put } from "./exchange";
export { inputPointer, outputPointer } from "./exchange";

export function callSlots(): i32 { return CALL_SLOTS; }
export function isImplemented(call: i32): bool { return callImplemented(call); }
export function capabilityOf(call: i32): u32 { return CALL_CAPABILITY[call]; }
export function fits(address: u64, length: u64, memoryBytes: u64): bool { return rangeFits(address, length, memoryBytes); }
export function crc(length: u32): u32 { return crc32(changetype<usize>(input), length); }

/** Whether `pattern` (the first patternLength input bytes) admits the name after it. */
export function matches(patternLength: i32, nameLength: i32): bool {
  const pattern = String.UTF8.decodeUnsafe(changetype<usize>(input), patternLength);
  return patternMatches(pattern, changetype<usize>(input) + patternLength, nameLength);
}

/** The descriptor in `input` as text: its problem, or one line per module with its settings. */
export function descriptorDump(length: u32): i32 {
  const problem = checkDescriptor(changetype<usize>(input), length);
  if (problem.length > 0) return put("error: " + problem);
  const system = readDescriptor(changetype<usize>(input), length);
  let dump = "max " + system.foregroundMax.toString() + "\n";
  const grants = new Text();
  for (let i = 0; i < system.handlers.length; i++) {
    const h = system.handlers[i];
    dump += "handler " + h.name + " version " + h.version + " budget " + h.budgetNanoseconds.toString() + " every " +
      h.everyNanoseconds.toString() + " after " + h.afterNanoseconds.toString() + " memory " + h.memoryBytes.toString() +
      " boot " + (h.runsAtBoot ? "yes" : "no") + " queue " + h.queueDepth.toString() + " messages " + (h.acceptsMessages ? "yes" : "no") + " calls " + (h.acceptsCalls ? "yes" : "no") +
      " events [" + h.events.join(",") + "] grants [" +
      String.UTF8.decodeUnsafe(describeGrants(grants.clear(), h.grants).pointer, grants.length) + "]\n";
  }
  for (let i = 0; i < system.programs.length; i++) {
    const p = system.programs[i];
    dump += "program " + p.name + " memory " + p.memoryBytes.toString() + " console " + p.bootConsole.toString() + " grants [" +
      String.UTF8.decodeUnsafe(describeGrants(grants.clear(), p.grants).pointer, grants.length) + "]\n";
  }
  return put(dump);
}

/** The safe system a refused descriptor leaves, as text (what readDescriptor returns on error). */
export function descriptorFallback(length: u32): i32 {
  const system = readDescriptor(changetype<usize>(input), length);
  const grants = new Text();
  return put(system.error + " | " + system.handlers.length.toString() + " handlers | " + system.programs[0].name + " [" +
    String.UTF8.decodeUnsafe(describeGrants(grants, system.programs[0].grants).pointer, grants.length) + "]");
}
