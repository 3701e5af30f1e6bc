// Bench handler bench-group (durability "interval:10ms", group commit): commits back to back (commit_loop.ts).
import { commitLoop } from "./commit_loop";
export { handle } from "optios";

export const version = "1";

commitLoop("bench-group");
