// Host-test entry for live upgrades: the deploy port's transfer parser (kernel/handlers/deploy.ts)
// and the checks of a new version's entry against the running one (kernel/handlers/upgrade.ts),
// driven by tests/host/upgrade.test.ts.
//
// Bytes and text travel through exchange.ts's buffers.

import { readDescriptor } from "../../kernel/config/boot_descriptor";
import { Text } from "../../kernel/console/text";
import { describeGrants } from "../../kernel/gate/capabilities";
import { DeployTransfer, TRANSFER_COMPLETE, TRANSFER_FAILED } from "../../kernel/handlers/deploy";
import { changedSetting, widerGrant } from "../../kernel/handlers/upgrade";
import { INPUT_LOST } from "../../kernel/input/input";
import { input, put } from "./exchange";
export { inputPointer, outputPointer } from "./exchange";

/**
 * Two descriptors in `input` (the running one's `runningLength` bytes, then the new one's):
 * their first handlers compared as a deploy compares them: "wider: <grant or none> | changed: <keys>".
 */
export function compareEntries(runningLength: u32, askedLength: u32): i32 {
  const running = readDescriptor(changetype<usize>(input), runningLength).handlers[0];
  const asked = readDescriptor(changetype<usize>(input) + runningLength, askedLength).handlers[0];
  const wider = widerGrant(running.grants, asked.grants);
  const text = new Text();
  if (wider == null) text.string("none");
  else describeGrants(text, [wider]);
  return put("wider: " + String.UTF8.decodeUnsafe(text.pointer, text.length) + " | changed: " + changedSetting(running, asked));
}

/**
 * The descriptor in `input` read for a deploy of "relay" (`present`) or of "nosuch": the
 * handlers and programs it made ("handlers: relay | programs: 0").
 */
export function readForDeploy(length: u32, present: bool): i32 {
  const system = readDescriptor(changetype<usize>(input), length, present ? "relay" : "nosuch");
  let names = "";
  for (let i = 0; i < system.handlers.length; i++) names += (i > 0 ? " " : "") + system.handlers[i].name;
  return put("handlers: " + names + " | programs: " + system.programs.length.toString() + (system.error.length > 0 ? " | " + system.error : ""));
}

/**
 * Feeds the `length` bytes in `input` to a fresh transfer, with a lost byte (INPUT_LOST) before
 * byte `lossAt` (-1: none); one line per transfer that failed ("failed: why") or completed.
 */
export function feed(length: i32, lossAt: i32): i32 {
  const transfer = new DeployTransfer();
  let lines = "";
  for (let i = 0; i < length; i++) {
    if (i == lossAt && transfer.feed(INPUT_LOST) == TRANSFER_FAILED) lines += "failed: " + transfer.error + "\n";
    const state = transfer.feed(<i32>input[i]);
    if (state == TRANSFER_FAILED) lines += "failed: " + transfer.error + "\n";
    else if (state == TRANSFER_COMPLETE) lines += "complete: " + transfer.name + "\n";
  }
  return put(lines + (transfer.started ? "in a transfer" : "seeking"));
}
