// The test kernel's entry (`optios build --test-kernel`): the shipped kernel, kernel/main.ts,
// plus the test boots test=selftest and test=bench (kernel/test_modes.ts). Tests and
// `make bench` boot it; the ISO a user builds never carries it.

export * from "./main";
import { runHandlerBench, runProgramBench } from "./bench";
import { runSelfTests } from "./selftest";
import { testModesSet } from "./test_modes";

testModesSet(runSelfTests, (): bool => runHandlerBench() && runProgramBench());
