// Handlers: the table of running handlers — loading, starting, queueing events, resetting.
//
// Their events are run by dispatcher.ts; their saved state across reboots is saved_state.ts.
//
// A boot module is a handler when its image is an ELF object (boot/module_loader.c checks the
// rest). GRUB names it (the toolchain writes `module2 /…/pong.module pong`), and the boot
// descriptor (kernel/config/boot_descriptor.ts) holds its settings under that name: triggers,
// budget, memory limit, subscriptions and capabilities. A module the descriptor does not
// declare is not run.
//
// Each handler gets its own wasm instance and memory; a module that fails to load or start
// is reported by name and skipped, and the others run.

import { memoryRefusals, memoryShortage } from "../memory/memory";
import { physicalRead32, readTsc } from "../arch/x86_64/machine";

import { moduleErrorSymbol, moduleFootprint, moduleLoad, moduleReset, moduleStart, moduleUnload, moduleVersion } from "../arch/x86_64/modules";
import { equalsBytes, KeptText, Text } from "../console/text";
import { HandlerHealth, restart } from "../events/supervision";
import { admitHandler, forgetCaller } from "../gate/callers";
import { CAPABILITY_NET_STACK, HANDLERS_MAX, loadErrorText, NET_DATA_MAX_BYTES, NET_PAYLOAD_MAX_BYTES, PAYLOAD_MAX_BYTES, QUEUE_DEPTH,
  FAILURE_TEXT_MAX_BYTES, trapText } from "../gate/interface";
import { HandlerSettings, SystemDescriptor } from "../config/boot_descriptor";
import { savedStateRestore } from "./saved_state";
import { BootInformation, BootModule } from "../boot/boot_information";
import { Delivery, EVENT_BOOT } from "../events/event_queue";
import { HandlerQueues } from "../events/handler_queues";
import { TimerSet } from "../events/timers";
import { LEVEL_ERROR, LEVEL_INFO, LEVEL_WARNING, line, log } from "../log/log";
import { HANDLER_DEFAULT_BUDGET_NANOSECONDS, HANDLER_TIMERS_MAX } from "../params";
import { clockNanoseconds } from "../time/clock";

const ELF_MAGIC: u32 = 0x464c457f;
const VERSION_MAX_BYTES: u32 = 128;

/** A failure in words: "aborted: " and the module's own text (FAILURE_TEXT_MAX_BYTES), or a limit named. */
const KEPT_FAILURE_BYTES: i32 = FAILURE_TEXT_MAX_BYTES + 96;

export class Handler {
  readonly health: HandlerHealth = new HandlerHealth();
  /** App event names this handler is subscribed to. */
  readonly events: string[] = [];
  /** How long one run may take before it is stopped and rolled back, in nanoseconds. */
  budget: u64 = HANDLER_DEFAULT_BUDGET_NANOSECONDS;
  /** Whether it gets the boot event (`boot = true`). */
  runsAtBoot: bool = false;
  /** Its memory limit in bytes, for failure reports. */
  memoryBytes: u64 = 0;
  /** Whether modules may post it messages (`messages = true`). */
  acceptsMessages: bool = false;
  /** Whether handlers may call it (`calls = true`). */
  acceptsCalls: bool = false;
  /** Why its last run failed, in words (empty before any failure). */
  readonly lastFailure: KeptText = new KeptText(KEPT_FAILURE_BYTES);
  /** Calls it made to other handlers, and calls it answered. */
  callsMade: u64 = 0;
  callsServed: u64 = 0;
  /** Its last call that failed, in words (empty before any): callee and why. */
  readonly lastCallError: KeptText = new KeptText(KEPT_FAILURE_BYTES);
  /**
   * Whether its runs are transactions (every handler's, but the network stack's: net/network.ts).
   * One that is not is reset after a trap instead of rolled back (dispatcher.ts).
   */
  transactional: bool = true;
  /**
   * How many of its queued deliveries it may take in one dispatch round: 1 for every handler
   * but the network stack, whose work is the traffic's (a frame in, each reply out) and which
   * would otherwise answer at most one datagram every two rounds (net/network.ts).
   */
  deliveriesPerRound: i32 = 1;
  /**
   * `module` and `version` change when a new version is deployed live (upgrade.ts); `settings`
   * is its boot descriptor entry, the one a deploy is checked against.
   */
  constructor(public module: i32, readonly name: string, public version: string, public settings: HandlerSettings) {}
}

export const handlers = new Array<Handler>();
/** One queue per handler, same index, each as deep as its system.toml queue (events/handler_queues.ts). */
export const eventQueues = new HandlerQueues(QUEUE_DEPTH, PAYLOAD_MAX_BYTES);
export const handlerTimers = new TimerSet(HANDLER_TIMERS_MAX);
/** The delivery being run now and its payload (the gate hands the payload to the handler); a frame's is the largest. */
export const delivery = new Delivery();
export const DELIVERY_PAYLOAD_MAX_BYTES: i32 = NET_PAYLOAD_MAX_BYTES;
export const deliveryPayload = new StaticArray<u8>(DELIVERY_PAYLOAD_MAX_BYTES);

export function currentPayload(): usize {
  return changetype<usize>(deliveryPayload);
}

export function currentPayloadLength(): i32 {
  return delivery.payloadLength;
}

/** Loads and starts every handler module GRUB handed over that `system` declares; returns how many run. */
export function handlersLoad(information: BootInformation, system: SystemDescriptor): i32 {
  for (let i = 0; i < information.modules.length; i++) {
    const module = information.modules[i];
    if (module.end - module.start < 4 || physicalRead32(module.start) != ELF_MAGIC) continue;
    const name = module.name.split(" ")[0];
    const settings = system.handler(name);
    if (settings == null) {
      log(LEVEL_ERROR, line.clear().string("handlers: not running module '").string(name).string("': the boot descriptor ")
        .string(system.error.length > 0 ? "could not be read" : "declares no handler of that name"));
    } else if (handlers.length == HANDLERS_MAX) {
      log(LEVEL_ERROR, line.clear().string("handlers: not running '").string(name).string("': ").decimal(HANDLERS_MAX)
        .string(" handlers already run"));
    } else loadHandler(module, settings);
  }
  return handlers.length;
}

function loadHandler(module: BootModule, settings: HandlerSettings): void {
  const name = settings.name;
  const refusals = memoryRefusals;
  const id = moduleLoad(module.start, module.end - module.start);
  if (id < 0 && memoryShortage(refusals).length > 0) {
    log(LEVEL_ERROR, line.clear().string("handlers: not running '").string(name).string("': ").string(memoryShortage(refusals)));
    return;
  }
  if (id < 0) {
    const symbol = new StaticArray<u8>(64);
    const symbolLength = moduleErrorSymbol(changetype<usize>(symbol), 64);
    log(LEVEL_ERROR, line.clear().string("handlers: refusing module '").string(name).string("': ").string(loadErrorText(id))
      .string(symbolLength > 0 ? " " : "").raw(changetype<usize>(symbol), symbolLength));
    return;
  }
  const index = handlers.length;
  admitHandler(id, index, name, settings.grants);               // its start code may call the gate
  const trap = moduleStart(id);
  if (trap != 0) {
    forgetCaller(id);
    moduleUnload(id); // everything it held goes back: its slot, image, instance and memory
    if (memoryShortage(refusals).length > 0) {
      log(LEVEL_ERROR, line.clear().string("handlers: not running '").string(name).string("': ").string(memoryShortage(refusals)));
      return;
    }
    log(LEVEL_ERROR, line.clear().string("handlers: '").string(name).string("' trapped while starting (")
      .string(trapText(trap)).string("); not running it"));
    return;
  }
  const handler = new Handler(id, name, readVersion(id), settings);
  handler.runsAtBoot = settings.runsAtBoot;
  handler.budget = settings.budgetNanoseconds > 0 ? settings.budgetNanoseconds : HANDLER_DEFAULT_BUDGET_NANOSECONDS;
  handler.memoryBytes = settings.memoryBytes;
  handler.acceptsMessages = settings.acceptsMessages;
  handler.acceptsCalls = settings.acceptsCalls;
  for (let e = 0; e < settings.events.length; e++) handler.events.push(settings.events[e]);
  handlers.push(handler);
  eventQueues.add(settings.queueDepth, payloadMax(settings));
  const now = clockNanoseconds(readTsc());
  addTimer(handler, index, now, settings.everyNanoseconds, settings.everyNanoseconds);
  addTimer(handler, index, now, settings.afterNanoseconds, 0);
  log(LEVEL_INFO, line.clear().string("handlers: started '").string(name).string("' version ").string(handler.version));
  savedStateRestore(handler);
}

/** How long its events' payloads may be: a network stack's take frames, a listener's datagrams; everyone else's PAYLOAD_MAX_BYTES. */
function payloadMax(settings: HandlerSettings): i32 {
  for (let i = 0; i < settings.grants.length; i++) if (settings.grants[i].capability == CAPABILITY_NET_STACK) return NET_PAYLOAD_MAX_BYTES;
  return settings.udpPorts != 0 || settings.tcpPorts != 0 ? NET_DATA_MAX_BYTES : PAYLOAD_MAX_BYTES;
}

function addTimer(handler: Handler, index: i32, now: u64, delay: u64, period: u64): void {
  if (delay == 0 || handlerTimers.add(index, now, delay, period) >= 0) return;
  log(LEVEL_ERROR, line.clear().string("handlers: '").string(handler.name).string("': more than ")
    .decimal(HANDLER_TIMERS_MAX).string(" timers in the system; timer not set"));
}

/** The version string module `id` exports. */
const versionBytes = new StaticArray<u8>(VERSION_MAX_BYTES);

/** The module's version string; `known` itself when it is the same text (a redeploy of a version makes no new string). */
export function readVersion(id: i32, known: string = ""): string {
  const length = moduleVersion(id, changetype<usize>(versionBytes), VERSION_MAX_BYTES) & ~1;
  if (<i32>length == known.length << 1 && memory.compare(changetype<usize>(versionBytes), changetype<usize>(known), length) == 0) return known;
  return String.UTF16.decodeUnsafe(changetype<usize>(versionBytes), length);
}

/** Posts the boot event to every handler that asked for it. */
export function handlersPostBoot(): void {
  const now = clockNanoseconds(readTsc());
  for (let i = 0; i < handlers.length; i++) if (handlers[i].runsAtBoot) postTo(i, EVENT_BOOT, 0, 0, now, 0, 0);
}

/** Queues an event for `handler`; false when its queue is full (the drop is counted and logged, rate-limited). */
export function postTo(handler: i32, kind: u8, source: u32, name: u32, timestamp: u64, payload: usize, length: i32): bool {
  if (eventQueues.post(handler, kind, source, name, timestamp, payload, length)) return true;
  // Warn on the 1st, 2nd, 4th, 8th... drop for each handler: a flood must not flood the log as well.
  const dropped = eventQueues.queue(handler).dropped;
  if ((dropped & (dropped - 1)) == 0) {
    log(LEVEL_WARNING, line.clear().string("events: '").string(handlers[handler].name).string("' has ").decimal(eventQueues.queue(handler).capacity)
      .string(" events waiting; dropped one (").decimal(dropped).string(" dropped so far)"));
  }
  return false;
}

/**
 * Puts handler `index` back to its initial snapshot: its memory and globals made afresh by
 * running its start code again, its waiting events dropped, quarantine lifted and periodic
 * timers running. Returns the trap its start code raised (0: none; the handler is then
 * quarantined, as it cannot run).
 */
export function handlerReset(index: i32): u32 {
  const handler = handlers[index];
  eventQueues.discardFor(index);
  const trap = moduleReset(handler.module);
  restart(handler.health);
  if (trap != 0) {
    handler.health.quarantined = true;
    handlerTimers.stopFor(index);
    log(LEVEL_ERROR, line.clear().string("handlers: '").string(handler.name).string("' trapped while restarting (")
      .string(trapText(trap)).string("); quarantined"));
    return trap;
  }
  handlerTimers.restartFor(index, clockNanoseconds(readTsc()));
  log(LEVEL_INFO, line.clear().string("handlers: '").string(handler.name).string("' reset to its initial state (version ")
    .string(handler.version).string(")"));
  return 0;
}

/** The index of the handler whose name is the `length` bytes at `address`, or -1. */
export function handlerNamed(address: usize, length: i32): i32 {
  for (let i = 0; i < handlers.length; i++) if (equalsBytes(handlers[i].name, address, length)) return i;
  return -1;
}

/**
 * Writes the `handlers` table, a line at a time, through `emit`; every column keeps its place
 * whatever the text. CALLS is calls made/served; under the table, each handler whose last
 * call failed says to whom and why.
 */
export function handlersReport(out: Text, emit: (text: Text) => void): void {
  emit(out.clear().string("NAME          VERSION  RUNS      FAILURES  STATE BYTES  QUEUE    CALLS      STATE        LAST FAILURE"));
  for (let i = 0; i < handlers.length; i++) {
    const handler = handlers[i];
    const health = handler.health;
    out.clear().column(handler.name, 14).column(handler.version, 23).decimal(health.runs).padTo(33)
      .decimal(health.failures).padTo(43).decimal(moduleFootprint(handler.module, 1) / 2 + moduleFootprint(handler.module, 2))
      .padTo(56).decimal(eventQueues.countFor(i)).string("/").decimal(eventQueues.queue(i).capacity).padTo(65)
      .decimal(handler.callsMade).string("/").decimal(handler.callsServed).padTo(76)
      .column(health.quarantined ? "quarantined" : eventQueues.storm(i).throttled ? "throttled" : "running", 89);
    if (health.lastTrap == 0) out.string("-");
    else if (handler.lastFailure.length > 0) out.kept(handler.lastFailure);
    else out.string(trapText(health.lastTrap));
    emit(out);
  }
  for (let i = 0; i < handlers.length; i++) {
    if (handlers[i].lastCallError.length == 0) continue;
    emit(out.clear().string(handlers[i].name).string(": last failed call ").kept(handlers[i].lastCallError));
  }
}
