// The byte buffers a host-test entry shares with its test: bytes from JavaScript arrive in
// `input` (at inputPointer()); text results land in `output` (at outputPointer()) through
// put(), which returns their length. An entry re-exports the two pointers.

export const input = new StaticArray<u8>(65536);
const output = new StaticArray<u8>(65536);

export function inputPointer(): usize { return changetype<usize>(input); }
export function outputPointer(): usize { return changetype<usize>(output); }

/** `text` as UTF-8 into `output`; its length in bytes (cut to the buffer). */
export function put(text: string): i32 {
  const bytes = String.UTF8.encode(text);
  const length = min(bytes.byteLength, output.length);
  memory.copy(changetype<usize>(output), changetype<usize>(bytes), <usize>length);
  return length;
}
