/* fs_read_seq: one big file read sequentially with 64 KiB requests.
 *
 * A file of --count MiB (default 1024 = 1 GiB) is written before the timed
 * part (so it sits in the page cache: this measures the runtime's cost per
 * request, not the disk). Then the file is read from start to end with
 * --depth 64 KiB uv_fs_read requests in flight at consecutive offsets, over
 * and over for --secs seconds. Every block carries its own index, checked on
 * arrival. Main value: MB/s (10^6 bytes); requests/s is an extra field.
 *
 *   fs_read_seq [--count MiB] [--depth K] [--secs S] [--smoke]
 */
#include "bench_uv.h"

static const char* const W = "fs_read_seq";
enum { BLOCK = 64 * 1024 };

struct req {
  uv_fs_t fs;
  int64_t off;
  unsigned char buf[BLOCK];
};

static struct bench_args args = {.count = 1024, .secs = 3.0, .depth = 4};
static const struct bench_args smoke = {.smoke = 1, .count = 4, .secs = 0.05, .depth = 2};
static uv_loop_t loop;
static uv_file fd = -1;
static int64_t file_size, next_off;
static uint64_t deadline, bytes, reqs;
static long active;

/* Block i is filled with 8-byte copies of i. */
static void fill_block(unsigned char* b, uint64_t i) {
  for (size_t k = 0; k < BLOCK; k += sizeof i) memcpy(b + k, &i, sizeof i);
}
static int block_ok(const unsigned char* b, uint64_t i) {
  uint64_t first;
  memcpy(&first, b, sizeof first);
  return first == i && memcmp(b, b + sizeof i, BLOCK - sizeof i) == 0;
}

static void on_read(uv_fs_t* fs);

static void issue(struct req* r) {
  if (bench_now_ns() >= deadline) {
    active--;
    return;
  }
  if (next_off >= file_size) next_off = 0; /* wrap: read the file again */
  r->off = next_off;
  next_off += BLOCK;
  uv_buf_t b = uv_buf_init((char*)r->buf, BLOCK);
  BENCH_UV(W, uv_fs_read(&loop, &r->fs, fd, &b, 1, r->off, on_read));
}

static void on_read(uv_fs_t* fs) {
  struct req* r = BENCH_CONTAINER(fs, struct req, fs);
  ssize_t n = fs->result;
  uv_fs_req_cleanup(fs);
  if (n != BLOCK) bench_fail(W, "read at %lld: %s", (long long)r->off, n < 0 ? uv_err_name((int)n) : "short");
  if (!block_ok(r->buf, (uint64_t)r->off / BLOCK)) bench_fail(W, "wrong data at %lld", (long long)r->off);
  bytes += BLOCK;
  reqs++;
  issue(r);
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  bench_require_fs(W, &loop);

  char path[BENCH_FS_PATH];
  int wfd = bench_temp_file(W, "seq", path);
  static unsigned char block[BLOCK];
  file_size = (int64_t)args.count * 1024 * 1024;
  for (int64_t off = 0; off < file_size; off += BLOCK) {
    fill_block(block, (uint64_t)off / BLOCK);
    if (write(wfd, block, BLOCK) != BLOCK) bench_fail(W, "write %s: %s", path, strerror(errno));
  }
  close(wfd);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) bench_fail(W, "open %s: %s", path, strerror(errno));

  struct req* rs = (struct req*)calloc((size_t)args.depth, sizeof *rs);
  if (rs == NULL) bench_fail(W, "out of memory");
  uint64_t t0 = bench_now_ns();
  deadline = t0 + (uint64_t)(args.secs * 1e9);
  active = args.depth;
  for (long i = 0; i < args.depth; ++i) issue(&rs[i]);
  BENCH_UV(W, uv_run(&loop, UV_RUN_DEFAULT));
  double secs = (double)(bench_now_ns() - t0) / 1e9;
  bench_uv_finish(W, &loop);
  close(fd);
  unlink(path);
  if (active != 0 || reqs == 0) bench_fail(W, "%ld requests still active, %llu done", active, (unsigned long long)reqs);
  bench_result(W, (double)bytes / secs / 1e6, "MB/s", "reqs_per_s=%.1f depth=%ld file_mib=%ld impl=%s",
               (double)reqs / secs, args.depth, args.count, bench_uv_impl());
  free(rs);
  return BENCH_OK;
}
