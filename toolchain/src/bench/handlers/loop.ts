// Bench handler bench-loop (durability "commit"): commits back to back (commit_loop.ts).
import { commitLoop } from "./commit_loop";
export { handle } from "optios";

export const version = "1";

commitLoop("bench-loop");
