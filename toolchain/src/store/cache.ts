// The compilation cache: the hash of a build's inputs → the store entry it produced.
//
// A build step describes its inputs (source bytes, compiler versions, flags) as a JSON
// value; `inputsKey` hashes its canonical form. `cached` returns the stored entry for a
// key seen before, or runs the build, stores its files as an entry and remembers the key.
// An unchanged handler is therefore never compiled twice. A cache row goes away with its
// entry when gc deletes the entry (an entry no kept generation uses is garbage).
import { existsSync } from "node:fs";
import { canonicalJson } from "../system/canonical.ts";
import { blake3Hex } from "./hash.ts";
import type { EntryRow } from "./metadata.ts";
import type { EntryFile, StoredEntry, Store } from "./store.ts";

/** What a build's inputs are, for the cache key. Every field that changes the output belongs here. */
export interface BuildInputs {
  /** What is built, e.g. "handler heartbeat". */
  step: string;
  /** BLAKE3 of each source file's bytes, by path. */
  sources: Record<string, string>;
  /** Tool versions, e.g. { asc: "0.28.20", wasm2c: "1.0.32", gcc: "12.2.0" }. */
  tools: Record<string, string>;
  flags: string[];
}

export async function inputsKey(inputs: BuildInputs): Promise<string> {
  return blake3Hex(canonicalJson(inputs));
}

export interface CachedResult {
  entry: StoredEntry;
  /** True when the entry came from the cache and `build` was not called. */
  hit: boolean;
}

/**
 * The entry built from the inputs with key `key`: from the cache when present (and its
 * folder still exists), else by calling `build` and storing its files as entry `name`.
 */
export async function cached(store: Store, key: string, name: string, build: () => Promise<EntryFile[]> | EntryFile[]): Promise<CachedResult> {
  const row = store.metadata.prepare("SELECT entries.* FROM cache JOIN entries ON entries.path = cache.entry WHERE cache.inputs_key = ?").get(key) as EntryRow | undefined;
  if (row !== undefined && existsSync(store.absolutePath(row.path))) {
    return { entry: { path: row.path, hash: row.hash, name: row.name, size: row.size, written: false }, hit: true };
  }
  const entry = await store.addEntry(name, await build());
  store.metadata.prepare("INSERT OR REPLACE INTO cache (inputs_key, entry, created) VALUES (?, ?, ?)").run(key, entry.path, Date.now());
  return { entry, hit: false };
}
