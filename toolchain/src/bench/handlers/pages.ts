// Shared by the bench handlers: write one byte in each of as many pages as the payload's first byte says.
import { Event } from "optios";

const PAGE_BYTES = 4096;
const pages = new StaticArray<u8>(65 * PAGE_BYTES);

export function dirtyPages(event: Event): void {
  const count = event.payload.length > 0 ? <i32>event.payload[0] : 0;
  for (let page = 0; page < count; page++) pages[page * PAGE_BYTES] = pages[page * PAGE_BYTES] + 1;
}
