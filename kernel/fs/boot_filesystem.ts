// The boot filesystem: the initrd GRUB hands over (a cpio archive), mounted read-only at / at boot.
//
// The initrd is the boot module named "initrd" (GRUB's module2 line), the unnamed one QEMU's
// -initrd passes through PVH, or any module starting with the newc magic 070701; handler
// modules (ELF images) never are. What can go wrong, and what then:
//
//   no initrd at all            no boot filesystem                        }
//   empty, not cpio, not newc   refused with the reason: no boot filesystem } a safe system (kernel/config/
//   newc, damaged further on    refused with the reason; the entries read  }  boot_descriptor.ts); its shell
//                               before the damage stay mounted, read-only  }  starts if /bin/shell was read
//
// `bootFilesystemProblem()` says which, for the boot descriptor and for the line kernel/main.ts
// prints when no shell can be started.

import { physicalRead32 } from "../arch/x86_64/machine";
import { BootInformation, BootModule } from "../boot/boot_information";
import { LEVEL_ERROR, LEVEL_INFO, line, log } from "../log/log";
import { Filesystem, isArchive, mountArchive } from "./cpio";

const INITRD_MODULE_NAME = "initrd";
const ELF_MAGIC: u32 = 0x464c457f;

let root: Filesystem | null = null;
let problem = "";

/** The mounted boot filesystem (possibly only the part before damage), or null when there is none. */
export function bootFilesystem(): Filesystem | null {
  return root;
}

/** "" when the initrd mounted whole; otherwise why there is no boot filesystem, or only part of one. */
export function bootFilesystemProblem(): string {
  return problem;
}

/** Whether boot module `module` is the initrd (see the top of this file). */
function isInitrd(module: BootModule): bool {
  const bytes = module.end - module.start;
  if (bytes >= 4 && physicalRead32(module.start) == ELF_MAGIC) return false;
  const name = module.name.split(" ")[0];
  return name == INITRD_MODULE_NAME || name.length == 0 || isArchive(module.start, bytes);
}

/** Mounts the initrd; logs what it found, or why it refused it and what boots instead. */
export function bootFilesystemMount(information: BootInformation): void {
  for (let i = 0; i < information.modules.length; i++) {
    const module = information.modules[i];
    if (!isInitrd(module)) continue;
    const bytes = module.end - module.start;
    const filesystem = mountArchive(module.start, bytes);
    if (filesystem.error.length > 0) {
      problem = filesystem.error;
      const kept = filesystem.entries.length - 1;
      if (kept > 0) root = filesystem;
      const report = line.clear().string("boot filesystem: refused: ").string(filesystem.error);
      if (kept > 0) report.string("; the ").decimal(kept).string(" entries read before the damage are mounted read-only at /");
      else report.string("; booting without a boot filesystem");
      log(LEVEL_ERROR, report);
      return;
    }
    root = filesystem;
    const config = filesystem.lookup("/etc/system.toml");
    log(LEVEL_INFO, line.clear().string("boot filesystem: mounted read-only at /, ").decimal(filesystem.entries.length - 1)
      .string(" entries (").size(bytes).string(")").string(config != null ? ", /etc/system.toml present" : ""));
    return;
  }
  problem = "no initrd: the loader handed over no boot module named 'initrd' nor any cpio archive (QEMU's -initrd passes none for an empty file)";
  log(LEVEL_ERROR, line.clear().string("boot filesystem: ").string(problem).string("; booting without a boot filesystem"));
}
