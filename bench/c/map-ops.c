// The peer for bench/map-ops.ts: the same bpf() calls on the same pinned map, in C.
// Usage: map-ops PIN N   -> prints "lookup_ops_per_s update_ops_per_s batch_entries_per_s"
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.pathname = (uint64_t)(uintptr_t)argv[1];
  int fd = sys_bpf(BPF_OBJ_GET, &a);
  if (fd < 0) { perror("BPF_OBJ_GET"); return 1; }
  long n = atol(argv[2]);
  memset(&a, 0, sizeof(a));
  a.pathname = (uint64_t)(uintptr_t)argv[3];
  int big = sys_bpf(BPF_OBJ_GET, &a);
  if (big < 0) { perror("BPF_OBJ_GET big"); return 1; }
  uint32_t key;
  uint64_t value = 0;
  double t0 = now();
  for (long i = 0; i < n; i++) {
    key = i & 1023;
    memset(&a, 0, sizeof(a));
    a.map_fd = fd;
    a.key = (uint64_t)(uintptr_t)&key;
    a.value = (uint64_t)(uintptr_t)&value;
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) < 0) { perror("lookup"); return 1; }
  }
  double t1 = now();
  for (long i = 0; i < n; i++) {
    key = i & 1023;
    value = i;
    memset(&a, 0, sizeof(a));
    a.map_fd = fd;
    a.key = (uint64_t)(uintptr_t)&key;
    a.value = (uint64_t)(uintptr_t)&value;
    a.flags = BPF_ANY;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0) { perror("update"); return 1; }
  }
  double t2 = now();
  // Dump the big map with the batch API, 4096 entries per call, copying out like the TypeScript side does.
  uint32_t batch = 4096;
  uint32_t *keys = malloc(batch * 4);
  uint64_t *values = malloc(batch * 8);
  uint64_t in_b = 0, out_b = 0;
  long total = 0;
  int first = 1;
  uint32_t *allk = malloc(200000 * 4);
  uint64_t *allv = malloc(200000 * 8);
  for (;;) {
    memset(&a, 0, sizeof(a));
    a.batch.in_batch = first ? 0 : (uint64_t)(uintptr_t)&in_b;
    a.batch.out_batch = (uint64_t)(uintptr_t)&out_b;
    a.batch.keys = (uint64_t)(uintptr_t)keys;
    a.batch.values = (uint64_t)(uintptr_t)values;
    a.batch.count = batch;
    a.batch.map_fd = big;
    long r = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a);
    memcpy(allk + total, keys, a.batch.count * 4);
    memcpy(allv + total, values, a.batch.count * 8);
    total += a.batch.count;
    if (r < 0) break;
    in_b = out_b;
    first = 0;
  }
  double t3 = now();
  printf("%.0f %.0f %.0f %ld\n", n / (t1 - t0), n / (t2 - t1), total / (t3 - t2), total);
  return 0;
}
