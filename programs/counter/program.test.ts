// counter: never waits for input; it prints every ten millionth number.
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadProgram } from "../../toolchain/src/harness/index.ts";

it("counts and prints every ten millionth number", async () => {
  const counter = await loadProgram(join(import.meta.dirname, "program.ts"));
  const run = counter.run([], { stopAfterLines: 2 });
  expect(run.ended).toBe("output");
  expect(run.output).toBe("counter: 10 million\ncounter: 20 million\n");
});
