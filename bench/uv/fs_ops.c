/* fs_ops: open, fstat, read 4 KiB, close -- over a set of small files, with
 * --depth such chains in flight, for --secs seconds.
 *
 * --count files of 4 KiB (default 10,000) are made before the timed part;
 * each chain takes the next file (cycling over the set), and checks the
 * size fstat reports and every byte read. The main value is ops/s (four per
 * file); files/s is an extra field. libuv runs these on its threadpool.
 *
 *   fs_ops [--count N] [--depth K] [--secs S] [--smoke]
 */
#include "bench_uv.h"

static const char* const W = "fs_ops";

struct chain {
  uv_fs_t req;
  long idx;
  uv_file fd;
  unsigned char buf[BENCH_FS_FILE];
};

static struct bench_args args = {.count = 10000, .secs = 3.0, .depth = 64};
static const struct bench_args smoke = {.smoke = 1, .count = 100, .secs = 0.05, .depth = 4};
static struct bench_files files;
static uv_loop_t loop;
static long next_file, active;
static uint64_t files_done, deadline;

static void on_open(uv_fs_t* req);
static void on_stat(uv_fs_t* req);
static void on_read(uv_fs_t* req);
static void on_close(uv_fs_t* req);

/* The result of a finished request (its resources released). */
static ssize_t take(uv_fs_t* req, const char* what) {
  ssize_t r = req->result;
  struct chain* c = BENCH_CONTAINER(req, struct chain, req);
  if (r < 0) bench_fail(W, "%s of file %ld: %s", what, c->idx, uv_err_name((int)r));
  uv_fs_req_cleanup(req);
  return r;
}

static void start(struct chain* c) {
  char path[BENCH_FS_PATH];
  if (bench_now_ns() >= deadline) {
    active--;
    return;
  }
  c->idx = next_file++ % files.count;
  bench_fs_path(&files, c->idx, path);
  BENCH_UV(W, uv_fs_open(&loop, &c->req, path, O_RDONLY, 0, on_open));
}

static void on_open(uv_fs_t* req) {
  struct chain* c = BENCH_CONTAINER(req, struct chain, req);
  c->fd = (uv_file)take(req, "open");
  BENCH_UV(W, uv_fs_fstat(&loop, &c->req, c->fd, on_stat));
}

static void on_stat(uv_fs_t* req) {
  struct chain* c = BENCH_CONTAINER(req, struct chain, req);
  uint64_t size = req->statbuf.st_size;
  take(req, "fstat");
  if (size != BENCH_FS_FILE) bench_fail(W, "fstat of file %ld: size %llu", c->idx, (unsigned long long)size);
  uv_buf_t b = uv_buf_init((char*)c->buf, sizeof c->buf);
  BENCH_UV(W, uv_fs_read(&loop, &c->req, c->fd, &b, 1, 0, on_read));
}

static void on_read(uv_fs_t* req) {
  struct chain* c = BENCH_CONTAINER(req, struct chain, req);
  if (!bench_fs_check(c->idx, c->buf, (long)take(req, "read"))) bench_fail(W, "wrong data in file %ld", c->idx);
  BENCH_UV(W, uv_fs_close(&loop, &c->req, c->fd, on_close));
}

static void on_close(uv_fs_t* req) {
  struct chain* c = BENCH_CONTAINER(req, struct chain, req);
  take(req, "close");
  files_done++;
  start(c);
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  bench_require_fs(W, &loop);
  bench_fs_create(W, &files, args.count);
  struct chain* chains = (struct chain*)calloc((size_t)args.depth, sizeof *chains);
  if (chains == NULL) bench_fail(W, "out of memory");
  uint64_t t0 = bench_now_ns();
  deadline = t0 + (uint64_t)(args.secs * 1e9);
  active = args.depth;
  for (long i = 0; i < args.depth; ++i) start(&chains[i]);
  BENCH_UV(W, uv_run(&loop, UV_RUN_DEFAULT));
  double secs = (double)(bench_now_ns() - t0) / 1e9;
  bench_uv_finish(W, &loop);
  bench_fs_remove(&files);
  if (active != 0 || files_done == 0) bench_fail(W, "%ld chains still active, %llu files", active,
                                                 (unsigned long long)files_done);
  bench_result(W, 4.0 * (double)files_done / secs, "ops/s", "files_per_s=%.1f depth=%ld files=%ld impl=%s",
               (double)files_done / secs, args.depth, args.count, bench_uv_impl());
  free(chains);
  return BENCH_OK;
}
