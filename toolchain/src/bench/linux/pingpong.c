// The Linux guest's pipe ping-pong: N one-byte round trips between two processes over two pipes.
//
// Usage: pingpong ROUND_TRIPS. After 100 warm-up round trips, each round trip is timed with
// the TSC (parent writes a byte, the child reads it and writes it back, the parent reads it)
// and the whole loop with CLOCK_MONOTONIC. Prints one line the bench parses:
//   pingpong: N round trips p50 C p99 C cycles, mean NS ns, tsc MHZ MHz
// where MHZ (TSC cycles per microsecond) comes from the same loop's two clocks.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define WARM_UP_ROUND_TRIPS 100

static int compare(const void *left, const void *right) {
  unsigned long long a = *(const unsigned long long *)left, b = *(const unsigned long long *)right;
  return a < b ? -1 : a > b;
}

static double nanoseconds(struct timespec start, struct timespec end) {
  return (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
}

// The child: echoes every byte back until its input closes.
static void echo(int input, int output) {
  char byte;
  while (read(input, &byte, 1) == 1) {
    if (write(output, &byte, 1) != 1) _exit(1);
  }
  _exit(0);
}

static void round_trip(int output, int input) {
  char byte = 'x';
  if (write(output, &byte, 1) != 1 || read(input, &byte, 1) != 1) {
    perror("pingpong: round trip");
    exit(1);
  }
}

int main(int argc, char **argv) {
  long count = argc > 1 ? atol(argv[1]) : 10000;
  int to_child[2], to_parent[2];
  if (count < 1 || pipe(to_child) != 0 || pipe(to_parent) != 0) {
    fprintf(stderr, "pingpong: usage: pingpong ROUND_TRIPS (pipes: %d)\n", count >= 1);
    return 1;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("pingpong: fork");
    return 1;
  }
  if (child == 0) {
    close(to_child[1]);
    close(to_parent[0]);
    echo(to_child[0], to_parent[1]);
  }
  close(to_child[0]);
  close(to_parent[1]);
  unsigned long long *cycles = malloc(sizeof *cycles * count);
  if (!cycles) return 1;
  for (int i = 0; i < WARM_UP_ROUND_TRIPS; i++) round_trip(to_child[1], to_parent[0]);
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  unsigned long long first = __rdtsc();
  for (long i = 0; i < count; i++) {
    unsigned long long before = __rdtsc();
    round_trip(to_child[1], to_parent[0]);
    cycles[i] = __rdtsc() - before;
  }
  unsigned long long last = __rdtsc();
  clock_gettime(CLOCK_MONOTONIC, &end);
  close(to_child[1]);
  waitpid(child, NULL, 0);
  double elapsed = nanoseconds(start, end);
  qsort(cycles, count, sizeof *cycles, compare);
  printf("pingpong: %ld round trips p50 %llu p99 %llu cycles, mean %.0f ns, tsc %.0f MHz\n", count, cycles[count / 2],
         cycles[count * 99 / 100], elapsed / count, (last - first) / elapsed * 1000);
  return 0;
}
