// What a boot of the power-cut test system (tests/qemu/systems/durable.toml) says of each of its
// handlers (tally, batch; both run tests/qemu/handlers/tally.ts): where its state resumed,
// what its files held then, the commits it made, and the last one the kernel reported durable.

/** What one boot's output says of `name`: where it resumed, the commits it logged, the last one reported durable. */
export function readBoot(output: string, name: string): { resumed: number | undefined; files: string | undefined; committed: number[]; durable: number | undefined } {
  let resumed: number | undefined;
  let files: string | undefined;
  const committed: number[] = [];
  let durable: number | undefined;
  let last: number | undefined;
  // A kill can cut the last line short ("commit 189" of "commit 1892"): only whole lines count.
  const lines = output.split(/\r?\n/);
  lines.pop();
  for (const line of lines) {
    const resumedAt = new RegExp(`\\[${name}\\] tally: resumed at (\\d+)$`).exec(line);
    if (resumedAt) resumed = Number(resumedAt[1]);
    const filesAt = new RegExp(`\\[${name}\\] tally: files at (.*)$`).exec(line);
    if (filesAt) files = filesAt[1];
    const commit = new RegExp(`\\[${name}\\] tally: commit (\\d+)$`).exec(line);
    if (commit) committed.push((last = Number(commit[1])));
    // A flush makes every commit logged before it durable (tally's right after its run; batch's within 100 ms).
    if (new RegExp(`data disk: durable '${name}' record \\d+$`).test(line)) {
      if (last !== undefined) durable = last;
    }
  }
  return { resumed, files, committed, durable };
}


/** What tally.ts says of its files at boot when its state resumed at commit `resumed`: the same commit, in both files. */
export function filesOfCommit(resumed: number): string {
  return resumed === 0 ? "(count: no such file), history ends (history: no such file)" : `${resumed}, history ends ${resumed}`;
}
