// The wall clock in QEMU: the CMOS real-time clock read at boot, shown by the shell's `date`.
//
// Boots the build's ISO (the default system) with QEMU's real-time clock started at a fixed
// date, so the test knows the answer without looking at the host's clock.
import { describe, expect, test } from "vitest";
import { boot, images, useMachines } from "./harness";
import { SHELL_PROMPT, shellCommand } from "./shell_session.ts";

useMachines();

describe("the wall clock", () => {
  test("date shows the real-time clock's date and time in UTC", async () => {
    const machine = boot({ iso: images.iso, memory: "128M", rtcBase: "2020-01-02T03:04:05" });
    await machine.waitFor(SHELL_PROMPT, 120_000);
    // The clock runs on from 03:04:05 while the machine boots: minutes may have passed, not hours.
    expect(await shellCommand(machine, "date")).toMatch(/^2020-01-02 03:0\d:\d\d UTC$/m);
  });
});
