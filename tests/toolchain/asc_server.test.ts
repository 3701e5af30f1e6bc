// The warm asc server gives the bytes and messages the asc command gives, and the kernel's
// compile after a handler's is not changed by the handler's --lib (asc keeps those in a shared table).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ascProgram } from "../../toolchain/src/build/asc.ts";
import { runAsc } from "../../toolchain/src/build/asc_server.ts";
import { ascCommand } from "../../toolchain/src/build/handlers.ts";
import { runCommand } from "../../toolchain/src/build/process.ts";
import { paths, toolchainRepository } from "../../toolchain/src/project.ts";

const folder = mkdtempSync(join(tmpdir(), "optios-asc-server-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const root = toolchainRepository;

describe("the warm asc server", () => {
  it("compiles a handler, then the kernel, to the same bytes as the asc command", async () => {
    const handler = (output: string) => ascCommand(root, "handlers/heartbeat/handler.ts", output, 1 << 20);
    const kernel = (output: string) => [ascProgram(root), paths.kernelEntry, "--config", paths.asconfig, "--target", "kernel", "--outFile", output];
    for (const command of [handler, kernel]) {
      const served = join(folder, "served.wasm");
      const spawned = join(folder, "spawned.wasm");
      const fromServer = await runAsc(command(served), root);
      expect(fromServer.stderr).toBe("");
      expect(fromServer.status).toBe(0);
      expect((await runCommand(command(spawned), { cwd: root })).status).toBe(0);
      expect(readFileSync(served).equals(readFileSync(spawned))).toBe(true);
    }
  }, 300_000);

  it("reports a compile error as asc does: status 1 and the message naming the file", async () => {
    const result = await runAsc([ascProgram(root), "tests/toolchain/no-such-file.ts", "--outFile", join(folder, "x.wasm")], root);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("no-such-file");
  }, 120_000);
});
