/* raw liburing fs_ops: the floor for bench/uv/fs_ops.c.
 *
 * --depth chains on one ring, each OPENAT -> STATX (the fd, AT_EMPTY_PATH)
 * -> READ 4 KiB -> CLOSE over the next file of the set, one op of a chain
 * in flight at a time (each needs the previous result), for --secs seconds.
 *
 *   bench_raw_fs_ops [--count N] [--depth K] [--secs S] [--smoke]
 */
#define _GNU_SOURCE /* statx, AT_EMPTY_PATH */
#include <fcntl.h>
#include <sys/stat.h>

#include "uring_util.h"

static const char* const W = "fs_ops";
enum { OPEN, STAT, READ, CLOSE };

struct chain {
  int stage, fd;
  long idx;
  char path[BENCH_FS_PATH];
  struct statx stx;
  unsigned char buf[BENCH_FS_FILE];
};

static struct io_uring ring;
static struct bench_files files;
static struct chain* chains;
static long next_file, active;
static uint64_t files_done, deadline;

static void submit_stage(long k) {
  struct chain* c = &chains[k];
  struct io_uring_sqe* sqe = uring_sqe(W, &ring);
  switch (c->stage) {
    case OPEN: io_uring_prep_openat(sqe, AT_FDCWD, c->path, O_RDONLY | O_CLOEXEC, 0); break;
    case STAT: io_uring_prep_statx(sqe, c->fd, "", AT_EMPTY_PATH, STATX_SIZE, &c->stx); break;
    case READ: io_uring_prep_read(sqe, c->fd, c->buf, sizeof c->buf, 0); break;
    case CLOSE: io_uring_prep_close(sqe, c->fd); break;
  }
  io_uring_sqe_set_data64(sqe, (uint64_t)k);
}

static void start(long k) {
  struct chain* c = &chains[k];
  if (bench_now_ns() >= deadline) {
    active--;
    return;
  }
  c->idx = next_file++ % files.count;
  bench_fs_path(&files, c->idx, c->path);
  c->stage = OPEN;
  submit_stage(k);
}

static void on_cqe(void* ctx, uint64_t k, int res) {
  (void)ctx;
  struct chain* c = &chains[k];
  if (res < 0) bench_fail(W, "stage %d of file %ld: %s", c->stage, c->idx, strerror(-res));
  switch (c->stage) {
    case OPEN: c->fd = res; break;
    case STAT:
      if (c->stx.stx_size != BENCH_FS_FILE) bench_fail(W, "file %ld: size %llu", c->idx, (unsigned long long)c->stx.stx_size);
      break;
    case READ:
      if (!bench_fs_check(c->idx, c->buf, res)) bench_fail(W, "wrong data in file %ld", c->idx);
      break;
    case CLOSE:
      files_done++;
      start((long)k);
      return;
  }
  c->stage++;
  submit_stage((long)k);
}

int main(int argc, char** argv) {
  struct bench_args a = {.count = 10000, .secs = 3.0, .depth = 64};
  const struct bench_args smoke = {.smoke = 1, .count = 100, .secs = 0.05, .depth = 4};
  bench_parse(argc, argv, &a, &smoke);
  bench_fs_create(W, &files, a.count);
  chains = (struct chain*)calloc((size_t)a.depth, sizeof *chains);
  if (chains == NULL) bench_fail(W, "out of memory");
  const char* flags = uring_init(W, &ring);
  double secs = uring_run_chains(W, &ring, a.secs, &deadline, a.depth, &active, start, on_cqe);
  io_uring_queue_exit(&ring);
  bench_fs_remove(&files);
  bench_result(W, 4.0 * (double)files_done / secs, "ops/s", "files_per_s=%.1f depth=%ld files=%ld impl=raw ring=%s",
               (double)files_done / secs, a.depth, a.count, flags);
  free(chains);
  return BENCH_OK;
}
