// Test fixture program: prints a line, then divides by zero — the kernel must end it, not fall over.
import { print } from "optios";

let divisor: i32 = 0;

export function main(): void {
  print("trapper: about to divide by zero\n");
  const result = 100 / divisor;
  print("trapper: survived with " + result.toString() + "\n");
}
