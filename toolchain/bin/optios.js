#!/usr/bin/env node
// The `optios` command (package.json "bin"): runs toolchain/src/cli.ts through tsx's loader.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli.ts");
process.exitCode = await main(process.argv.slice(2));
