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

/** An Ethernet frame of `bytes` bytes: broadcast, from 52:54:00:00:00:01, IPv4's type, then zeros. */
function frame(bytes: number): Buffer {
  const data = Buffer.alloc(bytes);
  if (bytes >= 14) {
    data.fill(0xff, 0, 6);
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

describe("the network card", () => {
  test("virtio-net: frames from the wire are counted; a short and a long one are dropped and counted by reason", async () => {
    const { server, port, connected } = await wire();
    try {
      const machine = boot({ kernel: images.kernel, initrd, append: "console=serial", memory: "64M",
        nic: `socket,connect=127.0.0.1:${port},model=virtio-net-pci,mac=52:54:00:12:34:56` });
      await machine.waitFor(SHELL_PROMPT, BANNER_TIMEOUT_MILLISECONDS);
      expect(machine.output).toMatch(/net: eth0: virtio-net 00:0\d\.0, MAC 52:54:00:12:34:56\r?\n/);
      const socket = await connected;
      for (const bytes of [60, 60, 10, 1514, 1600, 60, 100]) {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(bytes);
        socket.write(Buffer.concat([length, frame(bytes)]));
      }
      // Five whole frames (60 + 60 + 1514 + 60 + 100 bytes); the 10-byte one is short, the 1,600-byte one long.
      const row = /^eth0\s+virtio-net 00:0\d\.0\s+52:54:00:12:34:56\s+5\s+1794\s+2 \(1\/1\)\s+0\r?$/m;
      let output = "";
      for (let attempt = 0; attempt < 50 && !row.test(output); attempt++) output = await shellCommand(machine, "net");
      expect(output).toMatch(/^NIC\s+DEVICE\s+MAC\s+RX FRAMES\s+RX BYTES\s+DROPPED \(SHORT\/LONG\)\s+TX FRAMES$/m);
      expect(output).toMatch(row);
      expect(await shellCommand(machine, "echo still answering")).toContain("still answering");
    } finally {
      server.close();
    }
  });

  test("QEMU's default NIC, an e1000, is named as not driven; without any NIC, one line", async () => {
    const withDefault = boot({ kernel: images.kernel, initrd, append: "console=serial", memory: "64M" });
    await withDefault.waitFor(SHELL_PROMPT, BANNER_TIMEOUT_MILLISECONDS);
    expect(withDefault.output).toMatch(/net: e1000 00:0\d\.0 is not driven yet; not used\r?\n/);
    const without = boot({ kernel: images.kernel, initrd, append: "console=serial", memory: "64M", nic: "none" });
    await without.waitFor(SHELL_PROMPT, BANNER_TIMEOUT_MILLISECONDS);
    expect(without.output).toMatch(/net: no network card; running without a network\r?\n/);
    expect(await shellCommand(without, "net")).toMatch(/^net: no network card/m);
  });
});
