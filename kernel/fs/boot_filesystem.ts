// The boot filesystem: the initrd GRUB hands over (a cpio archive), mounted read-only at / at boot.
//
// A boot module is the initrd when its image starts with the cpio "newc" magic 070701. A
// malformed archive is refused with the reader's message and the system boots without it.

import { BootInformation } from "../boot/boot_information";
import { LEVEL_ERROR, LEVEL_INFO, line, log } from "../log/log";
import { Filesystem, isArchive, mountArchive } from "./cpio";

let root: Filesystem | null = null;

/** The mounted boot filesystem, or null when there is none. */
export function bootFilesystem(): Filesystem | null {
  return root;
}

/** Mounts the first boot module that is a cpio archive; logs what it found or why it refused it. */
export function bootFilesystemMount(information: BootInformation): void {
  for (let i = 0; i < information.modules.length; i++) {
    const module = information.modules[i];
    const bytes = module.end - module.start;
    if (!isArchive(module.start, bytes)) continue;
    const filesystem = mountArchive(module.start, bytes);
    if (filesystem.error.length > 0) {
      log(LEVEL_ERROR, line.clear().string("boot filesystem: refused: ").string(filesystem.error).string("; booting without it"));
      return;
    }
    root = filesystem;
    const config = filesystem.lookup("/etc/system.toml");
    log(LEVEL_INFO, line.clear().string("boot filesystem: mounted read-only at /, ").decimal(filesystem.entries.length - 1)
      .string(" entries (").size(bytes).string(")").string(config != null ? ", /etc/system.toml present" : ""));
    return;
  }
}
