// Live upgrade: a new version of a running handler, swapped in between two runs (docs/upgrade.md).
//
// deploy.ts receives a transfer on the deploy port: the handler's name, the boot descriptor
// of the generation the new version belongs to, and its module. upgradeHandler then checks,
// in this order, and stops at the first refusal with the running version untouched:
//
//   1. the descriptor reads (magic, format, CRC) and has an entry for the handler, and the
//      handler runs here (a new handler needs its generation booted);
//   2. the module's CRC-32 is the one that entry records: it is that generation's module;
//   3. the entry asks for nothing the running one lacks: each capability is covered by a
//      running grant, and every other setting (triggers, budget, memory, queue, messages,
//      calls) is the same. A wider or otherwise changed entry needs its generation booted;
//   4. the module links and its start code runs;
//   5. the state: kept when the version string and the globals layout are the same (what a
//      warm reboot keeps, saved_state.ts), else the new version starts from its initial state;
//   6. migrate: the new version's first run is EVENT_UPGRADE with the previous version as its
//      payload, a transaction of its own; a trap drops the new version and the old runs on;
//   7. the swap: the registry's entry takes the new module, version and grants, and the old
//      module is unloaded. The queue, timers and counters belong to the registry's entry, not
//      to the module, so the events waiting for the old version are the new one's to handle.

import { moduleGlobalsLayout, moduleIsProgram, moduleLoad, moduleStart, moduleStateCopy, moduleUnload } from "../arch/x86_64/modules";
import { readTsc } from "../arch/x86_64/machine";
import { HandlerSettings, NO_SUCH_HANDLER, physicalCrc32, readHandlerEntry } from "../config/boot_descriptor";
import { Text } from "../console/text";
import { restart } from "../events/supervision";
import { admitHandler, forgetCaller, Grant } from "../gate/callers";
import { describeGrants, granted } from "../gate/capabilities";
import { HANDLERS_MAX, loadErrorText, trapText } from "../gate/interface";
import { memoryRefusals, memoryShortage } from "../memory/memory";
import { appendMilliseconds, clockNanoseconds } from "../time/clock";
import { describeFailure, runMigration } from "./dispatcher";
import { stateLogCommitted, stateLogForget } from "../storage/state_log";
import { eventQueues, handlers, handlerTimers, readVersion } from "./registry";

const patternBytes = new Text();

/**
 * Deploys `moduleLength` bytes of module at physical `module` as the new version of handler
 * `name`, checked against the descriptor at `descriptor` (kernel memory). Writes the outcome
 * as one line in `out` ("'name': upgraded …", "'name': refused: …") and returns whether the
 * new version runs now.
 */
export function upgradeHandler(name: string, descriptor: usize, descriptorLength: u32, module: u64, moduleLength: u32, out: Text): bool {
  const started = readTsc();
  out.clear().string("'").string(name).string("': ");
  const index = handlerIndex(name);
  // The entry is read into the handler's spare settings, sharing what reads the same as the
  // running entry: a deploy of the same entry makes nothing (the kernel's runtime never frees).
  const settings = index >= 0 ? spareSettings(index) : new HandlerSettings();
  const problem = readHandlerEntry(descriptor, descriptorLength, name, index >= 0 ? handlers[index].settings : null, settings);
  if (problem == NO_SUCH_HANDLER) return refused(refuse(out).string("the generation sent has no handler of that name"));
  if (problem.length > 0) return refused(refuse(out).string("the descriptor sent with it is unusable: ").string(problem));
  if (index < 0) return refused(refuse(out).string("no handler of that name runs here; a new handler needs its generation booted"));
  const handler = handlers[index];
  const crc = physicalCrc32(module, moduleLength);
  if (crc != settings.moduleCrc) {
    return refused(refuse(out).string("the module's CRC-32 is 0x").hex(crc, 8).string(", its generation records 0x").hex(settings.moduleCrc, 8)
      .string(" (damaged on the way, or not that generation's module)"));
  }
  const wider = widerGrant(handler.settings.grants, settings.grants);
  if (wider != null) {
    return refused(describeGrants(refuse(out).string("it asks for the capability "), [wider])
      .string(", which the running version lacks; more capabilities need its generation booted"));
  }
  const changed = changedSetting(handler.settings, settings);
  if (changed.length > 0) {
    return refused(refuse(out).string("its [[handlers]] entry changed (").string(changed).string("); a changed entry needs its generation booted"));
  }
  const refusals = memoryRefusals;
  const id = moduleLoad(module, moduleLength);
  if (id < 0) {
    const shortage = memoryShortage(refusals);
    return refused(refuse(out).string("its module does not load: ").string(shortage.length > 0 ? shortage : loadErrorText(id)));
  }
  if (moduleIsProgram(id)) {
    moduleUnload(id);
    return refused(refuse(out).string("its module is a program (main), not a handler (handle)"));
  }
  admitHandler(id, index, name, settings.grants); // its start code may call the gate
  const startTrap = moduleStart(id);
  if (startTrap != 0) {
    dropModule(id);
    return refused(refuse(out).string("the new version trapped while starting (").string(trapText(startTrap)).string("); version ")
      .string(handler.version).string(" runs on"));
  }
  const version = readVersion(id, handler.version);
  const sameLayout = moduleGlobalsLayout(id) == moduleGlobalsLayout(handler.module);
  const stateKept = version == handler.version && sameLayout && moduleStateCopy(handler.module, id) == 0;
  const migrateTrap = runMigration(index, id, handler.version);
  if (migrateTrap != 0) {
    const why = describeFailure(handler, migrateTrap, id);
    dropModule(id);
    out.string("failed: version ").string(version).string("'s migrate ").text(why).string("; version ").string(handler.version)
      .string(" runs on, unchanged");
    return false;
  }
  const previous = handler.version;
  const old = handler.module;
  handler.module = id;
  handler.version = version;
  spares[index] = handler.settings; // the next deploy's entry is read into it
  handler.settings = settings;
  dropModule(old);
  stateLogForget(index); // another module: its state goes to the data disk whole
  stateLogCommitted(index);
  if (handler.health.quarantined) handlerTimers.restartFor(index, clockNanoseconds(readTsc()));
  if (handler.health.quarantined || handler.health.consecutiveFailures > 0) restart(handler.health); // a fix runs at once
  const cycles = readTsc() - started;
  appendMilliseconds(out.string("upgraded from version ").string(previous).string(" to ").string(version).string(" in "), cycles)
    .string(" (").grouped(cycles).string(" cycles); state ")
    .string(stateKept ? "kept" : version != previous ? "reset (new version)" : "reset (its globals changed)")
    .string("; queued events kept: ").decimal(eventQueues.countFor(index));
  return true;
}

/**
 * Each handler's settings object for the next deploy's entry: the one the last deploy replaced
 * (after the first deploy, the boot descriptor's own object, which nothing reads after boot).
 */
const spares = new StaticArray<HandlerSettings | null>(HANDLERS_MAX);

function spareSettings(index: i32): HandlerSettings {
  let spare = spares[index];
  if (spare == null) {
    spare = new HandlerSettings();
    spares[index] = spare;
  }
  return spare;
}

function refuse(out: Text): Text {
  return out.string("refused: ");
}

/** A refusal's outcome, once `out` says why: the running version stays. */
function refused(out: Text): bool {
  return false;
}

function dropModule(id: i32): void {
  forgetCaller(id);
  moduleUnload(id);
}

function handlerIndex(name: string): i32 {
  for (let i = 0; i < handlers.length; i++) if (handlers[i].name == name) return i;
  return -1;
}

/**
 * The first of `asked` that `running` does not cover, or null. A grant is covered when a
 * running grant of the same capability admits its pattern as a name: "door.*" covers
 * "door.bell" and "door.b*", not "*".
 */
export function widerGrant(running: Grant[], asked: Grant[]): Grant | null {
  for (let i = 0; i < asked.length; i++) {
    const text = patternBytes.clear().string(asked[i].pattern);
    if (!granted(running, asked[i].capability, text.pointer, text.length)) return asked[i];
  }
  return null;
}

/** The system.toml keys whose values differ between two entries of one handler (capabilities and version aside), or "". */
export function changedSetting(running: HandlerSettings, asked: HandlerSettings): string {
  let changed = ""; // made only when something changed: a deploy must not allocate
  changed = listIf(changed, running.budgetNanoseconds != asked.budgetNanoseconds, "budget");
  changed = listIf(changed, running.everyNanoseconds != asked.everyNanoseconds, "every");
  changed = listIf(changed, running.afterNanoseconds != asked.afterNanoseconds, "after");
  changed = listIf(changed, running.memoryBytes != asked.memoryBytes, "memory");
  changed = listIf(changed, running.runsAtBoot != asked.runsAtBoot, "boot");
  changed = listIf(changed, running.queueDepth != asked.queueDepth, "queue");
  changed = listIf(changed, running.acceptsMessages != asked.acceptsMessages, "messages");
  changed = listIf(changed, running.acceptsCalls != asked.acceptsCalls, "calls");
  return listIf(changed, !sameTexts(running.events, asked.events), "events");
}

/** `list` with `key` after a comma when `differs`. */
function listIf(list: string, differs: bool, key: string): string {
  return !differs ? list : list.length == 0 ? key : list + ", " + key;
}

function sameTexts(a: string[], b: string[]): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
  return true;
}
