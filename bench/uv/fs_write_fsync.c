/* fs_write_fsync: durable appends -- write 4 KiB, then fdatasync, repeat.
 *
 * --depth files (default 1), each with its own chain: uv_fs_write of 4 KiB at
 * the file's end, then uv_fs_fdatasync, for --secs seconds. Main value:
 * durable writes/s over all chains (one write + one fdatasync each). The
 * files' sizes are checked at the end (sync fstat) against the writes done.
 * On a VM disk this mostly measures the disk's flush; the runtime's share is
 * the part that differs between the two builds.
 *
 *   fs_write_fsync [--depth K] [--secs S] [--smoke]
 */
#include "bench_uv.h"

static const char* const W = "fs_write_fsync";

struct chain {
  uv_fs_t fs;
  uv_file fd;
  int64_t size;
  char path[BENCH_FS_PATH];
};

static struct bench_args args = {.secs = 3.0, .depth = 1};
static const struct bench_args smoke = {.smoke = 1, .secs = 0.05, .depth = 2};
static uv_loop_t loop;
static unsigned char block[BENCH_FS_FILE];
static uint64_t deadline, writes;
static long active;

static void on_write(uv_fs_t* fs);
static void on_sync(uv_fs_t* fs);

static ssize_t take(uv_fs_t* fs, const char* what) {
  ssize_t r = fs->result;
  uv_fs_req_cleanup(fs);
  if (r < 0) bench_fail(W, "%s: %s", what, uv_err_name((int)r));
  return r;
}

static void step(struct chain* c) {
  if (bench_now_ns() >= deadline) {
    active--;
    return;
  }
  uv_buf_t b = uv_buf_init((char*)block, sizeof block);
  BENCH_UV(W, uv_fs_write(&loop, &c->fs, c->fd, &b, 1, c->size, on_write));
}

static void on_write(uv_fs_t* fs) {
  struct chain* c = BENCH_CONTAINER(fs, struct chain, fs);
  if (take(fs, "write") != (ssize_t)sizeof block) bench_fail(W, "short write");
  c->size += (int64_t)sizeof block;
  BENCH_UV(W, uv_fs_fdatasync(&loop, &c->fs, c->fd, on_sync));
}

static void on_sync(uv_fs_t* fs) {
  struct chain* c = BENCH_CONTAINER(fs, struct chain, fs);
  take(fs, "fdatasync");
  writes++;
  step(c);
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  uv_fs_t probe;
  bench_require_fs(W, &loop);
  memset(block, 'w', sizeof block);
  struct chain* cs = (struct chain*)calloc((size_t)args.depth, sizeof *cs);
  if (cs == NULL) bench_fail(W, "out of memory");
  for (long i = 0; i < args.depth; ++i) cs[i].fd = bench_temp_file(W, "sync", cs[i].path);
  uint64_t t0 = bench_now_ns();
  deadline = t0 + (uint64_t)(args.secs * 1e9);
  active = args.depth;
  for (long i = 0; i < args.depth; ++i) step(&cs[i]);
  BENCH_UV(W, uv_run(&loop, UV_RUN_DEFAULT));
  double secs = (double)(bench_now_ns() - t0) / 1e9;
  int64_t total = 0;
  for (long i = 0; i < args.depth; ++i) {
    BENCH_UV(W, uv_fs_fstat(&loop, &probe, cs[i].fd, NULL));
    if ((int64_t)probe.statbuf.st_size != cs[i].size) bench_fail(W, "file %ld: size %lld, wrote %lld", i,
                                                                 (long long)probe.statbuf.st_size, (long long)cs[i].size);
    uv_fs_req_cleanup(&probe);
    total += cs[i].size;
    close(cs[i].fd);
    unlink(cs[i].path);
  }
  bench_uv_finish(W, &loop);
  if (active != 0 || writes == 0 || total != (int64_t)(writes * sizeof block))
    bench_fail(W, "%ld chains active, %llu writes", active, (unsigned long long)writes);
  bench_result(W, (double)writes / secs, "writes/s", "depth=%ld impl=%s", args.depth, bench_uv_impl());
  free(cs);
  return BENCH_OK;
}
