/* tcp_pingpong: 64-byte round trips over 127.0.0.1 through uv.h.
 *
 * N client connections on the main loop, each doing sequential round trips
 * (send 64 bytes, wait for all 64 echoed back, check them, repeat) against an
 * echo server loop on a second thread, for --secs seconds after every
 * connection is up. Prints round trips/s (all connections) and the p50/p99
 * of the per-round-trip latency.
 *
 * --one-loop puts the echo server on the client's loop (no second thread).
 *
 *   tcp_pingpong [--secs S] [--conns N] [--one-loop] [--smoke]
 */
#include "bench_uv.h"

static const char* const W = "tcp_pingpong";

struct conn {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_write_t wreq;
  long id;
  int writing;    /* wreq in use */
  size_t got;     /* bytes of the current echo received */
  uint64_t trip;  /* current round trip */
  uint64_t sent_ns;
  unsigned char out[BENCH_MSG];
  unsigned char in[BENCH_ECHO_BUF]; /* room for more than asked: an over-long echo is caught */
};

static struct bench_args args = {.secs = 5.0, .conns = 1};
static const struct bench_args smoke = {.smoke = 1, .secs = 0.1, .conns = 2};
static struct bench_hist hist;
static long connected;
static long finished;
static uint64_t t_start, t_end, trips;
static struct conn* conns;
static const char* cc = "?";

static void send_next(struct conn* c);

static void written(uv_write_t* req, int status) {
  struct conn* c = BENCH_CONTAINER(req, struct conn, wreq);
  if (status < 0) bench_fail(W, "write: %s", uv_err_name(status));
  c->writing = 0;
  if (c->got == BENCH_MSG) send_next(c); /* the echo beat the write callback */
}

static void closed(uv_handle_t* h) {
  (void)h;
  if (++finished == args.conns) t_end = bench_now_ns();
}

/* Called when a round trip is complete (or to start the first one). */
static void send_next(struct conn* c) {
  uint64_t now = bench_now_ns();
  if (c->trip > 0) {
    bench_hist_add(&hist, now - c->sent_ns);
    trips++;
  }
  if (now - t_start >= (uint64_t)(args.secs * 1e9)) {
    uv_close((uv_handle_t*)&c->tcp, closed);
    return;
  }
  c->trip++;
  c->got = 0;
  c->writing = 1;
  c->sent_ns = now;
  bench_fill_msg(c->out, c->id, c->trip);
  uv_buf_t b = uv_buf_init((char*)c->out, BENCH_MSG);
  BENCH_UV(W, uv_write(&c->wreq, (uv_stream_t*)&c->tcp, &b, 1, written));
}

static void alloc_in(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)suggested;
  struct conn* c = (struct conn*)h;
  *buf = uv_buf_init((char*)c->in + c->got, (unsigned)(sizeof c->in - c->got));
}

static void got_echo(uv_stream_t* st, ssize_t n, const uv_buf_t* buf) {
  (void)buf;
  struct conn* c = (struct conn*)st;
  if (n == 0) return;
  if (n < 0) bench_fail(W, "conn %ld read: %s", c->id, uv_err_name((int)n));
  c->got += (size_t)n;
  if (c->got < BENCH_MSG) return;
  if (c->got > BENCH_MSG || memcmp(c->in, c->out, BENCH_MSG) != 0) bench_fail(W, "conn %ld: wrong echo at trip %llu", c->id,
                                                        (unsigned long long)c->trip);
  if (!c->writing) send_next(c);
}

static void on_connect(uv_connect_t* req, int status) {
  struct conn* c = BENCH_CONTAINER(req, struct conn, creq);
  if (status < 0) bench_fail(W, "connect: %s", uv_err_name(status));
  cc = bench_uv_tune(W, &c->tcp);
  BENCH_UV(W, uv_read_start((uv_stream_t*)&c->tcp, alloc_in, got_echo));
  if (++connected < args.conns) return;
  t_start = bench_now_ns(); /* every connection is up: start them together */
  for (long i = 0; i < args.conns; ++i) send_next(&conns[i]);
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  bench_require_tcp(W);
  static struct bench_server srv;
  conns = (struct conn*)calloc((size_t)args.conns, sizeof *conns);
  if (conns == NULL) bench_fail(W, "out of memory");
  uv_loop_t loop;
  BENCH_UV(W, uv_loop_init(&loop));
  int port = bench_server_start(&srv, W, BENCH_ECHO, args.conns, args.one_loop ? &loop : NULL);
  for (long i = 0; i < args.conns; ++i) {
    conns[i].id = i;
    BENCH_UV(W, uv_tcp_init(&loop, &conns[i].tcp));
    bench_connect(W, &conns[i].tcp, &conns[i].creq, port, on_connect);
  }
  bench_uv_finish(W, &loop);
  bench_server_join(&srv);
  if (finished != args.conns || trips == 0) bench_fail(W, "%ld of %ld connections finished, %llu trips", finished,
                                                       args.conns, (unsigned long long)trips);
  double secs = (double)(t_end - t_start) / 1e9;
  bench_result(W, (double)trips / secs, "trips/s", "conns=%ld loops=%d p50_us=%.1f p99_us=%.1f cpu_s=%.2f cc=%s impl=%s",
               args.conns, args.one_loop ? 1 : 2, bench_hist_quantile(&hist, 0.50) / 1e3,
               bench_hist_quantile(&hist, 0.99) / 1e3, bench_cpu_secs(), cc, bench_uv_impl());
  free(conns);
  return BENCH_OK;
}
