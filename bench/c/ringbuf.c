// The peer for bench/ringbuf.ts: libbpf's ring_buffer consumer on the same pinned map, fed by the
// same pinned program through BPF_PROG_TEST_RUN in the same chunks.
// Usage: ringbuf MAP_PIN PROG_PIN TOTAL CHUNK  -> prints "records_per_second received"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long received;
static int on_record(void *ctx, void *data, size_t size) { received++; return 0; }

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 5) return 2;
  int map = bpf_obj_get(argv[1]);
  int prog = bpf_obj_get(argv[2]);
  long total = atol(argv[3]), chunk = atol(argv[4]);
  if (map < 0 || prog < 0) { perror("bpf_obj_get"); return 1; }
  struct ring_buffer *rb = ring_buffer__new(map, on_record, NULL, NULL);
  if (!rb) { perror("ring_buffer__new"); return 1; }
  char pkt[64] = {0};
  double t0 = now();
  for (long sent = 0; sent < total; sent += chunk) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = chunk);
    if (bpf_prog_test_run_opts(prog, &opts)) { perror("test_run"); return 1; }
    while (received < sent + chunk) ring_buffer__consume(rb);
  }
  double t1 = now();
  printf("%.0f %ld\n", total / (t1 - t0), received);
  ring_buffer__free(rb);
  return 0;
}
