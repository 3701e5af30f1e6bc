// The network card in QEMU: virtio-net found on PCI, its receive ring fed by a wire this test
// controls (QEMU's socket netdev connects to 127.0.0.1; each frame is a 4-byte big-endian
// length and the frame), every frame counted, and short and long ones dropped and counted by
// reason (docs/network.md). Traffic stays on 127.0.0.1.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { BANNER_TIMEOUT_MILLISECONDS, boot, images, useMachines } from "./harness.ts";
import { shellCommand, SHELL_PROMPT } from "./shell_session.ts";

useMachines();
const directory = mkdtempSync(join(tmpdir(), "optios-net-"));
const initrd = join(directory, "initrd.cpio");
copyFileSync("build/initrd.cpio", initrd);
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** An Ethernet frame of `bytes` bytes: broadcast, from 52:54:00:00:00:01, IPv4's type, then zeros (as much of it as fits). */
function frame(bytes: number): Buffer {
  const data = Buffer.alloc(bytes);
  data.fill(0xff, 0, Math.min(bytes, 6));
  if (bytes >= 14) {
    Buffer.from([0x52, 0x54, 0x00, 0x00, 0x00, 0x01]).copy(data, 6);
    data.writeUInt16BE(0x0800, 12);
  }
  return data;
}

/** A wire on 127.0.0.1: resolves with the server and a promise of the guest's connection. */
async function wire(): Promise<{ server: Server; port: number; connected: Promise<Socket> }> {
  let connect!: (socket: Socket) => void;
  const connected = new Promise<Socket>((resolve) => (connect = resolve));
  const server = createServer((socket) => connect(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port, connected };
}

// The same seven frames (60, 60, 10, 1514, 1600, 60 and 100 bytes) for each model: five whole ones
// (1,794 bytes), a runt and a giant. virtio-net hands every frame over and the driver drops the bad
// two. QEMU's e1000 pads the runt to 60 bytes (a real one would drop it and count it in RUC, which
// the driver adds up) and drops the giant itself, counting it in ROC, which the driver adds up.
const models = [
  { model: "virtio-net-pci", name: "virtio-net", frames: 5, bytes: 1794, short: 1, long: 1 },
  { model: "e1000", name: "e1000", frames: 6, bytes: 1854, short: 0, long: 1 },
];

describe.each(models)("the network card: $name", ({ model, name, frames, bytes, short, long }) => {
  test("frames from the wire are counted; bad ones are dropped and counted by reason", async () => {
    const { server, port, connected } = await wire();
    try {
      const machine = boot({ kernel: images.kernel, initrd, append: "console=serial", memory: "64M",
        nic: `socket,connect=127.0.0.1:${port},model=${model},mac=52:54:00:12:34:56` });
      await machine.waitFor(SHELL_PROMPT, BANNER_TIMEOUT_MILLISECONDS);
      expect(machine.output).toMatch(new RegExp(`net: eth0: ${name} 00:0\\d\\.0, MAC 52:54:00:12:34:56\\r?\\n`));
      const socket = await connected;
      for (const bytes of [60, 60, 10, 1514, 1600, 60, 100]) {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(bytes);
        socket.write(Buffer.concat([length, frame(bytes)]));
      }
      const row = new RegExp(`^eth0\\s+${name} 00:0\\d\\.0\\s+52:54:00:12:34:56\\s+${frames}\\s+${bytes}\\s+${short + long} \\(${short}\\/${long}\\/0\\)\\s+0\\s+0\\s+0\\r?$`, "m");
      // The frames arrive once the link is up (an e1000 autonegotiates for about half a second after its reset).
      let output = "";
      for (const deadline = Date.now() + 20_000; !row.test(output) && Date.now() < deadline;) {
        output = await shellCommand(machine, "net");
        if (!row.test(output)) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(output).toMatch(/^NIC\s+DEVICE\s+MAC\s+RX FRAMES\s+RX BYTES\s+DROPPED \(SHORT\/LONG\/NO ROOM\)\s+TX FRAMES\s+TX BYTES\s+TX RING FULL$/m);
      expect(output).toMatch(row);
      expect(await shellCommand(machine, "echo still answering")).toContain("still answering");
    } finally {
      server.close();
    }
  });

});

describe("without a network card", () => {
  test("one line, and the system runs on", async () => {
    const without = boot({ kernel: images.kernel, initrd, append: "console=serial", memory: "64M", nic: "none" });
    await without.waitFor(SHELL_PROMPT, BANNER_TIMEOUT_MILLISECONDS);
    expect(without.output).toMatch(/net: no network card; running without a network\r?\n/);
    expect(await shellCommand(without, "net")).toMatch(/^net: no network card/m);
  });
});
