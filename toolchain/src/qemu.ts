// QEMU command lines for OptiOS: one place, shared by `optios run`, tests/qemu and the bench.
//
// Always: TCG unless KVM is asked for (the build and CI machines' /dev/kvm cannot run this
// guest: the first SSE instruction fails and QEMU hangs paused), -no-reboot so a triple
// fault ends QEMU instead of looping (unless `reboot`: `optios run`, where the shell's
// reboot should reboot, and tests of warm reboots), and isa-debug-exit at port 0xf4 so the guest can end
// QEMU with status (code << 1) | 1. The serial port is the terminal (mon:stdio: Ctrl-A X
// quits, Ctrl-A C toggles the QEMU monitor).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { paths } from "./project.ts";
import { menuTimeoutSeconds } from "./build/grub_config.ts";
import { ovmfCode, ovmfVariablesTemplate } from "./build/tools.ts";

export interface QemuOptions {
  /** Boot this ELF directly through its PVH note (`-kernel`): fastest, no firmware menu. */
  kernel?: string;
  /** Boot this ISO from a CD drive. */
  iso?: string;
  /** Attach this raw disk image as a hard disk (`-drive file=X,format=raw`: IDE), the ISO written to a disk. */
  drive?: string;
  /**
   * Attach this raw image as a USB stick, read-only: usb-storage on a qemu-xhci controller, the
   * firmware's first boot choice (`optios run --usb`). Not with a data disk on USB (one xHCI controller).
   */
  usbStick?: string;
  /** UEFI firmware (OVMF) instead of SeaBIOS. */
  uefi?: boolean;
  /** Path of the writable OVMF variable store; see prepareUefiVariables. */
  uefiVariables?: string;
  /** Show QEMU's window instead of `-display none`. */
  gui?: boolean;
  accel?: "tcg" | "kvm";
  /** Guest memory as QEMU spells it: "64M", "1G". */
  memory?: string;
  /** Kernel command line; only with `kernel`. */
  append?: string;
  /** A boot filesystem (cpio newc) handed to a kernel booted directly (`-initrd`); only with `kernel`. */
  initrd?: string;
  /** Start the guest's real-time clock at this UTC time ("2020-01-02T03:04:05") instead of the host's. */
  rtcBase?: string;
  /** Let the guest reboot (no -no-reboot): a triple fault then loops instead of ending QEMU. */
  reboot?: boolean;
  /**
   * A raw data disk image, attached as a virtio-blk disk (docs/storage.md), or with `dataDiskBus`
   * as a SATA disk ("ahci"), an NVMe SSD ("nvme"), a USB stick on an xHCI controller ("usb":
   * QEMU puts it on a USB 3 port) or on a USB 2 port behind a USB keyboard ("usb2": the
   * controller without USB 3 ports, the keyboard on port 1). The stick's QEMU id is `stick`.
   */
  dataDisk?: string;
  dataDiskBus?: "virtio" | "ahci" | "nvme" | "usb" | "usb2";
  /** More devices, each a `-device` value as QEMU spells it ("qemu-xhci,id=xhci", "usb-kbd,bus=xhci.0"). */
  devices?: string[];
  /** A file to which QEMU's blklogwrites driver logs the data disk's writes and flushes (dm-log-writes format; tests/qemu/log_writes.ts). */
  dataDiskLog?: string;
  /** A sector of the data disk whose writes fail with an I/O error (QEMU's blkdebug driver): a disk failing mid-write. */
  dataDiskFailingSector?: number;
  /** A `-nic` specification ("none", "user,model=virtio-net-pci", "socket,connect=127.0.0.1:N,model=virtio-net-pci"); QEMU's default NIC without it. */
  nic?: string;
  /** A unix socket QEMU listens on as the guest's COM2, the deploy port (`optios deploy`, docs/upgrade.md). */
  deploySocket?: string;
  /** `optios run`'s forwards from 127.0.0.1 to the guest (with QEMU's user network): host port → guest port. */
  forwards?: { tcp: Array<[number, number]>; udp: Array<[number, number]> };
}

/** `make run`'s default forwards: the status page and UDP echo of the default system (docs/network.md). */
export const defaultForwards = { tcp: [[8080, 80]] as Array<[number, number]>, udp: [[7777, 7]] as Array<[number, number]> };

/** QEMU's user network with a virtio-net card, and each forward from 127.0.0.1 only. */
export function userNetwork(forwards: NonNullable<QemuOptions["forwards"]>, model = "virtio-net-pci"): string {
  const rules = [
    ...forwards.tcp.map(([host, guest]) => `hostfwd=tcp:127.0.0.1:${host}-:${guest}`),
    ...forwards.udp.map(([host, guest]) => `hostfwd=udp:127.0.0.1:${host}-:${guest}`),
  ];
  return ["user", `model=${model}`, ...rules].join(",");
}

export const defaultMemory = "128M";
export const debugExitPort = 0xf4;

/** The argument list for qemu-system-x86_64 (without the program name). */
export function qemuArguments(options: QemuOptions): string[] {
  // A data disk alone is booted by the firmware too: an image from `optios build --data`.
  if (!options.kernel && !options.iso && !options.drive && !options.dataDisk && !options.usbStick) {
    throw new Error("qemuArguments: expected something to boot: kernel, iso, drive or dataDisk");
  }
  if (options.append !== undefined && !options.kernel) {
    throw new Error("qemuArguments: append is only for a kernel booted directly (kernel: ...); GRUB sets the ISO's command line");
  }
  if (options.kernel && options.uefi) {
    throw new Error("qemuArguments: a kernel booted directly (PVH) does not go through firmware; drop uefi or boot the iso");
  }
  const accel = options.accel ?? "tcg";
  if (accel !== "tcg" && accel !== "kvm") throw new Error(`qemuArguments: accel must be "tcg" or "kvm", got "${accel}"`);
  const memory = options.memory ?? defaultMemory;
  if (!/^\d+[KMGT]?$/i.test(memory)) throw new Error(`qemuArguments: memory must look like "128M" or "1G", got "${memory}"`);

  const argumentList = ["-accel", accel, "-m", memory, ...(options.reboot ? [] : ["-no-reboot"])];
  if (!options.gui) argumentList.push("-display", "none");
  argumentList.push("-serial", "mon:stdio");
  if (options.deploySocket !== undefined) argumentList.push("-serial", `unix:${options.deploySocket},server=on,wait=off`);
  if (options.rtcBase !== undefined) argumentList.push("-rtc", `base=${options.rtcBase}`);
  argumentList.push("-device", `isa-debug-exit,iobase=0x${debugExitPort.toString(16)},iosize=0x04`);
  if (options.uefi) {
    argumentList.push(
      "-drive", `if=pflash,format=raw,readonly=on,file=${ovmfCode}`,
      "-drive", `if=pflash,format=raw,file=${options.uefiVariables ?? paths.uefiVariables}`,
    );
  }
  if (options.kernel) argumentList.push("-kernel", options.kernel);
  if (options.append !== undefined) argumentList.push("-append", options.append);
  if (options.initrd !== undefined) {
    if (!options.kernel) throw new Error("qemuArguments: initrd is only for a kernel booted directly (kernel: ...); GRUB loads the ISO's");
    argumentList.push("-initrd", options.initrd);
  }
  if (options.iso) argumentList.push("-cdrom", options.iso);
  if (options.drive) argumentList.push("-drive", `file=${options.drive},format=raw`);
  if (options.usbStick !== undefined) {
    if (options.dataDiskBus === "usb" || options.dataDiskBus === "usb2") {
      throw new Error("qemuArguments: usbStick and a data disk on USB both want the xHCI controller; put the data disk on another bus");
    }
    argumentList.push("-drive", `file=${options.usbStick},if=none,id=boot-stick,format=raw,readonly=on`,
      "-device", "qemu-xhci,id=xhci", "-device", "usb-storage,bus=xhci.0,drive=boot-stick,bootindex=0");
  }
  if (options.nic !== undefined) argumentList.push("-nic", options.nic);
  for (const device of options.devices ?? []) argumentList.push("-device", device);
  if (options.dataDisk !== undefined) {
    // snapshot=off: a data disk keeps what is written to it even under `-snapshot` (tests, the bench).
    const file = options.dataDiskLog !== undefined
      // QEMU's blklogwrites filter: every write and flush the guest makes also goes, in order, to a dm-log-writes log.
      ? `driver=blklogwrites,file.driver=file,file.filename=${options.dataDisk},log.driver=file,log.filename=${options.dataDiskLog}`
      : options.dataDiskFailingSector !== undefined
        // QEMU's blkdebug: every write that touches the sector fails with EIO, as a failing disk's would.
        ? `driver=raw,file.driver=blkdebug,file.image.driver=file,file.image.filename=${options.dataDisk},` +
          `file.inject-error.0.event=pwritev,file.inject-error.0.errno=5,file.inject-error.0.sector=${options.dataDiskFailingSector}`
        : undefined;
    argumentList.push("-drive", file === undefined ? `file=${options.dataDisk},if=none,id=data,format=raw,snapshot=off` : `${file},if=none,id=data,snapshot=off`);
    if (options.dataDiskBus === "ahci") argumentList.push("-device", "ahci,id=ahci", "-device", "ide-hd,drive=data,bus=ahci.0");
    else if (options.dataDiskBus === "nvme") argumentList.push("-device", "nvme,serial=optios-data,drive=data");
    // bootindex: the firmware boots the stick when it is all there is (an image of `optios build --data`).
    else if (options.dataDiskBus === "usb") argumentList.push("-device", "qemu-xhci,id=xhci", "-device", "usb-storage,bus=xhci.0,drive=data,id=stick,bootindex=1");
    else if (options.dataDiskBus === "usb2") {
      argumentList.push("-device", "qemu-xhci,id=xhci,p3=0", "-device", "usb-kbd,bus=xhci.0", "-device", "usb-storage,bus=xhci.0,drive=data,id=stick,bootindex=1");
    }
    else argumentList.push("-device", "virtio-blk-pci,drive=data");
  }
  return argumentList;
}

/**
 * What `optios run` prints before QEMU starts: how to quit, how to switch consoles and, for
 * a boot through GRUB, how to pick a generation on its menu (`menuEntries`: how many
 * generations the ISO lists). Each fact is what this file's command line and the ISO make
 * true: mon:stdio's Ctrl-A keys, the kernel's ESC 1…4 and Alt+F1…F4 (docs/input.md), GRUB's
 * menu on the serial line (iso/grub.cfg.template) and its timeout (grub_config.ts).
 */
export function runHints(options: QemuOptions, menuEntries: number): string[] {
  const hints = [
    "serial   this terminal is the guest's serial console: Ctrl-A X quits QEMU, Ctrl-A C switches to its monitor and back",
    `consoles ESC then 1…4 shows console 1…4 here${options.gui ? "; Alt+F1…F4 in QEMU's window" : " (Alt+F1…F4 on the screen, with GUI=1)"}`,
  ];
  if (options.dataDisk !== undefined) hints.push(`disk     ${options.dataDisk} is the data disk (virtio-blk): the shell's df shows it`);
  if (options.deploySocket !== undefined) {
    hints.push(`deploy   optios deploy NAME… sends new handler versions to this machine over ${options.deploySocket} (docs/upgrade.md)`);
  }
  if (options.forwards !== undefined) {
    for (const [host, guest] of options.forwards.tcp) {
      hints.push(`network  tcp 127.0.0.1:${host} → the guest's port ${guest}${guest === 80 ? ` (the status page: curl http://127.0.0.1:${host}/)` : ""}`);
    }
    for (const [host, guest] of options.forwards.udp) {
      hints.push(`network  udp 127.0.0.1:${host} → the guest's port ${guest}${guest === 7 ? " (UDP echo)" : ""}`);
    }
  }
  if (options.kernel) return hints; // PVH: no firmware, no GRUB
  if (menuEntries > 1) {
    hints.push(`grub     ${menuEntries} generations on the menu, newest first: within ${menuTimeoutSeconds} s press ↓ (or v) to reach an older one, then Enter`);
  } else {
    hints.push("grub     one generation on the menu: GRUB boots it at once (`optios generations`, `optios rollback N` for others)");
  }
  return hints;
}

/**
 * Copies OVMF's pristine variable store to `destination` (build/ovmf_vars.fd by default).
 * Done before every UEFI boot: OVMF records boot entries there, and an entry left by a
 * CD boot makes a later disk boot fall through to network boot.
 */
export function prepareUefiVariables(destination: string = paths.uefiVariables): string {
  mkdirSync(dirname(destination), { recursive: true });
  copyFileSync(ovmfVariablesTemplate, destination);
  return destination;
}
