// Preemption held: kernel work a program's gate call does with interrupts on must finish before
// the kernel thread takes the CPU back.
//
// A program's call runs kernel code on the program's thread. Most of it runs with interrupts
// off, but a disk request waits with them on (storage/block_device.ts: sti; hlt until the
// device's interrupt). Were the interrupt path to switch to the kernel thread then
// (programs.ts, programsPreempt), the kernel loop could run a handler whose commit starts a
// second request on the same disk while the first is in flight: two requests sharing one
// request header, and a status read from the wrong one. So the wait holds preemption, and the
// switch waits for the program's next interrupt after it.

let held: i32 = 0;

export function holdPreemption(): void {
  held++;
}

export function releasePreemption(): void {
  held--;
}

/** Whether the interrupt path may switch a program's thread back to the kernel's now. */
export function preemptionAllowed(): bool {
  return held == 0;
}
