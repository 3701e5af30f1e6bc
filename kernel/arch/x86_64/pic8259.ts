// Intel 8259A PICs: moved off the exception vectors (to 32-47) and masked; the local APIC is used instead.

import { portWrite8 } from "./hardware";

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
