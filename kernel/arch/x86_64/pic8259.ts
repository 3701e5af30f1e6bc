// Intel 8259A PICs: moved off the exception vectors (to 32-47) and masked, then the legacy lines we use unmasked.
//
// The local APIC's timer is the clock (vector 32, which IRQ 0 would share: IRQ 0 stays
// masked). The keyboard (IRQ 1 → vector 33), COM2 (IRQ 3 → 35) and COM1 (IRQ 4 → 36) come through the
// PIC, which reaches the CPU through the local APIC's LINT0 in virtual-wire mode.

import { portWrite8 } from "./machine";

const PRIMARY_COMMAND: u16 = 0x20;
const PRIMARY_DATA: u16 = 0x21;
const SECONDARY_COMMAND: u16 = 0xa0;
const SECONDARY_DATA: u16 = 0xa1;
const INITIALIZE_WITH_ICW4: u8 = 0x11;
const MODE_8086: u8 = 0x01;
const PRIMARY_VECTOR_BASE: u8 = 32;
const SECONDARY_VECTOR_BASE: u8 = 40;
const SECONDARY_ON_LINE_2: u8 = 0x04;
const SECONDARY_IDENTITY: u8 = 0x02;
const MASK_ALL: u8 = 0xff;
const END_OF_INTERRUPT: u8 = 0x20;

export const IRQ_KEYBOARD: u8 = 1;
export const IRQ_COM1: u8 = 4;
/** COM2, the deploy port (handlers/deploy.ts). */
export const IRQ_COM2: u8 = 3;

const CASCADE_IRQ: u8 = 2;

/** The vector a line arrives on: 32-39 for the primary PIC's, 40-47 for the secondary's (IRQ 8-15). */
export function picVector(irq: u8): u32 {
  return irq < 8 ? <u32>PRIMARY_VECTOR_BASE + irq : <u32>SECONDARY_VECTOR_BASE + irq - 8;
}

let primaryMask: u8 = MASK_ALL;
let secondaryMask: u8 = MASK_ALL;

/** Lets one line (0-15) interrupt; a secondary line (a PCI device's, usually) opens the cascade too. */
export function picUnmask(irq: u8): void {
  if (irq >= 8) {
    secondaryMask &= ~(<u8>1 << (irq - 8));
    portWrite8(SECONDARY_DATA, secondaryMask);
    irq = CASCADE_IRQ;
  }
  primaryMask &= ~(<u8>1 << irq);
  portWrite8(PRIMARY_DATA, primaryMask);
}

/** Acknowledges line `irq`'s interrupt (both PICs for a secondary line), so it can interrupt again. */
export function picEndOfInterrupt(irq: u8 = 0): void {
  if (irq >= 8) portWrite8(SECONDARY_COMMAND, END_OF_INTERRUPT);
  portWrite8(PRIMARY_COMMAND, END_OF_INTERRUPT);
}

/**
 * BIOS leaves the PICs delivering IRQ 0-7 on vectors 8-15, where CPU exceptions live; even
 * masked, a spurious IRQ 7 could arrive there. Remap them to 32-47, then mask every line.
 */
export function picRemapAndMask(): void {
  portWrite8(PRIMARY_COMMAND, INITIALIZE_WITH_ICW4);
  portWrite8(SECONDARY_COMMAND, INITIALIZE_WITH_ICW4);
  portWrite8(PRIMARY_DATA, PRIMARY_VECTOR_BASE);
  portWrite8(SECONDARY_DATA, SECONDARY_VECTOR_BASE);
  portWrite8(PRIMARY_DATA, SECONDARY_ON_LINE_2);
  portWrite8(SECONDARY_DATA, SECONDARY_IDENTITY);
  portWrite8(PRIMARY_DATA, MODE_8086);
  portWrite8(SECONDARY_DATA, MODE_8086);
  portWrite8(PRIMARY_DATA, MASK_ALL);
  portWrite8(SECONDARY_DATA, MASK_ALL);
}
