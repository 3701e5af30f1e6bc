// test=bench: handler dispatch, run, commit and rollback costs, context switches and file reads, in TSC cycles, then exit.
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
//   bench: call round trip p50 <cycles> p99 <cycles> (caller's call -> callee's reply -> caller, <n> calls)
//
// the last from bench-caller, whose every run makes one call to bench-callee (calls = true);
//
// and, when the system has the shell program (runProgramBench):
//
//   bench: switch round trip p50 <cycles> p99 <cycles> (kernel -> waiting program -> kernel, <n>)
//   bench: file read <bytes> bytes p50 <cycles> (<path>, <n> reads)
//   bench: file lookup p50 <cycles> (<path>)

import { readTsc } from "./arch/x86_64/machine";
import { moduleFootprint, moduleHandle, moduleLastDirtyPages, moduleLastRun } from "./arch/x86_64/modules";
import { threadSwitch } from "./arch/x86_64/threads";
import { bootFilesystem } from "./fs/boot_filesystem";
import { NO_DEADLINE } from "./events/timers";
import { program, programsRunNext, programStartNamed } from "./programs/programs";
import { Text } from "./console/text";
import { EVENT_APP } from "./events/event_queue";
import { dispatch } from "./handlers/dispatcher";
import { delivery, deliveryPayload, handlers, postTo } from "./handlers/registry";
import { logAlways } from "./log/log";
import { callsCompleted, lastCallCycles } from "./gate/module_calls";
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
  return measureCalls();
}

/** Synchronous calls: bench-caller's runs each make one call; the kernel times each (gate/module_calls.ts). */
function measureCalls(): bool {
  const caller = findHandler("bench-caller");
  if (caller < 0 || findHandler("bench-callee") < 0) {
    logAlways(report.clear().string("bench: this system lacks bench-caller or bench-callee"));
    return false;
  }
  const samples = new Uint64Array(RUNS);
  for (let i = -100; i < RUNS; i++) { // the first 100 calls warm up and are not counted
    const calls = callsCompleted;
    postTo(caller, EVENT_APP, 0, 0, 0, 0, 0);
    dispatch();
    if (callsCompleted != calls + 1) {
      logAlways(report.clear().string("bench: warning: a call did not complete; figures are unreliable"));
      return false;
    }
    if (i >= 0) samples[i] = lastCallCycles;
  }
  samples.sort();
  logAlways(report.clear().string("bench: call round trip p50 ").decimal(percentile(samples, 0.5)).string(" p99 ")
    .decimal(percentile(samples, 0.99)).string(" (caller's call -> callee's reply -> caller, ").decimal(RUNS).string(" calls)"));
  return true;
}

const SWITCH_RUNS: i32 = 10_000;
const FILE_READS: i32 = 200;
const BENCH_PROGRAM = "shell";
const BENCH_FILE = "/bin/shell";
const LOOKUP_FILE = "/etc/system.toml";

/**
 * Context switches and boot filesystem reads. Starts the shell, lets it run until it waits
 * for input, then switches to it and back SWITCH_RUNS times: each round trip is two
 * switches (int $48, registers and fxsave state out and in) plus the shell's kernel call
 * finding no line. Returns false (after saying why) without the shell.
 */
export function runProgramBench(): bool {
  const filesystem = bootFilesystem();
  const file = filesystem != null ? filesystem.lookup(BENCH_FILE) : null;
  if (filesystem == null || file == null) {
    logAlways(report.clear().string("bench: this system has no ").string(BENCH_FILE).string("; no program figures"));
    return false;
  }
  programStartNamed(BENCH_PROGRAM);
  programsRunNext(NO_DEADLINE); // until it waits for its first line
  const thread = program(0).thread;
  const roundTrips = new Uint64Array(SWITCH_RUNS);
  for (let i = 0; i < SWITCH_RUNS; i++) {
    const start = readTsc();
    threadSwitch(thread);
    roundTrips[i] = readTsc() - start;
  }
  roundTrips.sort();
  logAlways(report.clear().string("bench: switch round trip p50 ").decimal(percentile(roundTrips, 0.5)).string(" p99 ")
    .decimal(percentile(roundTrips, 0.99)).string(" (kernel -> waiting program -> kernel, ").decimal(SWITCH_RUNS).string(")"));
  const size = <u32>file.size;
  const buffer = new StaticArray<u8>(size);
  const reads = new Uint64Array(FILE_READS);
  for (let i = 0; i < FILE_READS; i++) {
    const start = readTsc();
    filesystem.read(file, 0, changetype<usize>(buffer), size);
    reads[i] = readTsc() - start;
  }
  reads.sort();
  logAlways(report.clear().string("bench: file read ").decimal(size).string(" bytes p50 ").decimal(percentile(reads, 0.5))
    .string(" (").string(BENCH_FILE).string(", ").decimal(FILE_READS).string(" reads)"));
  const lookups = new Uint64Array(FILE_READS);
  for (let i = 0; i < FILE_READS; i++) {
    const start = readTsc();
    filesystem.lookup(LOOKUP_FILE);
    lookups[i] = readTsc() - start;
  }
  lookups.sort();
  logAlways(report.clear().string("bench: file lookup p50 ").decimal(percentile(lookups, 0.5)).string(" (").string(LOOKUP_FILE)
    .string(")"));
  return true;
}
