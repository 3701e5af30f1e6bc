// LogRing: a bounded ring of kernel log lines; when full, the oldest whole lines go first.
//
// Record layout in the circular byte buffer (records may wrap around its end):
//
//   ┌───────┬────────────┬────────────┬──────────────────┐
//   │ level │ length low │ length high│ length bytes ... │
//   └───────┴────────────┴────────────┴──────────────────┘
//
// Invariants: `used` bytes starting at `oldest` are whole records; `lines` counts them;
// a line longer than the ring is cut to fit, so append never fails.

const RECORD_HEADER_BYTES: i32 = 3;

export class LogRing {
  private readonly buffer: StaticArray<u8>;
  private oldest: i32 = 0;
  private used: i32 = 0;
  lines: i32 = 0;
  /** Lines dropped to make room since boot. */
  dropped: u32 = 0;

  constructor(readonly capacity: i32) {
    this.buffer = new StaticArray<u8>(capacity);
  }

  append(level: u8, address: usize, length: i32): void {
    const fits = this.capacity - RECORD_HEADER_BYTES;
    if (length > fits) length = fits;
    while (this.capacity - this.used < length + RECORD_HEADER_BYTES) this.dropOldest();
    let position = (this.oldest + this.used) % this.capacity;
    position = this.put(position, level);
    position = this.put(position, <u8>(length & 0xff));
    position = this.put(position, <u8>(length >> 8));
    for (let i = 0; i < length; i++) position = this.put(position, load<u8>(address + i));
    this.used += length + RECORD_HEADER_BYTES;
    this.lines++;
  }

  /** Forgets every line and the dropped count. */
  clear(): void {
    this.oldest = 0;
    this.used = 0;
    this.lines = 0;
    this.dropped = 0;
  }

  /** Cursor of the oldest line; advance with next(); valid while cursor != end(). */
  first(): i32 {
    return this.oldest;
  }

  end(): i32 {
    return (this.oldest + this.used) % this.capacity;
  }

  next(cursor: i32): i32 {
    return (cursor + RECORD_HEADER_BYTES + this.lineLength(cursor)) % this.capacity;
  }

  lineLevel(cursor: i32): u8 {
    return this.buffer[cursor];
  }

  setLineLevel(cursor: i32, level: u8): void {
    this.buffer[cursor] = level;
  }

  lineLength(cursor: i32): i32 {
    const low = <i32>this.buffer[(cursor + 1) % this.capacity];
    const high = <i32>this.buffer[(cursor + 2) % this.capacity];
    return low | (high << 8);
  }

  /** Cursor of the newest line, or -1 when the ring is empty. */
  last(): i32 {
    let last = -1;
    for (let cursor = this.first(); this.lines > 0 && cursor != this.end(); cursor = this.next(cursor)) {
      last = cursor;
      if (this.next(cursor) == this.end()) break;
    }
    return last;
  }

  lineByte(cursor: i32, index: i32): u8 {
    return this.buffer[(cursor + RECORD_HEADER_BYTES + index) % this.capacity];
  }

  private dropOldest(): void {
    const size = RECORD_HEADER_BYTES + this.lineLength(this.oldest);
    this.oldest = (this.oldest + size) % this.capacity;
    this.used -= size;
    this.lines--;
    this.dropped++;
  }

  private put(position: i32, value: u8): i32 {
    this.buffer[position] = value;
    return (position + 1) % this.capacity;
  }
}
