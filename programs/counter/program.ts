// counter: a program that never waits — it counts, and prints every ten millionth number.
// Run two of them (`run counter`) to watch the scheduler share the CPU between them.

import { print } from "optios";

export function main(): void {
  let count: u64 = 0;
  while (true) {
    count++;
    if (count % 10_000_000 == 0) print("counter: " + (count / 1_000_000).toString() + " million\n");
  }
}
