// Temporary stores for the store tests; each test gets its own folder.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store, type EntryFile } from "../../../toolchain/src/store/store.ts";
import type { SystemConfig } from "../../../toolchain/src/system/schema.ts";
import { canonicalJson } from "../../../toolchain/src/system/canonical.ts";

export async function temporaryStore(): Promise<Store> {
  return Store.open(join(mkdtempSync(join(tmpdir(), "optios-store-")), "store"));
}

export function textFiles(files: Record<string, string>): EntryFile[] {
  return Object.entries(files).map(([path, content]) => ({ path, content }));
}

export function systemWith(version: string, handlerVersion = "1"): { config: SystemConfig; canonicalJson: string } {
  const config: SystemConfig = {
    system: { hostname: "box", version, keepGenerations: 5 },
    foreground: { max: 1, programs: [] },
    handlers: [{
      name: "heartbeat", source: "heartbeat.ts", version: handlerVersion,
      triggers: { everyNanoseconds: 250_000_000, afterNanoseconds: null, events: [], boot: true },
      budgetNanoseconds: 10_000_000, memoryBytes: 1_048_576, capabilities: [],
    }],
    network: {},
  };
  return { config, canonicalJson: canonicalJson(config) };
}
