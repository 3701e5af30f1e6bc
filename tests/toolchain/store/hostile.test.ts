// The store tried as a hostile user would (issue #14): each case runs the real `optios` commands
// in a scratch project root (the repository's build/ copied, so only the generation and iso
// steps run) and checks that nothing damaged reaches an image and every failure says what to do.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScratchBuild } from "../../../toolchain/src/build/scratch.ts";
import { defaultKernelArguments, paths } from "../../../toolchain/src/project.ts";
import type { Generation } from "../../../toolchain/src/store/generations.ts";
import { runOptios, scratchWithOwnCopies, setHostname } from "./helpers.ts";

const SYSTEM = "systems/default/system.toml";
let scratch: ScratchBuild;
let store: string;

function build(root: string, environment?: Record<string, string>) {
  return runOptios(["build", "--root", root, "--system", SYSTEM, "--kernel-arguments", defaultKernelArguments], { environment });
}

async function generations(): Promise<Generation[]> {
  const listed = await runOptios(["generations", "--json", "--store", store]);
  expect(listed.stderr).toBe("");
  return JSON.parse(listed.stdout) as Generation[];
}

async function expectIntact(): Promise<void> {
  const verified = await runOptios(["store", "verify", "--store", store]);
  expect(verified.stdout).toMatch(/intact/);
  expect(verified.status).toBe(0);
}

/** A file's bytes as the ISO holds them. */
function fileOnIso(iso: string, path: string): Buffer {
  const folder = mkdtempSync(join(tmpdir(), "optios-iso-"));
  try {
    execFileSync("xorriso", ["-osirrox", "on", "-indev", iso, "-extract", path, join(folder, "extracted")], { stdio: "ignore" });
    return readFileSync(join(folder, "extracted"));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  scratch = scratchWithOwnCopies(["systems"]);
  store = join(scratch.root, "store");
  const first = await build(scratch.root);
  expect(first.stderr).toBe("");
  expect(first.status).toBe(0);
}, 300_000);

afterAll(() => scratch?.remove());

describe("a store that cannot be fooled", () => {
  it("a changed byte in a stored kernel is named by verify, rewritten by the next build, and never reaches the ISO", async () => {
    const kernel = (await generations())[0].entries.find((entry) => entry.role === "kernel")!;
    const file = join(store, kernel.path, "kernel.elf");
    const bytes = readFileSync(file);
    bytes[1000] ^= 0xff;
    chmodSync(file, 0o644);
    writeFileSync(file, bytes);
    chmodSync(file, 0o444);
    const verified = await runOptios(["store", "verify", "--store", store]);
    expect(verified.status).toBe(1);
    expect(verified.stdout).toContain(`${kernel.path}/kernel.elf: content changed`);

    rmSync(join(scratch.root, paths.iso)); // the iso step must run, as after any real change
    const rebuilt = await build(scratch.root);
    expect(rebuilt.status).toBe(0);
    await expectIntact();
    const built = readFileSync(join(scratch.root, paths.kernelElf));
    expect(readFileSync(file).equals(built)).toBe(true);
    expect(gunzipSync(fileOnIso(join(scratch.root, paths.iso), `/store/${kernel.path}/kernel.elf`)).equals(built)).toBe(true);
  }, 300_000);

  it("an older generation's deleted entry does not break the build: that generation is left off the ISO, by name", async () => {
    setHostname(scratch.root, "second");
    expect((await build(scratch.root)).status).toBe(0);
    const [newest, older] = await generations();
    const onlyOlder = older.entries.find((entry) => !newest.entries.some((other) => other.path === entry.path))!;
    expect(onlyOlder).toBeDefined();
    chmodSync(join(store, onlyOlder.path), 0o755);
    rmSync(join(store, onlyOlder.path), { recursive: true });

    rmSync(join(scratch.root, paths.iso));
    const rebuilt = await build(scratch.root);
    expect(rebuilt.status).toBe(0);
    expect(rebuilt.stderr).toContain(`generation ${older.number}'s entry store/${onlyOlder.path} is damaged (${onlyOlder.path}: missing`);
    expect(rebuilt.stderr).toContain(`generation ${older.number} is left off the ISO`);
    const menu = fileOnIso(join(scratch.root, paths.iso), "/boot/grub/grub.cfg").toString("utf8");
    expect(menu).toContain(`generation ${newest.number} `);
    expect(menu).not.toContain(`generation ${older.number} `);
    // gc removes the broken generation; then the store verifies again.
    expect((await runOptios(["gc", "--keep", "1", "--store", store])).status).toBe(0);
    await expectIntact();
  }, 300_000);

  it("a truncated metadata.db is refused by name with what to do, and `store recover` brings the history back", async () => {
    const before = await generations();
    writeFileSync(join(store, "metadata.db"), "");
    const listed = await runOptios(["generations", "--store", store]);
    expect(listed.status).toBe(1);
    expect(listed.stderr).toContain(`${join(store, "metadata.db")}: empty (0 bytes), but the store holds entries`);
    expect(listed.stderr).toContain(`optios store recover --store ${store}`);
    const refused = await build(scratch.root);
    expect(refused.status).not.toBe(0);
    expect(`${refused.stdout}${refused.stderr}`).toContain("optios store recover");

    const recovered = await runOptios(["store", "recover", "--store", store]);
    expect(recovered.status).toBe(0);
    const numbers = before.map((generation) => generation.number).reverse();
    expect(recovered.stdout).toContain(`generation${numbers.length === 1 ? "" : "s"} ${numbers.join(", ")}`);
    const after = await generations();
    expect(after.map(({ number, contentHash, entries, tools }) => ({ number, contentHash, entries, tools })))
      .toEqual(before.map(({ number, contentHash, entries, tools }) => ({ number, contentHash, entries, tools })));
    await expectIntact();
    expect((await build(scratch.root)).status).toBe(0);
    expect((await generations()).length).toBe(before.length); // nothing changed: no "first generation"
  }, 300_000);

  it("a malformed metadata.db is refused by name, and recovered the same way", async () => {
    const file = join(store, "metadata.db");
    const bytes = readFileSync(file);
    bytes.fill(0x41, 0, 100); // the header: no longer "SQLite format 3"
    writeFileSync(file, bytes);
    const listed = await runOptios(["generations", "--store", store]);
    expect(listed.status).toBe(1);
    expect(listed.stderr).toContain(`${file}: damaged`);
    expect(listed.stderr).toContain("optios store recover");
    expect((await runOptios(["store", "recover", "--store", store])).status).toBe(0);
    await expectIntact();
  }, 300_000);

  it("gc run during builds waits for the store's lock: every build succeeds", async () => {
    for (const hostname of ["third", "fourth"]) {
      setHostname(scratch.root, hostname);
      const building = build(scratch.root);
      const collections = [];
      for (let round = 0; round < 4; round++) collections.push(await runOptios(["gc", "--keep", "1", "--store", store]));
      const built = await building;
      expect(built.stderr.replace(/^ {2}waiting {2}for process \d+ \(a build or gc\) to release .*\n/gm, "")).toBe("");
      expect(built.status).toBe(0);
      for (const collected of collections) expect(collected.status).toBe(0);
    }
    await expectIntact();
  }, 300_000);
});
