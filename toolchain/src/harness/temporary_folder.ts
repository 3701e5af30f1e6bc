// vitest's global setup for every test project (vitest.config.ts): the run's temporary files in
// one folder, removed when the run ends.
//
// Tests and the builds they start make their folders with mkdtemp under os.tmpdir(): system
// configurations, scratch builds, QEMU's serial files. Pointing TMPDIR at a folder of this
// run's own (the test workers start after this and inherit it) keeps a run from leaving
// thousands of them behind in /tmp when a test forgets, or is stopped before, its cleanup.
// It lives in the toolchain, not tests/, because `optios test` runs the same configuration
// from copies of the project that have no tests/ folder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Set while a run's folder is in use: the other projects of the same run share it. */
const MARK = "OPTIOS_TEST_TMPDIR";

export default function temporaryFolder(): () => void {
  if (process.env[MARK] !== undefined && process.env[MARK] === process.env.TMPDIR) return () => {};
  const previous = process.env.TMPDIR;
  const folder = mkdtempSync(join(tmpdir(), "optios-test-"));
  process.env.TMPDIR = folder;
  process.env[MARK] = folder;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    delete process.env[MARK];
    rmSync(folder, { recursive: true, force: true });
  };
}
