// Handlers: loading the boot modules that are handler modules, starting them, running their events.
//
// A boot module is a handler when its image is an ELF object (boot/module_loader.c checks the
// rest). Its GRUB command line (written by the toolchain from system.toml) names it, and sets
// its triggers:
//
//   module2 /boot/handlers/pong.module pong boot events=ping every=250ms after=2s budget=5ms
//
// Each handler gets its own wasm instance and memory; a module that fails to load or start
// is reported by name and skipped, and the others run. (Snapshots, timers, budgets and
// supervision of runs are the next steps: see docs/handlers.md.)

import { physicalRead32, readTsc } from "../arch/x86_64/machine";

import { moduleErrorSymbol, moduleFootprint, moduleLoad, moduleReset, moduleStart, moduleVersion } from "../arch/x86_64/modules";
import { equalsBytes, Text } from "../console/text";
import { HandlerHealth, restart } from "../events/supervision";
import { gateAdmitHandler } from "./gate";
import { savedStateRestore } from "./saved_state";
import { BootInformation, BootModule } from "../boot/boot_information";
import { parseDuration } from "../events/duration";
import { Delivery, EVENT_BOOT, EventQueue } from "../events/event_queue";
import { TimerSet } from "../events/timers";
import { LEVEL_ERROR, LEVEL_INFO, LEVEL_WARNING, line, log } from "../log/log";
import { trapName } from "../panic";
import { HANDLER_DEFAULT_BUDGET_NANOSECONDS, HANDLER_EVENT_QUEUE_CAPACITY, HANDLER_PAYLOAD_MAX_BYTES, HANDLER_TIMERS_MAX,
  HANDLERS_MAX } from "../params";
import { clockNanoseconds } from "../time/clock";

const ELF_MAGIC: u32 = 0x464c457f;
const VERSION_MAX_BYTES: u32 = 128;

// Loader errors (boot/module.h), by their negated number.
const LOAD_ERRORS: StaticArray<string> = [
  "", "not an ELF file", "not a relocatable x86-64 object", "truncated or malformed ELF structure",
  "undefined symbol", "unsupported relocation", "no optios_module descriptor", "module ABI version mismatch",
  "out of memory",
];

export class Handler {
  readonly health: HandlerHealth = new HandlerHealth();
  /** App event names this handler is subscribed to. */
  readonly events: string[] = [];
  /** How long one run may take before it is stopped and rolled back, in nanoseconds. */
  budget: u64 = HANDLER_DEFAULT_BUDGET_NANOSECONDS;
  /** Whether it gets the boot event (`boot` on its command line). */
  runsAtBoot: bool = false;
  constructor(readonly module: i32, readonly name: string, readonly version: string) {}
}

export const handlers = new Array<Handler>();
export const eventQueue = new EventQueue(HANDLER_EVENT_QUEUE_CAPACITY, HANDLER_PAYLOAD_MAX_BYTES);
export const handlerTimers = new TimerSet(HANDLER_TIMERS_MAX);
/** The delivery being run now and its payload (the gate hands the payload to the handler). */
export const delivery = new Delivery();
export const deliveryPayload = new StaticArray<u8>(HANDLER_PAYLOAD_MAX_BYTES);

export function currentPayload(): usize {
  return changetype<usize>(deliveryPayload);
}

export function currentPayloadLength(): i32 {
  return delivery.payloadLength;
}

/** Loads and starts every handler module GRUB handed over; returns how many run. */
export function handlersLoad(information: BootInformation): i32 {
  for (let i = 0; i < information.modules.length; i++) {
    const module = information.modules[i];
    if (module.end - module.start < 4 || physicalRead32(module.start) != ELF_MAGIC) continue;
    if (handlers.length == HANDLERS_MAX) {
      log(LEVEL_ERROR, line.clear().string("handlers: more than ").decimal(HANDLERS_MAX).string(" modules; ignoring the rest"));
      break;
    }
    loadHandler(module);
  }
  return handlers.length;
}

function loadHandler(module: BootModule): void {
  const words = module.name.split(" ");
  const name = words[0].length > 0 ? words[0] : "unnamed";
  const id = moduleLoad(module.start, module.end - module.start);
  if (id < 0) {
    const reason = -id < LOAD_ERRORS.length ? LOAD_ERRORS[-id] : "unknown loader error";
    const symbol = new StaticArray<u8>(64);
    const symbolLength = moduleErrorSymbol(changetype<usize>(symbol), 64);
    log(LEVEL_ERROR, line.clear().string("handlers: refusing module '").string(name).string("': ").string(reason)
      .string(symbolLength > 0 ? " " : "").raw(changetype<usize>(symbol), symbolLength));
    return;
  }
  const trap = moduleStart(id);
  if (trap != 0) {
    log(LEVEL_ERROR, line.clear().string("handlers: '").string(name).string("' trapped while starting (")
      .string(trapName(trap)).string("); not running it"));
    return;
  }
  const handler = new Handler(id, name, readVersion(id));
  const index = handlers.length;
  handlers.push(handler);
  gateAdmitHandler(id, index);
  const now = clockNanoseconds(readTsc());
  for (let w = 1; w < words.length; w++) {
    const word = words[w];
    if (word == "boot") handler.runsAtBoot = true;
    else if (word.startsWith("events=")) {
      const names = word.substring(7).split(",");
      for (let n = 0; n < names.length; n++) if (names[n].length > 0) handler.events.push(names[n]);
    } else if (word.startsWith("budget=")) {
      const budget = parseDuration(word.substring(7));
      if (budget > 0) handler.budget = <u64>budget;
      else log(LEVEL_ERROR, line.clear().string("handlers: '").string(name).string("': ").string(word)
        .string(": expected a duration such as 10ms; keeping the default budget"));
    } else if (word.startsWith("every=") || word.startsWith("after=")) {
      const periodic = word.startsWith("every=");
      const interval = parseDuration(word.substring(6));
      if (interval <= 0) {
        log(LEVEL_ERROR, line.clear().string("handlers: '").string(name).string("': ").string(word)
          .string(": expected a duration such as 250ms or 2s; timer not set"));
      } else if (handlerTimers.add(index, now, <u64>interval, periodic ? <u64>interval : 0) < 0) {
        log(LEVEL_ERROR, line.clear().string("handlers: '").string(name).string("': more than ")
          .decimal(HANDLER_TIMERS_MAX).string(" timers in the system; timer not set"));
      }
    }
  }
  log(LEVEL_INFO, line.clear().string("handlers: started '").string(name).string("' version ").string(handler.version));
  savedStateRestore(handler);
}

function readVersion(id: i32): string {
  const buffer = new StaticArray<u8>(VERSION_MAX_BYTES);
  const length = moduleVersion(id, changetype<usize>(buffer), VERSION_MAX_BYTES);
  return String.UTF16.decodeUnsafe(changetype<usize>(buffer), length & ~1);
}

/** Posts the boot event to every handler that asked for it. */
export function handlersPostBoot(): void {
  const now = clockNanoseconds(readTsc());
  for (let i = 0; i < handlers.length; i++) if (handlers[i].runsAtBoot) postTo(i, EVENT_BOOT, 0, 0, now, 0, 0);
}

export function postTo(handler: i32, kind: u8, source: u32, name: u32, timestamp: u64, payload: usize, length: i32): bool {
  if (eventQueue.post(handler, kind, source, name, timestamp, payload, length)) return true;
  // Warn on the 1st, 2nd, 4th, 8th... drop: a flood must not flood the log as well.
  if ((eventQueue.dropped & (eventQueue.dropped - 1)) == 0) {
    log(LEVEL_WARNING, line.clear().string("events: queue full, dropped an event for '").string(handlers[handler].name)
      .string("' (").decimal(eventQueue.dropped).string(" dropped so far)"));
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
  eventQueue.discardFor(index);
  const trap = moduleReset(handler.module);
  restart(handler.health);
  if (trap != 0) {
    handler.health.quarantined = true;
    handlerTimers.stopFor(index);
    log(LEVEL_ERROR, line.clear().string("handlers: '").string(handler.name).string("' trapped while restarting (")
      .string(trapName(trap)).string("); quarantined"));
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

/** Writes the `handlers` table, a line at a time, through `emit`. */
export function handlersReport(out: Text, emit: (text: Text) => void): void {
  emit(out.clear().string("NAME          VERSION  RUNS      FAILURES  STATE BYTES  LAST TRAP               QUARANTINED"));
  for (let i = 0; i < handlers.length; i++) {
    const handler = handlers[i];
    const health = handler.health;
    out.clear().string(handler.name).padTo(14).string(handler.version).padTo(23).decimal(health.runs).padTo(33)
      .decimal(health.failures).padTo(43).decimal(moduleFootprint(handler.module, 1) / 2 + moduleFootprint(handler.module, 2))
      .padTo(56).string(health.lastTrap == 0 ? "-" : trapName(health.lastTrap)).padTo(80)
      .string(health.quarantined ? "yes" : "no");
    emit(out);
  }
}
