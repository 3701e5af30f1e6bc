// `optios disk create FILE --size 64M [--label NAME]`: a data disk image (docs/storage.md).
import { resolve } from "node:path";
import { createDataDisk, DEFAULT_LABEL, parseDiskSize } from "../disk.ts";
import { guarded, parseOptions, type Command } from "./command.ts";

const help = `usage: optios disk create FILE [--size SIZE] [--label NAME]

Makes FILE, a raw disk image labelled as an OptiOS data disk, for QEMU
(-drive file=FILE,if=none,id=d,format=raw -device virtio-blk-pci,drive=d) or to write to a
real disk. The kernel uses the one disk with this label, formats a blank disk itself, and
leaves any other disk alone. The image is sparse: it takes no room until written.

options:
  --size SIZE        its size: 64M, 1G, 512MiB… (default 64M, at least 1M)
  --label NAME       its label, 1 to 32 bytes (default "${DEFAULT_LABEL}")
  -h, --help         show this help`;

export const diskCommand: Command = {
  name: "disk",
  summary: "make a data disk image: disk create FILE --size 64M",
  help,
  run: (argv) => guarded("disk", async () => {
    const parsed = parseOptions(argv, { size: { type: "string" }, label: { type: "string" }, help: { type: "boolean", short: "h" } }, help);
    if (parsed === null) return 0;
    const [action, file, ...rest] = parsed.positionals;
    if (action !== "create" || file === undefined || rest.length > 0) throw new Error(`expected: disk create FILE [--size SIZE] [--label NAME]\n${help}`);
    const size = parseDiskSize(parsed.values.size ?? "64M");
    if (size === null) throw new Error(`--size: expected a size such as 64M or 1G, got "${parsed.values.size}"`);
    createDataDisk(resolve(file), size, parsed.values.label ?? DEFAULT_LABEL);
    process.stdout.write(`made ${file}: an OptiOS data disk of ${parsed.values.size ?? "64M"}, label "${parsed.values.label ?? DEFAULT_LABEL}"\n`);
    return 0;
  }),
};
