// Intel 8259A PICs: moved off the exception vectors (to 32-47) and masked, then the legacy lines we use unmasked.
//
// The local APIC's timer is the clock (vector 32, which IRQ 0 would share: IRQ 0 stays
// masked). The keyboard (IRQ 1 → vector 33), COM2 (IRQ 3 → 35) and COM1 (IRQ 4 → 36) come through the
// PIC, which reaches the CPU through the local APIC's LINT0 in virtual-wire mode.

import { portRead8, portWrite8 } from "./machine";

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
/** OCW3: the next read of the command port gives the in-service register. */
const READ_IN_SERVICE: u8 = 0x0b;
const CASCADE_BIT: u8 = 1 << 2;
const IRQ15_BIT: u8 = 1 << 7;

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

/** Stops one line (0-15) from interrupting (the cascade stays open for the secondary's others). */
export function picMask(irq: u8): void {
  if (irq >= 8) {
    secondaryMask |= <u8>1 << (irq - 8);
    portWrite8(SECONDARY_DATA, secondaryMask);
  } else {
    primaryMask |= <u8>1 << irq;
    portWrite8(PRIMARY_DATA, primaryMask);
  }
}

/**
 * Vector 47, which is IRQ 15's and the local APIC's spurious vector alike. When the primary
 * PIC has the cascade in service but the secondary has no IRQ 15 in service, the secondary
 * raised an interrupt and withdrew it before the CPU took it (a level-triggered PCI line that
 * fell: a device acknowledged by a write the CPU made meanwhile): the primary needs its EOI,
 * or it keeps every lower line, the serial console's too, waiting for good. A real IRQ 15 gets
 * both EOIs; the local APIC's own spurious interrupt none. Returns whether it was IRQ 15's.
 */
export function picAcknowledgeVector47(): bool {
  portWrite8(PRIMARY_COMMAND, READ_IN_SERVICE);
  portWrite8(SECONDARY_COMMAND, READ_IN_SERVICE);
  const primary = portRead8(PRIMARY_COMMAND);
  const secondary = portRead8(SECONDARY_COMMAND);
  if ((secondary & IRQ15_BIT) != 0) picEndOfInterrupt(15);
  else if ((primary & CASCADE_BIT) != 0) portWrite8(PRIMARY_COMMAND, END_OF_INTERRUPT);
  else return false;
  return true;
}

/** The line (0-15) a vector in the PICs' range comes from, or -1 for any other vector. */
export function picLine(vector: u32): i32 {
  for (let irq: u8 = 0; irq < 16; irq++) if (picVector(irq) == vector) return irq;
  return -1;
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
