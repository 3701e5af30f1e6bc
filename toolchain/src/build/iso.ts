// Step "iso": build/optios.iso, bootable by BIOS and UEFI from CD and as a raw disk or USB stick.
//
// Assembled by hand instead of with grub-mkrescue, which always makes a 2.88 MB FAT image
// for the EFI partition; sizing the FAT image to the one file it holds keeps the ISO small.
// Layout of build/iso-root/, rebuilt from scratch each time so no stale file survives:
//   boot/<hash>.optios           empty marker that early.cfg searches for
//   boot/grub/grub.cfg           the menu: one entry per kept generation (iso/grub.cfg.template)
//   boot/grub/bios.img           El Torito BIOS boot image
//   store/ab/cd/<hash>-<name>/   every store entry a listed generation references (kernel,
//                                handler modules, config), at the paths the menu names
//   efi.img                      FAT image holding EFI/BOOT/BOOTX64.EFI (El Torito + GPT)
// An entry shared by several generations (an unchanged kernel) is one folder, so once on the ISO.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { paths } from "../project.ts";
import type { Generation } from "../store/generations.ts";
import { listGenerations } from "../store/generations.ts";
import { renderGenerationMenu } from "../store/grub_menu.ts";
import type { Store } from "../store/store.ts";
import { markerName, menuTemplate, readTemplate, renderMenuConfig } from "./grub_config.ts";
import { storeFolder, withProjectStore } from "./generation.ts";
import { modulePath, projectSystem } from "./handlers.ts";
import { BuildError, runStepCommand } from "./process.ts";
import { damagedEntries } from "../store/verify.ts";
import { blake3Hex } from "../store/hash.ts";
import type { Step } from "./step.ts";
import { hybridBootRecord, toolVersion } from "./tools.ts";

const efiImage = "efi.img";
/** FAT volume serial number, fixed for reproducible images ("OPTI"). */
const volumeSerial = "4f505449";

/** 512-byte sectors for the FAT image: twice the EFI application's KiB plus 64 KiB of slack. */
export function efiImageSectors(efiApplicationBytes: number): number {
  return 2 * (Math.ceil(efiApplicationBytes / 1024) + 64);
}

/** YYYYMMDDhhmmsscc in UTC, the timestamp format xorriso takes. */
export function xorrisoTimestamp(epochSeconds: number): string {
  const iso = new Date(epochSeconds * 1000).toISOString(); // 2024-01-01T00:00:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}00`;
}

export function isoCommands(efiApplicationBytes: number, epochSeconds: number): string[][] {
  const image = join(paths.isoRoot, efiImage);
  return [
    ["mformat", "-N", volumeSerial, "-C", "-T", String(efiImageSectors(efiApplicationBytes)), "-h", "1", "-s", "32", "-i", image, "::"],
    ["mmd", "-i", image, "::/EFI", "::/EFI/BOOT"],
    ["mcopy", "-i", image, paths.efiApplication, "::/EFI/BOOT/BOOTX64.EFI"],
    [
      "xorriso", "-as", "mkisofs", "-quiet", "-graft-points",
      "--set_all_file_dates", xorrisoTimestamp(epochSeconds),
      "-b", "boot/grub/bios.img", "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
      "--grub2-boot-info", "--grub2-mbr", hybridBootRecord,
      "--efi-boot", efiImage, "-efi-boot-part", "--efi-boot-image", "--protective-msdos-label",
      "-o", paths.iso, "-r", paths.isoRoot,
    ],
  ];
}

/**
 * The ISO's size budget: older generations are left off the menu beyond it. 3 MiB since the
 * network stack (lwIP, ~200 KiB a module, ~75 KiB gzipped) joined the default system: at 2 MiB a
 * rebuild after one change no longer kept the generation before it on the menu (docs/build.md).
 */
export const ISO_BUDGET_BYTES = 3 * 1024 * 1024;

/** The menu and the store files for a list of generations. */
function menuFor(root: string, kernelArguments: string, store: Store, listed: readonly Generation[]): { menuConfig: string; storeFiles: StoreFile[] } {
  const menu = renderGenerationMenu({ generations: [...listed], kernelArguments });
  return {
    menuConfig: renderMenuConfig(readTemplate(root, menuTemplate), menu, listed.length),
    storeFiles: referencedFiles(store, listed),
  };
}

/** The list without its oldest generation that is neither the newest nor the default; unchanged if there is none. */
export function withoutOldestDroppable(listed: readonly Generation[]): Generation[] {
  const newest = Math.max(...listed.map((generation) => generation.number));
  const candidates = listed.filter((generation) => !generation.isDefault && generation.number !== newest);
  if (candidates.length === 0) return [...listed];
  const oldest = candidates.reduce((left, right) => (right.number < left.number ? right : left));
  return listed.filter((generation) => generation !== oldest);
}

/** The generations the menu lists: the newest `keep`, plus the default one if it is older. */
export function menuGenerations(generations: readonly Generation[], keep: number): Generation[] {
  const newestFirst = [...generations].sort((left, right) => right.number - left.number);
  const listed = newestFirst.slice(0, keep);
  const chosen = newestFirst.find((generation) => generation.isDefault);
  if (chosen !== undefined && !listed.includes(chosen)) listed.push(chosen);
  return listed;
}

/** A store file going onto the ISO: its path there (= in the store), size and recorded BLAKE3. */
interface StoreFile {
  path: string;
  size: number;
  hash: string;
}

/** Each store file the listed generations reference. */
export function referencedFiles(store: Store, generations: readonly Generation[]): StoreFile[] {
  const entries = new Set(generations.flatMap((generation) => generation.entries.map((entry) => entry.path)));
  const files = store.metadata.prepare("SELECT path, size, hash FROM entry_files WHERE entry = ? ORDER BY path");
  return [...entries].sort().flatMap((entry) => {
    const rows = files.all(entry) as StoreFile[];
    if (rows.length === 0) throw new Error(`store: generation entry ${entry} has no recorded files; run \`optios store verify\``);
    return rows.map((row) => ({ path: `${entry}/${row.path}`, size: row.size, hash: row.hash }));
  });
}

/**
 * The generations whose every entry is intact (re-hashed now): only verified bytes go into
 * an image. An older generation with a damaged or missing entry is left off the menu, named
 * on stderr; the build never depends on it. A damaged newest or default generation fails
 * the build by name (the generation step has already rewritten what this build produced).
 */
export async function intactGenerations(store: Store, listed: readonly Generation[]): Promise<Generation[]> {
  const damaged = await damagedEntries(store, listed.flatMap((generation) => generation.entries.map((entry) => entry.path)));
  const newest = Math.max(...listed.map((generation) => generation.number));
  const kept: Generation[] = [];
  for (const generation of listed) {
    const broken = generation.entries.find((entry) => damaged.has(entry.path));
    if (broken === undefined) {
      kept.push(generation);
      continue;
    }
    const what = `generation ${generation.number}'s entry ${storeFolder}/${broken.path} is damaged (${damaged.get(broken.path)})`;
    if (generation.number === newest || generation.isDefault) {
      throw new BuildError("iso", `${what}; it cannot go into the ISO. Rebuild it (\`optios build\` rewrites the newest generation's entries), ` +
        "or roll back to another generation (`optios rollback N`); `optios store verify` lists every damaged entry");
    }
    process.stderr.write(`  iso: ${what}; generation ${generation.number} is left off the ISO (\`optios gc\` removes it)\n`);
  }
  return kept;
}

/**
 * `bytes` gzipped at level 9, kept in build/cache/gzip/<BLAKE3>.gz: an unchanged kernel is
 * not compressed again on every build (about 50 ms here). A kept file is used only if it
 * unpacks to bytes with that hash, so a damaged cache can never put other bytes on the ISO.
 */
async function gzipped(root: string, bytes: Buffer, hash: string): Promise<Buffer> {
  const kept = join(root, paths.build, "cache", "gzip", `${hash}.gz`);
  if (existsSync(kept)) {
    const packed = readFileSync(kept);
    const intact = await (async () => (await blake3Hex(gunzipSync(packed))) === hash)().catch(() => false);
    if (intact) return packed;
  }
  const packed = gzipSync(bytes, { level: 9 });
  mkdirSync(dirname(kept), { recursive: true });
  writeFileSync(`${kept}.${process.pid}`, packed);
  renameSync(`${kept}.${process.pid}`, kept);
  return packed;
}

export const isoStep: Step = {
  name: "iso",
  artifact: paths.iso,
  async plan({ project }) {
    const root = project.root;
    const kernelImage = readFileSync(join(root, paths.kernelElf));
    const marker = markerName(kernelImage);
    const system = await projectSystem(project);
    const handlers = system.config.handlers;
    const { listed, menuConfig, storeFiles } = await withProjectStore(project, async (store) => {
      const all = await intactGenerations(store, menuGenerations(listGenerations(store), system.config.system.keepGenerations));
      return { listed: all, ...menuFor(root, project.kernelArguments, store, all) };
    });
    const commands = isoCommands(statSync(join(root, paths.efiApplication)).size, project.sourceDateEpoch);
    // mtools and xorriso take their timestamps from SOURCE_DATE_EPOCH: same inputs, same ISO.
    const environment = { ...process.env, SOURCE_DATE_EPOCH: String(project.sourceDateEpoch) };
    const assemble = async (config: string, files: StoreFile[]): Promise<number> => {
      const stage = join(root, paths.isoRoot);
      rmSync(stage, { recursive: true, force: true });
      rmSync(join(root, paths.iso), { force: true });
      mkdirSync(join(stage, "boot", "grub"), { recursive: true });
      writeFileSync(join(stage, "boot", marker), "");
      writeFileSync(join(stage, "boot", "grub", "grub.cfg"), config);
      copyFileSync(join(root, paths.biosImage), join(stage, "boot", "grub", "bios.img"));
      // Only entries a listed generation references: gc may delete any other at any time.
      // Gzipped: GRUB's gzio (embedded in both images) unpacks multiboot2 kernels and
      // module2 files as it loads them, so a menu of several generations still fits.
      // The bytes are hashed again as they are read: what goes into the image is what was recorded.
      for (const file of files) {
        const bytes = readFileSync(join(root, storeFolder, file.path));
        const hash = await blake3Hex(bytes);
        if (hash !== file.hash) throw new BuildError("iso", `${storeFolder}/${file.path}: content changed while building (hash ${hash}, expected ${file.hash}); run the build again`);
        mkdirSync(dirname(join(stage, storeFolder, file.path)), { recursive: true });
        writeFileSync(join(stage, storeFolder, file.path), await gzipped(root, bytes, hash));
      }
      for (const command of commands) await runStepCommand("iso", command, { cwd: root, environment });
      return statSync(join(root, paths.iso)).size;
    };
    return [
      {
        key: "iso",
        inputs: {
          files: [paths.kernelElf, paths.biosImage, paths.efiApplication, hybridBootRecord, join(paths.isoTemplates, menuTemplate),
            ...handlers.map((handler) => modulePath(handler.name))],
          commands,
          tools: [`mtools ${await toolVersion("mformat")}`, `xorriso ${await toolVersion("xorriso")}`],
          values: [menuConfig, `SOURCE_DATE_EPOCH=${project.sourceDateEpoch}`, `budget=${ISO_BUDGET_BYTES}`],
        },
        outputs: [paths.iso],
        run: async () => {
          // Over budget: leave the oldest generations off the ISO (they stay in the store, and
          // `optios rollback` still reaches them), never the newest or the default one.
          let kept = listed;
          let size = await assemble(menuConfig, storeFiles);
          while (size > ISO_BUDGET_BYTES) {
            const fewer = withoutOldestDroppable(kept);
            if (fewer.length === kept.length) break;
            kept = fewer;
            const smaller = await withProjectStore(project, (store) => menuFor(root, project.kernelArguments, store, kept));
            size = await assemble(smaller.menuConfig, smaller.storeFiles);
          }
          if (kept.length < listed.length) {
            const left = listed.filter((generation) => !kept.includes(generation)).map((generation) => generation.number);
            process.stderr.write(`  iso: generation${left.length > 1 ? "s" : ""} ${left.join(", ")} left off the ISO to keep it ` +
              `within ${ISO_BUDGET_BYTES / 1048576} MiB; still in the store (optios generations)\n`);
          }
        },
      },
    ];
  },
};
