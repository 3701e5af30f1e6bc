// Generations: each build that changed anything, as a numbered set of store entries plus its config.
//
// Recording a generation raises the reference count of each entry it uses, in the same
// transaction that inserts it; removing one lowers them (see gc.ts). The newest generation
// is the default boot entry unless `rollback` pinned another; recording a new generation
// clears the pin, as a new build is what the user wants to boot next.
import { canonicalJson } from "../system/canonical.ts";
import type { SystemConfig } from "../system/schema.ts";
import { blake3Hex } from "./hash.ts";
import type { GenerationRow, ReferenceRow } from "./metadata.ts";
import { CRASH_POINTS, crashPoint } from "./crash_point.ts";
import { writeGenerationRecord } from "./recovery.ts";
import type { Store } from "./store.ts";

/** One entry as a generation uses it. */
export interface GenerationEntry {
  /** "kernel", "module" (a boot module: handler or program), "config", … */
  role: string;
  /** What it is within the generation: "kernel", the handler's name, … */
  name: string;
  /** The store entry, "ab/cd/<hash>-<name>". */
  path: string;
  /** The file inside the entry that GRUB loads (kernel.elf, heartbeat.module). */
  bootFile?: string;
  /** The GRUB command line after the file's path (a module's name and triggers). */
  arguments?: string;
}

export interface Generation {
  number: number;
  /** Milliseconds since 1970. */
  created: number;
  contentHash: string;
  size: number;
  summary: string;
  systemVersion: string;
  pinned: boolean;
  /** Whether GRUB boots this one by default: the pinned one, else the newest. */
  isDefault: boolean;
  /** The versions of the tools that built it (node, assemblyscript, gcc, …); empty for older generations. */
  tools: Record<string, string>;
  entries: GenerationEntry[];
}

export interface RecordedSystem {
  config: SystemConfig;
  canonicalJson: string;
  /** The versions of the tools that built it; recorded, not part of the content hash. */
  tools?: Record<string, string>;
}

function toGeneration(row: GenerationRow, references: ReferenceRow[], defaultNumber: number | null): Generation {
  const entries = references.map((reference) => ({
    role: reference.role,
    name: reference.name,
    path: reference.entry,
    ...(reference.boot_file !== null ? { bootFile: reference.boot_file } : {}),
    ...(reference.arguments !== null ? { arguments: reference.arguments } : {}),
  }));
  return {
    number: row.number, created: row.created, contentHash: row.content_hash, size: row.size, summary: row.summary,
    systemVersion: row.system_version, pinned: row.pinned === 1, isDefault: row.number === defaultNumber,
    tools: JSON.parse(row.tools ?? "{}") as Record<string, string>, entries,
  };
}

/** The default boot generation: the pinned one, else the newest; null when there is none. */
export function defaultGenerationNumber(store: Store): number | null {
  const row = store.metadata.prepare("SELECT number FROM generations ORDER BY pinned DESC, number DESC LIMIT 1").get() as { number: number } | undefined;
  return row?.number ?? null;
}

/** Every generation, newest first. */
export function listGenerations(store: Store): Generation[] {
  const rows = store.metadata.prepare("SELECT * FROM generations ORDER BY number DESC").all() as GenerationRow[];
  const references = store.metadata.prepare("SELECT * FROM generation_references WHERE generation = ? ORDER BY role, name");
  const defaultNumber = defaultGenerationNumber(store);
  return rows.map((row) => toGeneration(row, references.all(row.number) as ReferenceRow[], defaultNumber));
}

function sortEntries(entries: readonly GenerationEntry[]): GenerationEntry[] {
  const key = (entry: GenerationEntry) => `${entry.role}\0${entry.name}\0${entry.path}`;
  return [...entries].sort((left, right) => (key(left) < key(right) ? -1 : key(left) > key(right) ? 1 : 0));
}

/** "first generation", or what changed: "changed kernel; added module pong; heartbeat version 1 → 2". */
export function describeChanges(previous: { entries: GenerationEntry[]; config: SystemConfig } | undefined, entries: readonly GenerationEntry[], config: SystemConfig): string {
  if (previous === undefined) return "first generation";
  const label = (entry: GenerationEntry) => (entry.role === entry.name ? entry.name : `${entry.role} ${entry.name}`);
  const before = new Map(previous.entries.map((entry) => [`${entry.role} ${entry.name}`, entry]));
  const changes: string[] = [];
  for (const entry of entries) {
    const earlier = before.get(`${entry.role} ${entry.name}`);
    before.delete(`${entry.role} ${entry.name}`);
    if (earlier === undefined) changes.push(`added ${label(entry)}`);
    else if (earlier.path !== entry.path || earlier.arguments !== entry.arguments) changes.push(`changed ${label(entry)}`);
  }
  for (const removed of before.values()) changes.push(`removed ${label(removed)}`);
  const previousConfig = previous.config;
  for (const handler of config.handlers) {
    const old = previousConfig.handlers.find((candidate) => candidate.name === handler.name);
    if (old !== undefined && old.version !== handler.version) changes.push(`${handler.name} version ${old.version} → ${handler.version}`);
  }
  if (previousConfig.system.version !== config.system.version) changes.push(`system version ${previousConfig.system.version} → ${config.system.version}`);
  return changes.length > 0 ? changes.join("; ") : "configuration changed";
}

/** The newest generation with its parsed config, or undefined when there is none. */
function newestGeneration(store: Store): (Generation & { config: SystemConfig }) | undefined {
  const row = store.metadata.prepare("SELECT * FROM generations ORDER BY number DESC LIMIT 1").get() as GenerationRow | undefined;
  if (row === undefined) return undefined;
  const references = store.metadata.prepare("SELECT * FROM generation_references WHERE generation = ?").all(row.number) as ReferenceRow[];
  return { ...toGeneration(row, references, null), config: JSON.parse(row.config) as SystemConfig };
}

export interface RecordResult {
  generation: Generation;
  /** False when the newest generation already had this content: nothing was recorded. */
  created: boolean;
}

/** Records a generation of `entries` built from `system`, unless it equals the newest one. */
export async function recordGeneration(store: Store, entries: readonly GenerationEntry[], system: RecordedSystem, now = Date.now()): Promise<RecordResult> {
  const sorted = sortEntries(entries);
  const contentHash = await blake3Hex(canonicalJson({ config: system.canonicalJson, entries: sorted }));
  const newest = newestGeneration(store);
  if (newest !== undefined && newest.contentHash === contentHash) return { generation: listGenerations(store).find((item) => item.number === newest.number)!, created: false };
  const summary = describeChanges(newest, sorted, system.config);
  const database = store.metadata;
  const number = (newest?.number ?? 0) + 1;
  const unpinned = database.prepare("SELECT number FROM generations WHERE pinned = 1").all() as Array<{ number: number }>;
  database.transaction(() => {
    const paths = [...new Set(sorted.map((entry) => entry.path))];
    const size = paths.reduce((total, path) => {
      const row = database.prepare("SELECT size FROM entries WHERE path = ?").get(path) as { size: number } | undefined;
      if (row === undefined) throw new Error(`recordGeneration: entry ${path} is not in the store`);
      return total + row.size;
    }, 0);
    database.prepare("UPDATE generations SET pinned = 0 WHERE pinned = 1").run();
    database.prepare("INSERT INTO generations (number, created, content_hash, size, summary, system_version, config, pinned, tools) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)")
      .run(number, now, contentHash, size, summary, system.config.system.version, system.canonicalJson, canonicalJson(system.tools ?? {}));
    const insert = database.prepare("INSERT INTO generation_references (generation, entry, role, name, boot_file, arguments) VALUES (?, ?, ?, ?, ?, ?)");
    for (const entry of sorted) insert.run(number, entry.path, entry.role, entry.name, entry.bootFile ?? null, entry.arguments ?? null);
    const raise = database.prepare("UPDATE entries SET refcount = refcount + 1 WHERE path = ?");
    for (const path of paths) raise.run(path);
  })();
  crashPoint(CRASH_POINTS.generationCommitted);
  for (const previous of unpinned) writeGenerationRecord(store, previous.number);
  writeGenerationRecord(store, number);
  return { generation: listGenerations(store).find((item) => item.number === number)!, created: true };
}

/** Makes generation `number` the default boot entry; without a number, the one before the current default. */
export function rollback(store: Store, number?: number): Generation {
  const current = defaultGenerationNumber(store);
  if (current === null) throw new Error("rollback: there are no generations yet; build first");
  const generations = listGenerations(store);
  const target = number ?? generations.find((generation) => generation.number < current)?.number;
  if (target === undefined) throw new Error(`rollback: generation ${current} is the oldest kept; there is nothing older to roll back to`);
  if (!generations.some((generation) => generation.number === target)) {
    throw new Error(`rollback: no generation ${target}; expected one of ${generations.map((generation) => generation.number).join(", ")}`);
  }
  const pinned = generations.filter((generation) => generation.pinned).map((generation) => generation.number);
  store.metadata.transaction(() => {
    store.metadata.prepare("UPDATE generations SET pinned = 0 WHERE pinned = 1").run();
    store.metadata.prepare("UPDATE generations SET pinned = 1 WHERE number = ?").run(target);
  })();
  for (const number of [...pinned, target]) writeGenerationRecord(store, number);
  return listGenerations(store).find((generation) => generation.number === target)!;
}
