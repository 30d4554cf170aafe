/* pipe_pump: bytes per second one way through a pipe, uv.h on both ends.
 *
 * uv_pipe() makes a pipe(2) pair; the read end goes to a uv_pipe_t on a
 * second thread's loop (a sink that counts and checks bytes), the write end
 * to a uv_pipe_t on the main loop, which keeps --depth 64 KiB uv_writes in
 * flight for --secs seconds, then closes (the reader sees EOF). Main value:
 * MB/s (10^6) at the reader, first byte to last.
 *
 *   pipe_pump [--depth K] [--secs S] [--smoke]
 */
#include "bench_uv.h"

static const char* const W = "pipe_pump";

static struct bench_args args = {.secs = 3.0, .depth = 4};
static const struct bench_args smoke = {.smoke = 1, .secs = 0.05, .depth = 2};

/* Every byte of the stream is (offset * 7) mod 251, so the sink catches a
 * lost, repeated or reordered chunk. */
static unsigned char pattern_at(uint64_t off) { return (unsigned char)((off * 7) % 251); }

/* --- reader (second thread) --- */
static struct {
  uv_loop_t loop;
  uv_pipe_t pipe;
  uint64_t bytes, first_ns, last_ns;
  int eof;
  char buf[BENCH_PUMP_CHUNK];
} rd;

static void rd_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  (void)suggested;
  *buf = uv_buf_init(rd.buf, sizeof rd.buf);
}

static void rd_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  if (n < 0) {
    if (n != UV_EOF) bench_fail(W, "pipe read: %s", uv_err_name((int)n));
    rd.eof = 1;
    uv_close((uv_handle_t*)s, NULL);
    return;
  }
  uint64_t now = bench_now_ns();
  if (rd.bytes == 0) rd.first_ns = now;
  rd.last_ns = now;
  /* Spot-check the first, middle and last byte of each read. */
  size_t k[3] = {0, (size_t)n / 2, (size_t)n - 1};
  for (int i = 0; i < 3 && n > 0; ++i)
    if ((unsigned char)buf->base[k[i]] != pattern_at(rd.bytes + k[i])) bench_fail(W, "wrong byte at %llu",
                                                                                 (unsigned long long)(rd.bytes + k[i]));
  rd.bytes += (uint64_t)n;
}

static void* reader_main(void* arg) {
  uv_file fd = (uv_file)(intptr_t)arg;
  BENCH_UV(W, uv_pipe_open(&rd.pipe, fd));
  BENCH_UV(W, uv_read_start((uv_stream_t*)&rd.pipe, rd_alloc, rd_read));
  bench_uv_finish(W, &rd.loop);
  return NULL;
}

/* --- writer (main loop) --- */
struct wreq {
  uv_write_t req;
};
/* The pattern has period 251: every chunk is a window into one table, so
 * writing costs no fill loop (the first version filled each chunk byte by
 * byte and measured that: 70% of its samples). */
enum { PERIOD = 251 };
static unsigned char table[PERIOD + BENCH_PUMP_CHUNK];
static uv_loop_t loop;
static uv_pipe_t wpipe;
static uint64_t deadline, sent;
static long active;

static void wr_next(struct wreq* w);

static void written(uv_write_t* req, int status) {
  if (status < 0) bench_fail(W, "pipe write: %s", uv_err_name(status));
  wr_next(BENCH_CONTAINER(req, struct wreq, req));
}

static void wr_next(struct wreq* w) {
  if (bench_now_ns() >= deadline) {
    if (--active == 0) uv_close((uv_handle_t*)&wpipe, NULL);
    return;
  }
  uv_buf_t b = uv_buf_init((char*)table + sent % PERIOD, BENCH_PUMP_CHUNK);
  sent += BENCH_PUMP_CHUNK;
  BENCH_UV(W, uv_write(&w->req, (uv_stream_t*)&wpipe, &b, 1, written));
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  for (size_t i = 0; i < sizeof table; ++i) table[i] = pattern_at(i);
  uv_file fds[2];
  BENCH_UV(W, uv_loop_init(&loop));
  BENCH_UV(W, uv_pipe_init(&loop, &wpipe, 0));
  BENCH_UV(W, uv_pipe(fds, 0, 0));
  BENCH_UV(W, uv_pipe_open(&wpipe, fds[1]));
  BENCH_UV(W, uv_loop_init(&rd.loop));
  BENCH_UV(W, uv_pipe_init(&rd.loop, &rd.pipe, 0));
  pthread_t th;
  if (pthread_create(&th, NULL, reader_main, (void*)(intptr_t)fds[0]) != 0) bench_fail(W, "pthread_create");
  struct wreq* ws = (struct wreq*)calloc((size_t)args.depth, sizeof *ws);
  if (ws == NULL) bench_fail(W, "out of memory");
  deadline = bench_now_ns() + (uint64_t)(args.secs * 1e9);
  active = args.depth;
  for (long i = 0; i < args.depth; ++i) wr_next(&ws[i]);
  bench_uv_finish(W, &loop);
  pthread_join(th, NULL);
  if (!rd.eof || rd.bytes != sent || rd.bytes == 0) bench_fail(W, "read %llu of %llu bytes, eof %d",
                                                               (unsigned long long)rd.bytes, (unsigned long long)sent, rd.eof);
  double secs = (double)(rd.last_ns - rd.first_ns) / 1e9;
  bench_result(W, (double)rd.bytes / (secs > 0 ? secs : 1e-9) / 1e6, "MB/s", "bytes=%llu depth=%ld impl=%s",
               (unsigned long long)rd.bytes, args.depth, bench_uv_impl());
  free(ws);
  return BENCH_OK;
}
