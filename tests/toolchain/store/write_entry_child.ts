// Child process for the crash test: writes a large entry and stalls mid-write until killed.
import { Store } from "../../../toolchain/src/store/store.ts";

const [root] = process.argv.slice(2);
const store = await Store.open(root);
const files = Array.from({ length: 64 }, (_, index) => ({ path: `part-${index}.bin`, content: new Uint8Array(256 * 1024).fill(index) }));
await store.addEntry("big", files, {
  async afterFile(path) {
    if (path !== "part-8.bin") return;
    process.stdout.write("writing\n");
    await new Promise((resolve) => setTimeout(resolve, 60_000));
  },
});
process.stdout.write("finished\n");
