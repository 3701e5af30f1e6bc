// Step "generation": the build's kernel, handler modules and config put in the store as a generation.
//
//   build/kernel.elf            ─► store/ab/cd/<hash>-kernel/kernel.elf
//   build/handlers/<name>.module ─► store/ab/cd/<hash>-<name>/<name>.module   (one entry each)
//   build/initrd.cpio           ─► store/ab/cd/<hash>-initrd/initrd.cpio      (the boot filesystem)
//   the system's canonical JSON ─► store/ab/cd/<hash>-system/system.json
//   recordGeneration(...)       ─► generation N+1, unless the newest already has this content
//
// The task is stamped like any other (kernel, modules, config text, command lines), and
// its output build/generation.json names the generation it recorded. Before the stamp is
// checked, the plan compares that file with the store: when the store's newest generation
// is no longer the one the file names (the store was removed, or another system was built
// into it since), the file is deleted, which forces the task to run and record again.
// The plan also re-hashes the newest generation's entries (under a megabyte): a damaged one
// forces the task too, and storing the outputs again replaces it (Store.addEntry).
// A no-op rebuild therefore costs one small SQLite query and that hash, and writes nothing.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Project } from "../project.ts";
import { paths } from "../project.ts";
import { recordGeneration, type Generation, type GenerationEntry } from "../store/generations.ts";
import { handlerModuleArguments } from "../store/grub_menu.ts";
import { withStoreAt } from "../store/recovery.ts";
import type { Store } from "../store/store.ts";
import type { LoadedSystem } from "../system/load.ts";
import { modulePath, projectSystem } from "./handlers.ts";
import { initrdArchive } from "./initrd.ts";
import type { Step } from "./step.ts";
import { generationToolVersions } from "./tools.ts";
import { damagedEntries } from "../store/verify.ts";

/** The project's store, relative to the project root. */
export const storeFolder = "store";
/** What the last generation task recorded: `{ "number": N, "contentHash": "…" }`. */
export const generationRecord = "build/generation.json";

export interface RecordedGeneration {
  number: number;
  contentHash: string;
}

/** Opens `<root>/store`, runs `work` with it, and always closes it. */
export function withProjectStore<Result>(project: Project, work: (store: Store) => Promise<Result> | Result): Promise<Result> {
  return withStoreAt(join(project.root, storeFolder), work);
}

/** build/generation.json, or undefined when it is missing or unreadable. */
export function readGenerationRecord(root: string): RecordedGeneration | undefined {
  try {
    const record = JSON.parse(readFileSync(join(root, generationRecord), "utf8")) as RecordedGeneration;
    return Number.isInteger(record.number) && typeof record.contentHash === "string" ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The newest generation's number and content hash, read straight from the metadata. */
function newestRecorded(store: Store): RecordedGeneration | undefined {
  const row = store.metadata.prepare("SELECT number, content_hash FROM generations ORDER BY number DESC LIMIT 1").get() as
    { number: number; content_hash: string } | undefined;
  return row === undefined ? undefined : { number: row.number, contentHash: row.content_hash };
}

/** Puts the build's artifacts in the store and describes how the generation boots them. */
export async function storeArtifacts(store: Store, project: Project, system: LoadedSystem): Promise<GenerationEntry[]> {
  const root = project.root;
  const kernel = await store.addEntry("kernel", [{ path: "kernel.elf", from: join(root, paths.kernelElf) }]);
  const entries: GenerationEntry[] = [
    { role: "kernel", name: "kernel", path: kernel.path, bootFile: "kernel.elf", arguments: project.kernelArguments },
  ];
  for (const handler of system.config.handlers) {
    const file = `${handler.name}.module`;
    const module = await store.addEntry(handler.name, [{ path: file, from: join(root, modulePath(handler.name)) }]);
    entries.push({ role: "module", name: handler.name, path: module.path, bootFile: file, arguments: handlerModuleArguments(handler) });
  }
  const initrd = await store.addEntry("initrd", [{ path: "initrd.cpio", from: join(root, initrdArchive) }]);
  entries.push({ role: "module", name: "initrd", path: initrd.path, bootFile: "initrd.cpio", arguments: "initrd" });
  const config = await store.addEntry("system", [{ path: "system.json", content: system.canonicalJson }]);
  entries.push({ role: "config", name: "system", path: config.path });
  return entries;
}

/** The generation the build's artifacts make: recorded when new, else the newest one (nothing written). */
export async function recordBuild(store: Store, project: Project, system: LoadedSystem): Promise<{ generation: Generation; created: boolean }> {
  const entries = await storeArtifacts(store, project, system);
  return recordGeneration(store, entries, { config: system.config, canonicalJson: system.canonicalJson, tools: await generationToolVersions() }, generationDate(project));
}

/**
 * When the generation was made, in milliseconds: SOURCE_DATE_EPOCH when the environment sets
 * it (the reproducible-builds convention: the ISO's menu shows this date, so two builds with
 * the same SOURCE_DATE_EPOCH give the same menu), else now.
 */
export function generationDate(project: Project, environment: NodeJS.ProcessEnv = process.env): number {
  return environment.SOURCE_DATE_EPOCH !== undefined && environment.SOURCE_DATE_EPOCH !== "" ? project.sourceDateEpoch * 1000 : Date.now();
}

/** Whether every entry of the newest generation still hashes to what was recorded. */
async function newestIsIntact(store: Store): Promise<boolean> {
  const newest = newestRecorded(store);
  if (newest === undefined) return false;
  const references = store.metadata.prepare("SELECT entry FROM generation_references WHERE generation = ?").all(newest.number) as Array<{ entry: string }>;
  return (await damagedEntries(store, references.map((row) => row.entry))).size === 0;
}

export const generationStep: Step = {
  name: "generation",
  artifact: `${storeFolder}/`,
  artifactFiles: () => [],
  async plan({ project }) {
    const root = project.root;
    const system = await projectSystem(project);
    const recorded = readGenerationRecord(root);
    if (recorded !== undefined) {
      // A damaged entry in the newest generation (a changed byte, a deleted folder) makes the
      // task run again: storing the build's outputs rewrites exactly the damaged entries.
      const current = existsSync(join(root, storeFolder)) && await withProjectStore(project, async (store) => {
        const newest = newestRecorded(store);
        return newest?.number === recorded.number && newest.contentHash === recorded.contentHash && await newestIsIntact(store);
      });
      if (!current) rmSync(join(root, generationRecord), { force: true });
    }
    return [
      {
        key: "generation",
        inputs: {
          files: [paths.kernelElf, initrdArchive, ...system.config.handlers.map((handler) => modulePath(handler.name))],
          commands: [],
          tools: [],
          values: [system.canonicalJson, project.kernelArguments, ...system.config.handlers.map(handlerModuleArguments)],
        },
        outputs: [generationRecord],
        run: async () => {
          const { generation } = await withProjectStore(project, (store) => recordBuild(store, project, system));
          const record: RecordedGeneration = { number: generation.number, contentHash: generation.contentHash };
          writeFileSync(join(root, generationRecord), `${JSON.stringify(record)}\n`);
        },
      },
    ];
  },
};
