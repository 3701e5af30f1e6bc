#!/usr/bin/env node
// The `optios` command (package.json "bin", the Makefile): the toolchain, bundled once by esbuild.
//
// Loading the TypeScript sources through tsx costs most of a no-op build's time (Node
// compiles ~70 files on every start). So the first run, and any run after a file under
// toolchain/src or interface/ (the declaration the toolchain imports) changed, bundles toolchain/src/cli.ts into build/toolchain/optios.mjs with
// esbuild (packages stay external: they load from node_modules as usual); every other run
// just imports that file.
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repository = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const sources = join(repository, "toolchain", "src");
const bundle = join(repository, "build", "toolchain", "optios.mjs");

/** The newest modification time of any file below `folder`. */
function newest(folder) {
  let latest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function bundleIsCurrent() {
  try {
    return statSync(bundle).mtimeMs >= Math.max(newest(sources), newest(join(repository, "interface")),
      statSync(join(repository, "package.json")).mtimeMs);
  } catch {
    return false;
  }
}

if (!bundleIsCurrent()) {
  const { build } = await import("esbuild");
  mkdirSync(dirname(bundle), { recursive: true });
  await build({
    entryPoints: [join(sources, "cli.ts")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: "inline",
    logLevel: "error",
  });
}
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
