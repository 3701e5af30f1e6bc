// The Linux guest's durable write: what an OptiOS durable commit does, done the Linux way.
//
// Usage: fsyncwriter DEVICE COMMITS BYTES. Writes BYTES at successive offsets of DEVICE (the
// virtio-blk data disk, /dev/vda: raw sectors, as the OptiOS state log writes them) and
// fsync()s after each write, so each write is on the disk before the next, as a commit with
// durability "commit" is. After 20 warm-up commits, each write + fsync is timed with the TSC
// (the cycles OptiOS's df counts, in the same QEMU) and the fsync alone beside it. Prints:
//   fsyncwriter: N commits of B bytes p50 C p99 C cycles, fsync p50 C cycles
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <x86intrin.h>

#define WARM_UP_COMMITS 20

static int compare(const void *left, const void *right) {
  unsigned long long a = *(const unsigned long long *)left, b = *(const unsigned long long *)right;
  return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "fsyncwriter: usage: fsyncwriter DEVICE COMMITS BYTES\n");
    return 2;
  }
  const long commits = atol(argv[2]);
  const long bytes = atol(argv[3]);
  if (commits <= 0 || bytes <= 0 || bytes % 512 != 0) {
    fprintf(stderr, "fsyncwriter: usage: COMMITS > 0, BYTES a positive multiple of 512\n");
    return 2;
  }
  const int device = open(argv[1], O_WRONLY);
  if (device < 0) {
    perror("fsyncwriter: open");
    return 1;
  }
  char *data = malloc(bytes);
  unsigned long long *whole = calloc(commits, sizeof *whole);
  unsigned long long *flushes = calloc(commits, sizeof *flushes);
  if (data == NULL || whole == NULL || flushes == NULL) return 1;
  for (long i = 0; i < WARM_UP_COMMITS + commits; i++) {
    memset(data, (int)(i & 0xff), bytes);
    const unsigned long long start = __rdtsc();
    if (pwrite(device, data, bytes, (off_t)(i * bytes)) != bytes) {
      perror("fsyncwriter: write");
      return 1;
    }
    const unsigned long long written = __rdtsc();
    if (fsync(device) != 0) {
      perror("fsyncwriter: fsync");
      return 1;
    }
    const unsigned long long done = __rdtsc();
    if (i >= WARM_UP_COMMITS) {
      whole[i - WARM_UP_COMMITS] = done - start;
      flushes[i - WARM_UP_COMMITS] = done - written;
    }
  }
  qsort(whole, commits, sizeof *whole, compare);
  qsort(flushes, commits, sizeof *flushes, compare);
  printf("fsyncwriter: %ld commits of %ld bytes p50 %llu p99 %llu cycles, fsync p50 %llu cycles\n", commits, bytes,
    whole[commits / 2], whole[commits * 99 / 100], flushes[commits / 2]);
  return 0;
}
