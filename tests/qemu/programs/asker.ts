// Test fixture program: shows its arguments, asks a question on its console, answers, ends.
import { argumentLine, print, programArguments, readLine } from "optios";

export function main(): void {
  print("asker: argument line '" + argumentLine() + "', words [" + programArguments().join("|") + "]\n");
  print("asker: your name? ");
  print("asker: hello " + readLine() + "\n");
}
