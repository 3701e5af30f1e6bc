// `make bench`: the time to swap a handler version live (optios deploy; docs/upgrade.md).
//
// Boots the default system's ISO (built in a scratch root) with its deploy port on a unix
// socket, then deploys the heartbeat handler DEPLOYS times, one after the other. Each is a
// whole upgrade: the kernel checks the transfer against the descriptor, links and starts the
// module, copies the state (same version), runs its migrate and unloads the old one. The
// kernel's answer gives that swap in TSC cycles; the host's clock gives the deploy from the
// first byte sent to the answer, which is mostly the transfer through QEMU's serial port.
import { join } from "node:path";
import { buildSystemInScratch } from "../build/scratch.ts";
import { buildTransfer, deployed, deploySocketPath, sendTransfers } from "../deploy.ts";
import { defaultKernelArguments, paths } from "../project.ts";
import { type Machine, startMachine, stopAllMachines } from "./machine.ts";
import { summarize, type Statistics } from "./report.ts";

const DEPLOYS = 10;
const HANDLER = "heartbeat";

export interface UpgradeFigures {
  handler: string;
  deploys: number;
  transferBytes: number;
  /** The kernel's swap: checks, link, start, state copy, migrate, unload (guest TSC cycles). */
  swapCycles: Statistics;
  /** optios deploy's send → answer on the host: transfer over the serial port plus the swap. */
  deployMilliseconds: Statistics;
  /** How far the kernel's heap (which never frees) grew per deploy after the first, as the shell's `mem` says. */
  heapBytesPerDeploy: number;
}

/** Where the kernel's heap ends, in bytes (the shell's `mem`). */
async function kernelHeap(machine: Machine): Promise<number> {
  const from = machine.output.length;
  await machine.type("mem\r");
  const heap = await machine.waitFor(/kernel: heap ([\d,]+) bytes/, 30_000, from);
  return Number(heap.match[1].replace(/,/g, ""));
}

export async function measureUpgrades(): Promise<UpgradeFigures> {
  const scratch = await buildSystemInScratch(paths.system, defaultKernelArguments, 900_000);
  try {
    const socket = join(scratch.root, deploySocketPath);
    const machine = startMachine({ iso: scratch.iso, memory: "128M", deploySocket: socket });
    await machine.waitFor("optios$ ", 120_000);
    const transfer = buildTransfer(scratch.root, HANDLER);
    const cycles: number[] = [];
    const milliseconds: number[] = [];
    let heapAfterFirst = 0; // the first deploy makes the port's buffers, once
    for (let i = 0; i < DEPLOYS; i++) {
      if (i === 1) heapAfterFirst = await kernelHeap(machine);
      const started = performance.now();
      const [answer] = await sendTransfers(socket, [transfer]);
      milliseconds.push(performance.now() - started);
      const swap = /\(([\d,]+) cycles\)/.exec(answer);
      if (!deployed(answer) || !swap) throw new Error(`deploy ${i + 1} of ${HANDLER}: ${answer}`);
      cycles.push(Number(swap[1].replace(/,/g, "")));
    }
    const heapBytesPerDeploy = Math.round(((await kernelHeap(machine)) - heapAfterFirst) / (DEPLOYS - 1));
    return { handler: HANDLER, deploys: DEPLOYS, transferBytes: transfer.length, swapCycles: summarize(cycles), deployMilliseconds: summarize(milliseconds),
      heapBytesPerDeploy };
  } finally {
    await stopAllMachines();
    scratch.remove();
  }
}
