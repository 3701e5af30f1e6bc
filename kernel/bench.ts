// test=bench: handler dispatch, run, commit and rollback costs measured in TSC cycles, then exit.
//
// Needs a system with three handlers (toolchain/src/bench/system.toml): bench-empty (does
// nothing), bench-dirty and bench-rollback (write to as many pages as the payload's first
// byte says; bench-rollback then throws). `make bench` boots it and reads the lines below:
//
//   bench: dispatch p50 <cycles> p99 <cycles> (posted → handler entry, <n> runs)
//   bench: empty run p50 <cycles> p99 <cycles> (posted → committed); <n> runs/s; <p> pages dirtied per run
//   bench: commit <pages> pages p50 <cycles>        (one line per size)
//   bench: rollback <pages> pages p50 <cycles>      (one line per size)
//   bench: idle handler image <bytes> instance <bytes> memory <bytes> reserved <bytes>

import { moduleFootprint, moduleHandle, moduleLastDirtyPages, moduleLastRun, readTsc } from "./arch/x86_64/hardware";
import { Text } from "./console/text";
import { EVENT_APP } from "./events/event_queue";
import { dispatch } from "./handlers/dispatcher";
import { delivery, deliveryPayload, handlers, postTo } from "./handlers/registry";
import { logAlways } from "./log/log";
import { clockTscHz } from "./time/clock";

const RUNS: i32 = 10_000;
const SNAPSHOT_RUNS: i32 = 200;
const PAGE_COUNTS: StaticArray<u8> = [0, 1, 4, 16, 64];
const report = new Text();

function findHandler(name: string): i32 {
  for (let i = 0; i < handlers.length; i++) if (handlers[i].name == name) return i;
  return -1;
}

function percentile(samples: Uint64Array, fraction: f64): u64 {
  return samples[min<i32>(samples.length - 1, <i32>(<f64>samples.length * fraction))];
}

/** Runs a handler directly (no dispatcher) with the payload [pages]; returns its snapshot cycles. */
function runWithPages(handler: i32, pages: u8): u64 {
  deliveryPayload[0] = pages;
  delivery.payloadLength = 1;
  moduleHandle(handlers[handler].module, EVENT_APP, 0, 0, 0, 1);
  return moduleLastRun(handlers[handler].module, 1);
}

function measureSnapshots(handler: i32, label: string): void {
  for (let size = 0; size < PAGE_COUNTS.length; size++) {
    const samples = new Uint64Array(SNAPSHOT_RUNS);
    let dirtied: u32 = 0;
    for (let i = 0; i < SNAPSHOT_RUNS; i++) {
      samples[i] = runWithPages(handler, PAGE_COUNTS[size]);
      dirtied = moduleLastDirtyPages(handlers[handler].module);
    }
    samples.sort();
    logAlways(report.clear().string("bench: ").string(label).char(0x20).decimal(dirtied).string(" pages p50 ")
      .decimal(percentile(samples, 0.5)));
  }
}

/** Returns false (after saying why) when the system lacks the bench handlers. */
export function runHandlerBench(): bool {
  const empty = findHandler("bench-empty");
  const dirty = findHandler("bench-dirty");
  const rollback = findHandler("bench-rollback");
  if (empty < 0 || dirty < 0 || rollback < 0) {
    logAlways(report.clear().string("bench: this system lacks bench-empty, bench-dirty or bench-rollback"));
    return false;
  }
  const toEntry = new Uint64Array(RUNS);
  const whole = new Uint64Array(RUNS);
  const module = handlers[empty].module;
  let total: u64 = 0;
  let missed = 0;
  for (let i = -100; i < RUNS; i++) { // the first 100 runs warm up and are not counted
    const posted = readTsc();
    postTo(empty, EVENT_APP, 0, 0, 0, 0, 0);
    const ran = dispatch();
    const done = readTsc();
    if (i < 0) continue;
    const entry = moduleLastRun(module, 0);
    if (ran != 1 || entry < posted) missed++; // did not run this time: the sample would be meaningless
    toEntry[i] = entry > posted ? entry - posted : 0;
    whole[i] = done - posted;
    total += done - posted;
  }
  if (missed > 0) logAlways(report.clear().string("bench: warning: ").decimal(missed).string(" of ").decimal(RUNS)
    .string(" posts did not run the handler at once (overrun or back-off); figures are unreliable"));
  toEntry.sort();
  whole.sort();
  logAlways(report.clear().string("bench: dispatch p50 ").decimal(percentile(toEntry, 0.5)).string(" p99 ")
    .decimal(percentile(toEntry, 0.99)).string(" (posted -> handler entry, ").decimal(RUNS).string(" runs)"));
  logAlways(report.clear().string("bench: empty run p50 ").decimal(percentile(whole, 0.5)).string(" p99 ")
    .decimal(percentile(whole, 0.99)).string(" (posted -> committed); ")
    .decimal(total > 0 ? <u64>RUNS * clockTscHz() / total : 0).string(" runs/s; ")
    .decimal(moduleLastDirtyPages(module)).string(" pages dirtied per run"));
  measureSnapshots(dirty, "commit");
  measureSnapshots(rollback, "rollback");
  logAlways(report.clear().string("bench: idle handler image ").decimal(moduleFootprint(module, 0)).string(" instance ")
    .decimal(moduleFootprint(module, 1)).string(" memory ").decimal(moduleFootprint(module, 2)).string(" reserved ")
    .decimal(moduleFootprint(module, 3)));
  return true;
}
