// QEMU command lines for each way of booting OptiOS.
import { describe, expect, test } from "vitest";
import { qemuArguments, runHints } from "../../toolchain/src/qemu.ts";
import { menuTimeoutSeconds } from "../../toolchain/src/build/grub_config.ts";

/** The value following `flag`, for flags that take one. */
function valuesOf(argumentList: string[], flag: string): string[] {
  return argumentList.flatMap((argument, index) => (argument === flag ? [argumentList[index + 1]] : []));
}

describe("qemuArguments", () => {
  test("an ISO boots from CD under TCG, headless, with the serial port on stdio and isa-debug-exit", () => {
    const argumentList = qemuArguments({ iso: "build/optios.iso" });
    expect(valuesOf(argumentList, "-accel")).toEqual(["tcg"]);
    expect(valuesOf(argumentList, "-cdrom")).toEqual(["build/optios.iso"]);
    expect(valuesOf(argumentList, "-display")).toEqual(["none"]);
    expect(valuesOf(argumentList, "-serial")).toEqual(["mon:stdio"]);
    expect(valuesOf(argumentList, "-device")).toEqual(["isa-debug-exit,iobase=0xf4,iosize=0x04"]);
    expect(valuesOf(argumentList, "-m")).toEqual(["128M"]);
    expect(argumentList).toContain("-no-reboot");
    expect(argumentList).not.toContain("-kernel");
    expect(argumentList.join(" ")).not.toContain("pflash");
  });

  test("a data disk is a virtio-blk disk that keeps its writes even under -snapshot; the deploy port is COM2 on a unix socket", () => {
    const argumentList = qemuArguments({ iso: "x.iso", dataDisk: "build/data.img", deploySocket: "build/deploy.sock" });
    expect(valuesOf(argumentList, "-drive")).toEqual(["file=build/data.img,if=none,id=data,format=raw,snapshot=off"]);
    expect(valuesOf(argumentList, "-device")).toContain("virtio-blk-pci,drive=data");
    expect(valuesOf(argumentList, "-serial")).toEqual(["mon:stdio", "unix:build/deploy.sock,server=on,wait=off"]); // COM1, then COM2
    const sata = qemuArguments({ iso: "x.iso", dataDisk: "d.img", dataDiskBus: "ahci" });
    expect(valuesOf(sata, "-device")).toEqual(expect.arrayContaining(["ahci,id=ahci", "ide-hd,drive=data,bus=ahci.0"]));
    expect(valuesOf(sata, "-device")).not.toContain("virtio-blk-pci,drive=data");
  });

  test("reboot lets the guest reboot (no -no-reboot), for the shell's reboot under optios run", () => {
    expect(qemuArguments({ iso: "x.iso", reboot: true })).not.toContain("-no-reboot");
    expect(qemuArguments({ iso: "x.iso", reboot: false })).toContain("-no-reboot");
  });

  test("uefi adds OVMF's code read-only and a writable variable store as pflash drives", () => {
    const argumentList = qemuArguments({ iso: "x.iso", uefi: true, uefiVariables: "/tmp/vars.fd" });
    expect(valuesOf(argumentList, "-drive")).toEqual([
      "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
      "if=pflash,format=raw,file=/tmp/vars.fd",
    ]);
    expect(valuesOf(qemuArguments({ iso: "x.iso", uefi: true }), "-drive")[1]).toBe("if=pflash,format=raw,file=build/ovmf_vars.fd");
  });

  test("gui drops -display none but keeps the serial console", () => {
    const argumentList = qemuArguments({ iso: "x.iso", gui: true });
    expect(argumentList).not.toContain("-display");
    expect(valuesOf(argumentList, "-serial")).toEqual(["mon:stdio"]);
  });

  test("kvm only when asked for", () => {
    expect(valuesOf(qemuArguments({ iso: "x.iso", accel: "kvm" }), "-accel")).toEqual(["kvm"]);
    for (const options of [{ iso: "x.iso" }, { kernel: "k.elf" }, { drive: "d.img", uefi: true }]) {
      expect(qemuArguments(options).join(" ")).not.toContain("kvm");
    }
    expect(() => qemuArguments({ iso: "x.iso", accel: "hvf" as "kvm" })).toThrow('accel must be "tcg" or "kvm"');
  });

  test("a PVH kernel boots with -kernel and -append; isa-debug-exit stays on", () => {
    const argumentList = qemuArguments({ kernel: "build/kernel.elf", append: "console=serial test=selftest", memory: "64M" });
    expect(valuesOf(argumentList, "-kernel")).toEqual(["build/kernel.elf"]);
    expect(valuesOf(argumentList, "-append")).toEqual(["console=serial test=selftest"]);
    expect(valuesOf(argumentList, "-m")).toEqual(["64M"]);
    expect(valuesOf(argumentList, "-device")).toEqual(["isa-debug-exit,iobase=0xf4,iosize=0x04"]);
  });

  test("a raw drive attaches the image as a hard disk", () => {
    const argumentList = qemuArguments({ drive: "build/optios.iso" });
    expect(valuesOf(argumentList, "-drive")).toEqual(["file=build/optios.iso,format=raw"]);
    expect(argumentList).not.toContain("-cdrom");
  });

  test("a USB stick is the image read-only on usb-storage behind an xHCI controller, booted first; not beside a data disk on USB", () => {
    const argumentList = qemuArguments({ usbStick: "build/optios.iso", dataDisk: "build/data.img" });
    expect(valuesOf(argumentList, "-drive")).toEqual(["file=build/optios.iso,if=none,id=boot-stick,format=raw,readonly=on",
      "file=build/data.img,if=none,id=data,format=raw,snapshot=off"]);
    expect(valuesOf(argumentList, "-device")).toEqual(expect.arrayContaining(["qemu-xhci,id=xhci", "usb-storage,bus=xhci.0,drive=boot-stick,bootindex=0",
      "virtio-blk-pci,drive=data"]));
    expect(argumentList).not.toContain("-cdrom");
    expect(() => qemuArguments({ usbStick: "x.iso", dataDisk: "d.img", dataDiskBus: "usb" })).toThrow("both want the xHCI controller");
  });

  test("refuses combinations QEMU would reject or silently ignore", () => {
    expect(() => qemuArguments({})).toThrow("expected something to boot");
    expect(() => qemuArguments({ iso: "x.iso", append: "a" })).toThrow("append is only for a kernel");
    expect(() => qemuArguments({ kernel: "k.elf", uefi: true })).toThrow("does not go through firmware");
    expect(() => qemuArguments({ iso: "x.iso", memory: "lots" })).toThrow('memory must look like "128M"');
  });
});

describe("runHints", () => {
  test("say how to quit (mon:stdio's Ctrl-A X) and switch consoles, true of the command line they come with", () => {
    const hints = runHints({ iso: "x.iso" }, 1).join("\n");
    expect(valuesOf(qemuArguments({ iso: "x.iso" }), "-serial")).toEqual(["mon:stdio"]); // what makes Ctrl-A X quit
    expect(hints).toContain("Ctrl-A X quits QEMU");
    expect(hints).toContain("ESC then 1…4");
    expect(hints).toContain("Alt+F1…F4 on the screen, with GUI=1");
    expect(runHints({ iso: "x.iso", gui: true }, 1).join("\n")).toContain("Alt+F1…F4 in QEMU's window");
  });

  test("with several generations say how to pick one on GRUB's menu, and within how long", () => {
    const grub = runHints({ iso: "x.iso" }, 3).at(-1)!;
    expect(grub).toContain("3 generations on the menu");
    expect(grub).toContain(`within ${menuTimeoutSeconds} s press ↓ (or v)`);
    expect(runHints({ iso: "x.iso" }, 1).at(-1)).toContain("GRUB boots it at once");
  });

  test("a PVH boot has no GRUB menu to mention", () => {
    expect(runHints({ kernel: "k.elf" }, 3).join("\n")).not.toContain("grub");
  });
});
