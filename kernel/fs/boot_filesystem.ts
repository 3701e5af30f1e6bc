// The boot filesystem: the initrd GRUB hands over (a cpio archive), mounted read-only at / at boot.
//
// A boot module is the initrd when its image starts with the cpio "newc" magic 070701. A
// malformed archive is refused with the reader's message and the system boots without it.

import { physicalRead32, physicalRead16 } from "../arch/x86_64/hardware";
import { BootInformation } from "../boot/boot_information";
import { LEVEL_ERROR, LEVEL_INFO, line, log } from "../log/log";
import { Filesystem, mountArchive } from "./cpio";

const NEWC_MAGIC_START: u32 = 0x37303730; // "0707" little-endian
const NEWC_MAGIC_END: u16 = 0x3130; //        "01"

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
    if (bytes < 6 || physicalRead32(module.start) != NEWC_MAGIC_START || physicalRead16(module.start + 4) != NEWC_MAGIC_END) continue;
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
