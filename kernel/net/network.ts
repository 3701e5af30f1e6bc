// The network: the NICs found at boot and what arrived on them (the shell's `net`; docs/network.md).
//
// At boot every virtio-net function (virtio_net.ts) and Intel 8254x (e1000.ts, QEMU's default
// NIC on `-M pc`) is set up. A NIC that is absent or fails is one log line, and the system
// runs on without it. The interrupt only acknowledges; the kernel loop takes
// the frames (networkService). The TCP/IP stack that will consume them is #10's next part.

import { picVector } from "../arch/x86_64/pic8259";
import { pciDevices } from "../arch/x86_64/pci";
import { VIRTIO_VENDOR } from "../arch/x86_64/virtio";
import { Text } from "../console/text";
import { LEVEL_INFO, LEVEL_WARNING, line, log } from "../log/log";
import { E1000, E1000_IDS, INTEL_VENDOR } from "./e1000";
import { NetworkCard } from "./network_card";
import { VIRTIO_NET_ID, VIRTIO_NET_MODERN_ID, VirtioNet } from "./virtio_net";

const nics = new Array<NetworkCard>();
const seen = new Array<string>();

/** Sets every virtio-net NIC up; logs each NIC found, or that there is none. */
export function networkInitialize(): void {
  const devices = pciDevices();
  for (let i = 0; i < devices.length; i++) {
    const pci = devices[i];
    const why = new StaticArray<string>(1);
    let kind = "";
    let nic: NetworkCard | null = null;
    if (pci.vendor == VIRTIO_VENDOR && (pci.device == VIRTIO_NET_ID || pci.device == VIRTIO_NET_MODERN_ID)) {
      kind = "virtio-net";
      nic = VirtioNet.open(pci, why);
    } else if (pci.vendor == INTEL_VENDOR && E1000_IDS.includes(pci.device)) {
      kind = "e1000";
      nic = E1000.open(pci, why);
    } else continue;
    if (nic == null) note(LEVEL_WARNING, line.clear().string(kind).string(" ").string(pci.location).string(" not used: ").string(why[0]));
    else {
      nics.push(nic);
      note(LEVEL_INFO, line.clear().string("eth").decimal(nics.length - 1).string(": ").string(nic.name).string(", MAC ").text(mac(nic)));
    }
  }
  if (seen.length == 0) note(LEVEL_INFO, line.clear().string("no network card; running without a network"));
}

const macText = new Text(32);

function mac(nic: NetworkCard): Text {
  macText.clear();
  for (let i = 0; i < 6; i++) {
    if (i > 0) macText.char(0x3a);
    macText.hex(nic.mac[i], 2);
  }
  return macText;
}

const noted = new Text();

function note(level: u8, text: Text): void {
  seen.push(String.UTF8.decodeUnsafe(text.pointer, text.length));
  log(level, noted.clear().string("net: ").text(text));
}

/** A PCI interrupt on `vector`: each NIC on that line acknowledges its own (the caller sends the EOI). */
export function networkInterrupt(vector: u32): void {
  for (let i = 0; i < nics.length; i++) if (picVector(nics[i].interruptLine) == vector) nics[i].interrupt();
}

export function isNetworkVector(vector: u32): bool {
  for (let i = 0; i < nics.length; i++) if (picVector(nics[i].interruptLine) == vector) return true;
  return false;
}

/** The kernel loop: takes what the NICs received and sent; how many frames. */
export function networkService(): i32 {
  let taken = 0;
  for (let i = 0; i < nics.length; i++) taken += nics[i].service();
  return taken;
}

/** Whether a NIC has frames waiting for networkService. */
export function networkPending(): bool {
  for (let i = 0; i < nics.length; i++) if (nics[i].pending) return true;
  return false;
}

/** Writes the `net` report, a line at a time, through `emit`. */
export function networkReport(out: Text, emit: (text: Text) => void): void {
  emit(out.clear().string("NIC   DEVICE              MAC                RX FRAMES   RX BYTES      DROPPED (SHORT/LONG)  TX FRAMES"));
  for (let i = 0; i < nics.length; i++) {
    const nic = nics[i];
    out.clear().string("eth").decimal(i).padTo(6).column(nic.name, 26).text(mac(nic)).padTo(45).decimal(nic.framesReceived).padTo(57)
      .decimal(nic.bytesReceived).padTo(71).decimal(nic.droppedTruncated + nic.droppedOversize).string(" (").decimal(nic.droppedTruncated)
      .string("/").decimal(nic.droppedOversize).string(")").padTo(93).decimal(nic.framesSent);
    emit(out);
  }
  for (let i = 0; i < seen.length; i++) emit(out.clear().string("net: ").string(seen[i]));
}
