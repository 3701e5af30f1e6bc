// Bench program (toolchain/src/bench/durable.toml, `make bench`): file throughput on the data disk.
// Writes FILES files of KIB KiB in its own /data/filebench/ (a program's write is on the disk,
// flushed, when the call returns), reads each back whole (the first chunk's read checks the
// file's CRC-32 against the disk), then removes them, and prints one line the bench parses:
//   filebench: wrote N files of K KiB in W ms, read them in R ms
import { dataRead, dataRemove, dataWrite, fileError, now, print } from "optios";

const FILES = 16;
const KIB = 256;

export function main(): void {
  const data = new Uint8Array(KIB * 1024);
  const began = now();
  for (let i = 0; i < FILES; i++) {
    data.fill(<u8>i);
    if (!dataWrite("file-" + i.toString(), data)) {
      print("filebench: write refused: " + fileError + "\n");
      return;
    }
  }
  const written = now();
  for (let i = 0; i < FILES; i++) {
    const back = dataRead("file-" + i.toString());
    if (back == null || back.length != KIB * 1024 || back[KIB * 512] != <u8>i) {
      print("filebench: read back wrong: " + (back == null ? fileError : "other bytes") + "\n");
      return;
    }
  }
  const read = now();
  for (let i = 0; i < FILES; i++) dataRemove("file-" + i.toString());
  print("filebench: wrote " + FILES.toString() + " files of " + KIB.toString() + " KiB in " + ((written - began) / 1_000_000).toString() +
    " ms, read them in " + ((read - written) / 1_000_000).toString() + " ms\n");
}
