// Step "gcc": boot/*.c, boot/*.S and the translated kernel compiled to build/obj/*.o.
//
// Flags, and why (docs/build.md has the long form):
//   -ffreestanding -nostdinc -isystem boot/include   no host libc; boot/include has the few
//                                                    headers wasm2c's output includes
//   -fno-pic -fno-pie -mcmodel=small                 linked at 1 MiB, identity-mapped, so all
//                                                    symbols sit below 2 GiB
//   -mno-red-zone                                    interrupts arrive on the same stack
//   -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0              keep wasm bounds and call-depth checks;
//                                                    the 64-bit default assumes guard pages
//   -DRUNTIME_ARENA_BYTES=<n>                        the wasm runtime's fixed memory arena
//   -Wa,--noexecstack                                no executable-stack note (ld warns)
//   -falign-functions=1                              wasm2c's ~600 functions unpadded: 4.8 KiB of
//                                                    the kernel; loops stay aligned
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { paths, runtimeArenaBytes, type Project } from "../project.ts";
import { listSources } from "./asc.ts";
import { BuildError, runStepCommand } from "./process.ts";
import type { Step, Task } from "./step.ts";
import { toolVersion } from "./tools.ts";

const warningFlags = [
  "-Wall",
  "-Wno-unused-value",
  "-Wno-unused-parameter",
  "-Wno-unused-function",
  "-Wno-unused-variable",
  "-Wno-unused-but-set-variable",
];

/** The flags every object is compiled with, C and assembly alike. */
export function compilerFlags(project: Project): string[] {
  return [
    "-O2",
    "-std=gnu11",
    "-ffreestanding",
    "-nostdinc",
    "-isystem",
    paths.bootIncludes,
    `-I${paths.bootSources}`,
    `-I${paths.kernelBuild}`,
    "-fno-pic",
    "-fno-pie",
    "-mno-red-zone",
    "-mcmodel=small",
    "-fno-stack-protector",
    "-fno-asynchronous-unwind-tables",
    "-fno-omit-frame-pointer",
    "-falign-functions=1",
    ...warningFlags,
    "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0",
    `-DRUNTIME_ARENA_BYTES=${runtimeArenaBytes(project)}`,
    "-Wa,--noexecstack",
  ];
}

/** The sources that become objects: boot/*.c, boot/*.S, then the translated kernel. */
export function compilationUnits(root: string): string[] {
  const boot = readdirSync(join(root, paths.bootSources))
    .filter((name) => name.endsWith(".c") || name.endsWith(".S"))
    .sort()
    .map((name) => join(paths.bootSources, name));
  return [...boot, paths.kernelC];
}

/** build/obj/<file name>.o, keeping the extension so entry.S and entry.c cannot collide. */
export function objectPath(source: string): string {
  return join(paths.objects, `${basename(source)}.o`);
}

export function objectPaths(root: string): string[] {
  return compilationUnits(root).map(objectPath);
}

export const gccStep: Step = {
  name: "gcc",
  artifact: `${paths.objects}/*.o`,
  artifactFiles: ({ project }) => objectPaths(project.root),
  async plan({ project }) {
    const root = project.root;
    const units = compilationUnits(root);
    checkDistinctObjects(units);
    removeStaleObjects(root, new Set(units.map(objectPath)));
    // Coarse but safe: every header any unit might include is an input of every object.
    const headers = [
      ...listSources(root, paths.bootSources, ".h"),
      paths.kernelHeader,
      paths.runtimeHeader,
    ];
    const version = `gcc ${await toolVersion("gcc")}`;
    const flags = compilerFlags(project);
    return units.map((source): Task => {
      const object = objectPath(source);
      const command = ["gcc", ...flags, "-c", source, "-o", object];
      return {
        key: `gcc-${basename(source)}`,
        cached: true,
        inputs: { files: [source, ...headers], commands: [command], tools: [version] },
        outputs: [object],
        run: async () => {
          mkdirSync(join(root, paths.objects), { recursive: true });
          await runStepCommand("gcc", command, { cwd: root });
        },
      };
    });
  },
};

function checkDistinctObjects(units: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const unit of units) {
    const object = objectPath(unit);
    const other = seen.get(object);
    if (other) throw new BuildError("gcc", `${other} and ${unit} would both compile to ${object}; rename one`);
    seen.set(object, unit);
  }
}

/** Objects left from deleted sources would otherwise linger in build/obj/. */
function removeStaleObjects(root: string, expected: ReadonlySet<string>): void {
  let names: string[];
  try {
    names = readdirSync(join(root, paths.objects));
  } catch {
    return;
  }
  for (const name of names) {
    const object = join(paths.objects, name);
    if (name.endsWith(".o") && !expected.has(object)) rmSync(join(root, object), { force: true });
  }
}
