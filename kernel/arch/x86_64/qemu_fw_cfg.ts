// QEMU's firmware configuration device (fw_cfg), read through its legacy I/O ports.
//
// Only used when a PVH boot's start info was overwritten (kernel/boot/pvh.ts): QEMU 7.2's
// PVH option ROM copies the whole command line into a 4096-byte buffer that lies just before
// the start info, so a longer command line overwrites it. fw_cfg still holds the originals.
//
//   port 0x510 (16-bit write)  select an item          item 0x00  signature "QEMU"
//   port 0x511 (8-bit reads)   its bytes, in order     item 0x0a/0x0b initrd address/size (u32 LE)
//                                                      item 0x14/0x15 command line size (u32 LE)/bytes
//                                                      item 0x19  file directory: count (u32 BE), then
//                                                                 {size u32 BE, select u16 BE, u16, name[56]}
// On a machine without fw_cfg the ports read 0xff, so the signature check fails.

import { portRead8, portWrite16 } from "./machine";

const SELECTOR_PORT: u16 = 0x510;
const DATA_PORT: u16 = 0x511;
const ITEM_SIGNATURE: u16 = 0x00;
export const FW_CFG_INITRD_ADDRESS: u16 = 0x0a;
export const FW_CFG_INITRD_SIZE: u16 = 0x0b;
export const FW_CFG_COMMAND_LINE_SIZE: u16 = 0x14;
export const FW_CFG_COMMAND_LINE_DATA: u16 = 0x15;
const ITEM_FILE_DIRECTORY: u16 = 0x19;
const FILE_NAME_BYTES: i32 = 56;
const FILE_DIRECTORY_MAX: u32 = 256;

/** Whether QEMU's fw_cfg answers with its "QEMU" signature. */
export function fwCfgPresent(): bool {
  portWrite16(SELECTOR_PORT, ITEM_SIGNATURE);
  return portRead8(DATA_PORT) == 0x51 && portRead8(DATA_PORT) == 0x45 && portRead8(DATA_PORT) == 0x4d && portRead8(DATA_PORT) == 0x55;
}

/** Selects `item`; its bytes are then read in order with fwCfgByte and friends. */
export function fwCfgSelect(item: u16): void {
  portWrite16(SELECTOR_PORT, item);
}

export function fwCfgByte(): u8 {
  return portRead8(DATA_PORT);
}

/** The next 4 bytes of the selected item, little-endian (the legacy numeric items). */
export function fwCfgNext32(): u32 {
  let value: u32 = 0;
  for (let i: u32 = 0; i < 4; i++) value |= <u32>portRead8(DATA_PORT) << (i * 8);
  return value;
}

/** The next `count` bytes of the selected item, big-endian (the file directory's fields). */
function nextBigEndian(count: i32): u32 {
  let value: u32 = 0;
  for (let i = 0; i < count; i++) value = (value << 8) | <u32>portRead8(DATA_PORT);
  return value;
}

/** The 4-byte little-endian value of `item`. */
export function fwCfgRead32(item: u16): u32 {
  fwCfgSelect(item);
  return fwCfgNext32();
}

/** A named fw_cfg file: its item number and size; item 0 when there is no such file. */
export class FwCfgFile {
  item: u16 = 0;
  bytes: u32 = 0;
}

export function fwCfgFindFile(name: string): FwCfgFile {
  const found = new FwCfgFile();
  fwCfgSelect(ITEM_FILE_DIRECTORY);
  const count = min<u32>(nextBigEndian(4), FILE_DIRECTORY_MAX);
  for (let entry: u32 = 0; entry < count; entry++) {
    const bytes = nextBigEndian(4);
    const item = <u16>nextBigEndian(2);
    nextBigEndian(2);
    let matches = true;
    for (let i = 0; i < FILE_NAME_BYTES; i++) {
      const character = <i32>portRead8(DATA_PORT);
      const expected = i < name.length ? name.charCodeAt(i) : 0;
      if (character != expected) matches = false;
    }
    if (matches && found.item == 0) {
      found.item = item;
      found.bytes = bytes;
    }
  }
  return found;
}
