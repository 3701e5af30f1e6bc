// Host-test entry for live upgrades: the deploy port's transfer parser (kernel/handlers/deploy.ts)
// and the checks of a new version's entry against the running one (kernel/handlers/upgrade.ts),
// driven by tests/host/upgrade.test.ts.
//
// Bytes and text travel through exchange.ts's buffers.

import { HandlerSettings, NO_SUCH_HANDLER, readDescriptor, readHandlerEntry } from "../../kernel/config/boot_descriptor";
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
 * Two descriptors in `input` (the running one's `runningLength` bytes, then the deployed
 * one's): relay's entry of the second read for a deploy (`name`: "relay", or another name), as
 * a deploy reads it against the running entry. Which of its objects are the running entry's
 * ("version: same | events: new | grants: same, budget 20000000"), or why it was not read.
 */
export function readForDeploy(runningLength: u32, askedLength: u32, relay: bool): i32 {
  const running = readDescriptor(changetype<usize>(input), runningLength).handler("relay")!;
  const into = new HandlerSettings();
  const problem = readHandlerEntry(changetype<usize>(input) + runningLength, askedLength, relay ? "relay" : "nosuch", running, into);
  if (problem.length > 0) return put(problem == NO_SUCH_HANDLER ? "no such handler" : problem);
  const same = (yes: bool): string => (yes ? "same" : "new");
  return put("version: " + same(into.version == running.version && changetype<usize>(into.version) == changetype<usize>(running.version)) +
    " | events: " + same(into.events == running.events) + " | grants: " + same(into.grants == running.grants) +
    ", budget " + into.budgetNanoseconds.toString());
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
