// Making the initrd: the system's config staged and packed by the real cpio, listed back with `cpio -t`.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { initrdArchive, initrdStaging, initrdStep, makeInitrd } from "../../toolchain/src/build/initrd.ts";
import { runStep } from "../../toolchain/src/build/step.ts";
import type { Project } from "../../toolchain/src/project.ts";
import { loadSystem } from "../../toolchain/src/system/load.ts";

const BASE = `# shared settings
[system]
version = "1.0"
`;
const SYSTEM = `# the box
include = ["base.toml"]

[system]
hostname = "box"

[foreground]
max = 2
`;

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A project root holding only a system.toml that includes another file. */
function fakeProject(sourceDateEpoch = 1704067200): Project {
  const root = mkdtempSync(join(tmpdir(), "optios-initrd-"));
  roots.push(root);
  mkdirSync(join(root, "system"));
  writeFileSync(join(root, "system", "base.toml"), BASE);
  writeFileSync(join(root, "system", "system.toml"), SYSTEM);
  return { root, version: "0.1.0", kernelMaximumMemoryPages: 16, sourceDateEpoch, systemFile: "system/system.toml", kernelArguments: "" };
}

const load = (project: Project) => loadSystem(join(project.root, project.systemFile), { displayRoot: project.root });
const archivePath = (project: Project) => join(project.root, initrdArchive);

function cpio(project: Project, ...argumentList: string[]): string {
  // -tv prints mtimes in local time; UTC keeps the expected date the same everywhere.
  return execFileSync("cpio", ["--quiet", `--file=${archivePath(project)}`, ...argumentList],
    { cwd: project.root, encoding: "utf8", env: { ...process.env, TZ: "UTC" } });
}

describe("makeInitrd", () => {
  test("packs /etc/system.toml (the top-level file's text) and /etc/system.json (canonical), sorted", async () => {
    const project = fakeProject();
    const system = await load(project);
    expect(await makeInitrd(project, system)).toEqual(["etc", "etc/system.json", "etc/system.toml"]);
    expect(cpio(project, "-it").split("\n").filter(Boolean)).toEqual(["etc", "etc/system.json", "etc/system.toml"]);
    expect(cpio(project, "-i", "--to-stdout", "etc/system.toml")).toBe(SYSTEM);
    const json = cpio(project, "-i", "--to-stdout", "etc/system.json");
    expect(json).toBe(system.canonicalJson);
    expect(JSON.parse(json)).toMatchObject({ system: { hostname: "box", version: "1.0" }, foreground: { max: 2 } });
  });

  test("newc format, owner 0:0, the project's epoch as every mtime, fixed permissions", async () => {
    const project = fakeProject(1_000_000_000);
    await makeInitrd(project, await load(project));
    const archive = readFileSync(archivePath(project));
    expect(archive.subarray(0, 6).toString("latin1")).toBe("070701");
    const listing = cpio(project, "-itv", "--numeric-uid-gid").split("\n").filter(Boolean);
    expect(listing).toHaveLength(3);
    for (const line of listing) expect(line).toMatch(/^[-d]rw[-x]r-[-x]r-[-x] +\d+ 0 +0 .* Sep  9  2001 etc/);
    expect(listing[0]).toMatch(/^drwxr-xr-x/);
    expect(listing[2]).toMatch(/^-rw-r--r--/);
    // mtime is the 7th field (offset 46) of every header: 1_000_000_000 = 0x3B9ACA00.
    expect(archive.subarray(46, 54).toString("latin1").toLowerCase()).toBe("3b9aca00");
  });

  test("the same system gives the same archive byte for byte; stale staging files are dropped", async () => {
    const project = fakeProject();
    const system = await load(project);
    await makeInitrd(project, system);
    const first = readFileSync(archivePath(project));
    writeFileSync(join(project.root, initrdStaging, "stale.txt"), "left over");
    await new Promise((resolveLater) => setTimeout(resolveLater, 1100));
    await makeInitrd(project, system);
    expect(readFileSync(archivePath(project)).equals(first)).toBe(true);
    expect(cpio(project, "-it")).not.toContain("stale");
  });
});

describe("initrdStep", () => {
  test("runs once, is skipped when nothing changed, and reruns when the system changes", async () => {
    const project = fakeProject();
    const context = { project, jobs: 1 };
    expect((await runStep(context, initrdStep)).tasksRun).toBe(1);
    const report = await runStep(context, initrdStep);
    expect(report.tasksRun).toBe(0);
    expect(report.bytes).toBe(readFileSync(archivePath(project)).length);

    // projectSystem caches per path for one build; a fresh project root stands for the next build.
    const changed = fakeProject();
    writeFileSync(join(changed.root, "system", "base.toml"), BASE.replace("1.0", "2.0"));
    expect((await runStep({ project: changed, jobs: 1 }, initrdStep)).tasksRun).toBe(1);
    expect(cpio(changed, "-i", "--to-stdout", "etc/system.json")).toContain('"2.0"');
  });
});
