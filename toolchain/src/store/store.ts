// The content-addressed store: immutable entries written atomically and deduplicated by hard links.
//
// Writing an entry: its files go into a fresh folder under .tmp/ (a file whose content is
// already in the pool is hard-linked from there instead of written), each file and folder
// is fsynced, the entry's hash is computed from its canonical listing, and the folder is
// renamed to ab/cd/<hash>-<name>. rename is atomic, so an entry is either absent or whole;
// a crash leaves only .tmp/ garbage, which the next open removes. New files are linked
// into the pool after the rename, so the pool never holds a file no entry uses.
// One process writes a store at a time: commands open it through withStoreAt (recovery.ts),
// under <store>/.lock, which the build holds for its whole run.
import { randomBytes } from "node:crypto";
import { constants, existsSync } from "node:fs";
import { chmod, copyFile, link, mkdir, open, readdir, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { blake3File, blake3Hex, entryHash, type ListedFile } from "./hash.ts";
import { CRASH_POINTS, crashPoint } from "./crash_point.ts";
import { checkEntryFolder } from "./entry_check.ts";
import { ENTRY_NAME_PATTERN, FILES_FOLDER, METADATA_FILE, TEMPORARY_FOLDER, TRASH_FOLDER, entryRelativePath, isSafeRelativePath, parseEntryPath, poolFilePath } from "./layout.ts";
import { openMetadata, type EntryRow, type MetadataDatabase } from "./metadata.ts";

/** One file to put in an entry: its bytes, or a file on disk to copy. */
export interface EntryFile {
  path: string;
  executable?: boolean;
  content?: Uint8Array | string;
  from?: string;
}

export interface StoredEntry {
  /** "ab/cd/<hash>-<name>", relative to the store root. */
  path: string;
  hash: string;
  name: string;
  size: number;
  /** False when an identical entry was already in the store and nothing was written. */
  written: boolean;
}

export interface WriteHooks {
  /** Called after each file is in the temporary folder; tests use it to crash mid-write. */
  afterFile?(path: string): void | Promise<void>;
}

/** fsync a file or folder by path (a folder's fsync makes its new names durable). */
async function syncPath(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Removes a tree of read-only folders: each folder is made writable first (removing a name
 * needs write permission on its folder), then everything is removed. Files need no chmod.
 */
export async function removeTree(path: string): Promise<void> {
  const makeWritable = async (folder: string): Promise<void> => {
    await chmod(folder, 0o755);
    for (const child of await readdir(folder, { withFileTypes: true })) {
      if (child.isDirectory()) await makeWritable(join(folder, child.name));
    }
  };
  const exists = await makeWritable(path).then(() => true, (error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return false;
    if (error.code === "ENOTDIR") return true;
    throw error;
  });
  if (exists) await rm(path, { recursive: true, force: true });
}

export class Store {
  private constructor(
    readonly root: string,
    readonly metadata: MetadataDatabase,
  ) {}

  /** Opens the store at `root` (creating it), and removes what a crashed write left in .tmp/. */
  static async open(root: string): Promise<Store> {
    for (const folder of [FILES_FOLDER, TEMPORARY_FOLDER, TRASH_FOLDER]) await mkdir(join(root, folder), { recursive: true });
    for (const leftover of await readdir(join(root, TEMPORARY_FOLDER))) await removeTree(join(root, TEMPORARY_FOLDER, leftover));
    return new Store(root, openMetadata(join(root, METADATA_FILE)));
  }

  close(): void {
    this.metadata.close();
  }

  absolutePath(relativePath: string): string {
    return join(this.root, relativePath);
  }

  entry(relativePath: string): EntryRow | undefined {
    return this.metadata.prepare("SELECT * FROM entries WHERE path = ?").get(relativePath) as EntryRow | undefined;
  }

  /**
   * Writes an entry (or finds the identical one already stored) and records it in the metadata.
   * An existing entry is re-hashed first: one whose bytes changed since (a damaged disk, a
   * hostile edit) is moved out and written again from `files`, so a build never reuses it.
   */
  async addEntry(name: string, files: readonly EntryFile[], hooks: WriteHooks = {}): Promise<StoredEntry> {
    this.checkRequest(name, files);
    const hashed = await Promise.all(files.map(async (file) => ({
      path: file.path, executable: file.executable === true,
      hash: file.content !== undefined ? await blake3Hex(file.content) : await blake3File(file.from!),
    })));
    const hash = await entryHash(hashed);
    const relativePath = entryRelativePath(hash, name);
    const final = this.absolutePath(relativePath);
    // An entry named in trash has left the live store though its folder may still be here;
    // gc finishes its phase 2 before any command writes (gc.ts), so this never holds.
    if (this.metadata.prepare("SELECT 1 FROM trash WHERE entry = ?").get(relativePath) !== undefined) {
      throw new Error(`addEntry: ${relativePath} is named in the trash table: gc's phase 2 must finish before the store is written (finishCollection)`);
    }
    if (existsSync(final)) {
      const { problems } = await checkEntryFolder(final, hashed, hash);
      if (problems.length === 0) {
        const sized = await Promise.all(hashed.map(async (file) => ({ ...file, size: (await stat(join(final, file.path))).size })));
        const size = sized.reduce((total, file) => total + file.size, 0);
        this.recordEntry(relativePath, hash, name, size, sized, false);
        return { path: relativePath, hash, name, size, written: false };
      }
      await this.discardDamaged(relativePath, hashed);
    }
    return this.writeEntry(name, files, hashed, relativePath, hooks);
  }

  /** Moves a damaged entry folder out of the store, and unlinks pool files whose bytes no longer match their name. */
  private async discardDamaged(relativePath: string, files: readonly ListedFile[]): Promise<void> {
    const destination = join(this.root, TRASH_FOLDER, `${randomBytes(4).toString("hex")}-damaged`);
    await chmod(this.absolutePath(relativePath), 0o755);
    await rename(this.absolutePath(relativePath), destination);
    await removeTree(destination);
    for (const file of files) await this.dropPoolFileUnlessIntact(file.hash, file.executable);
  }

  private async dropPoolFileUnlessIntact(hash: string, executable: boolean): Promise<void> {
    const pool = poolFilePath(this.root, hash, executable);
    if (existsSync(pool) && (await blake3File(pool)) !== hash) await unlink(pool);
  }

  private async writeEntry(name: string, files: readonly EntryFile[], hashed: readonly ListedFile[], relativePath: string, hooks: WriteHooks): Promise<StoredEntry> {
    const temporary = join(this.root, TEMPORARY_FOLDER, randomBytes(8).toString("hex"));
    const staging = join(temporary, "entry");
    await mkdir(staging, { recursive: true });
    try {
      const listed: Array<ListedFile & { size: number; pooled: boolean }> = [];
      const folders = new Set<string>([staging]);
      for (const [index, file] of files.entries()) {
        const target = join(staging, file.path);
        await mkdir(dirname(target), { recursive: true });
        for (let folder = dirname(target); folder !== staging; folder = dirname(folder)) folders.add(folder);
        listed.push({ ...hashed[index], ...(await this.stageFile(file, hashed[index], target)) });
        await hooks.afterFile?.(file.path);
      }
      const size = listed.reduce((total, file) => total + file.size, 0);
      const final = this.absolutePath(relativePath);
      const deepestFirst = [...folders].sort((left, right) => right.length - left.length);
      for (const folder of deepestFirst) {
        if (folder !== staging) await chmod(folder, 0o555);
        await syncPath(folder);
      }
      await mkdir(dirname(final), { recursive: true });
      // Recorded as pending first: a crash after the rename leaves a tracked entry, one before
      // it a pending row with no folder; the next command settles either (recovery.ts).
      this.recordEntry(relativePath, parseEntryPath(relativePath)!.hash, name, size, listed, true);
      crashPoint(CRASH_POINTS.entryPending);
      const written = await rename(staging, final).then(() => true, (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOTEMPTY" || error.code === "EEXIST") return false;
        throw error;
      });
      if (written) {
        await syncPath(dirname(final));
        await chmod(final, 0o555);
        for (const file of listed.filter((item) => !item.pooled)) await this.addToPool(join(final, file.path), file.hash, file.executable);
      }
      crashPoint(CRASH_POINTS.entryRenamed);
      this.metadata.prepare("DELETE FROM pending_entries WHERE path = ?").run(relativePath);
      return { path: relativePath, hash: parseEntryPath(relativePath)!.hash, name, size, written };
    } finally {
      await removeTree(temporary);
    }
  }

  private checkRequest(name: string, files: readonly EntryFile[]): void {
    if (!ENTRY_NAME_PATTERN.test(name)) throw new Error(`store: entry name '${name}': expected letters, digits, '+', '_', '.', '=' or '-' (not starting with '.' or '-')`);
    const seen = new Set<string>();
    for (const file of files) {
      if (!isSafeRelativePath(file.path)) throw new Error(`store: entry '${name}': file path '${file.path}': expected a relative path without '.' or '..' parts`);
      if (seen.has(file.path)) throw new Error(`store: entry '${name}': file path '${file.path}' is given twice`);
      if ((file.content === undefined) === (file.from === undefined)) throw new Error(`store: entry '${name}': file '${file.path}': expected exactly one of content or from`);
      seen.add(file.path);
    }
  }

  /**
   * Puts one file at `target`: a hard link to the pool when its content is there (and still
   * hashes to its name), else a new durable file.
   */
  private async stageFile(file: EntryFile, listed: ListedFile, target: string): Promise<{ size: number; pooled: boolean }> {
    const { hash, executable } = listed;
    await this.dropPoolFileUnlessIntact(hash, executable);
    const pool = poolFilePath(this.root, hash, executable);
    const pooled = await link(pool, target).then(() => true, () => false);
    if (!pooled) {
      if (file.content !== undefined) await writeFile(target, file.content);
      else await copyFile(file.from!, target);
      await chmod(target, executable ? 0o555 : 0o444);
      await syncPath(target);
    }
    return { size: (await stat(target)).size, pooled };
  }

  /** Links a freshly stored file into the pool; if the pool already has it, the file stays unshared. */
  private async addToPool(path: string, hash: string, executable: boolean): Promise<void> {
    await link(path, poolFilePath(this.root, hash, executable)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  }

  /** Records the entry (unless known); `pending` also marks it as not yet renamed into place. */
  private recordEntry(relativePath: string, hash: string, name: string, size: number, files: readonly (ListedFile & { size: number })[], pending: boolean): void {
    const insertEntry = this.metadata.prepare("INSERT OR IGNORE INTO entries (path, hash, name, size, refcount, created) VALUES (?, ?, ?, ?, 0, ?)");
    const insertFile = this.metadata.prepare("INSERT OR IGNORE INTO entry_files (entry, path, hash, executable, size) VALUES (?, ?, ?, ?, ?)");
    this.metadata.transaction(() => {
      if (pending) this.metadata.prepare("INSERT OR IGNORE INTO pending_entries (path) VALUES (?)").run(relativePath);
      if (insertEntry.run(relativePath, hash, name, size, Date.now()).changes === 0) return;
      for (const file of files) insertFile.run(relativePath, file.path, file.hash, file.executable ? 1 : 0, file.size);
    })();
  }
}
