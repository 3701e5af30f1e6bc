// The Linux guest's userspace marker: the first program /init runs, printing the guest TSC.
//
// Under QEMU TCG the TSC starts near 0 when the machine is created, so this value is
// "machine start -> userspace" in TSC cycles, the counterpart of OptiOS's banner figures.
// The bench converts it to milliseconds with the TSC rate pingpong measures.
#include <stdio.h>
#include <x86intrin.h>

int main(void) {
  unsigned long long now = __rdtsc();
  printf("linux-guest: userspace at tsc %llu\n", now);
  return 0;
}
