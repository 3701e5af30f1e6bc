// counter: a program that never waits — it counts, and prints every ten millionth number.
//
//   run counter        counts until stopped (Ctrl-C, or stop N from another console)
//   run counter 30     counts to 30 million, then ends
//   run -b counter     counts on the next free console, beside the shell; run two of them
//                      ([foreground] max = 3) to watch the scheduler share the CPU
import { print, programArguments } from "optios";

export function main(): void {
  const words = programArguments();
  const millions: u64 = words.length > 0 ? U64.parseInt(words[0]) : 0;
  if (words.length > 1 || (words.length == 1 && millions == 0)) {
    print("usage: counter [millions], a whole number above 0 (without one it counts until stopped)\n");
    return;
  }
  let count: u64 = 0;
  while (millions == 0 || count < millions * 1_000_000) {
    count++;
    if (count % 10_000_000 == 0) print("counter: " + (count / 1_000_000).toString() + " million\n");
  }
  print("counter: counted to " + millions.toString() + " million\n");
}
