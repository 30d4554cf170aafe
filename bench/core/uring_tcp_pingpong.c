/* raw liburing tcp_pingpong: the floor for bench/uv/tcp_pingpong.c.
 *
 * The same sequence per connection as the uv and core programs (send 64
 * bytes; when sent, recv until the 64 bytes are back; check; repeat), with
 * plain io_uring SEND/RECV on one ring and no runtime. All connections'
 * completions are reaped in batches (one io_uring_enter per batch).
 *
 * --one-loop serves the echo side on the same ring and thread.
 *
 *   bench_raw_tcp_pingpong [--secs S] [--conns N] [--one-loop] [--smoke]
 */
#include "uring_util.h"

static const char* const W = "tcp_pingpong";

struct conn {
  int fd;
  int sending;
  size_t sent, got;
  uint64_t trip, t0;
  unsigned char out[BENCH_MSG];
  unsigned char in[BENCH_ECHO_BUF];
};

static struct io_uring ring;
static struct uring_server srv;
static struct conn* conns;
static struct bench_hist hist;
static uint64_t trips, deadline;
static long active;

static void start_trip(long i) {
  struct conn* c = &conns[i];
  c->t0 = bench_now_ns();
  if (c->t0 >= deadline) {
    shutdown(c->fd, SHUT_WR);
    active--;
    return;
  }
  c->trip++;
  c->sent = c->got = 0;
  bench_fill_msg(c->out, i, c->trip);
  uring_send(W, &ring, c->fd, c->out, BENCH_MSG, i);
}

static void on_cqe(void* ctx, uint64_t user_data, int res) {
  (void)ctx;
  if (uring_is_server(user_data)) { /* --one-loop: the echo server shares the ring */
    uring_server_cqe(&srv, user_data, res);
    return;
  }
  long i = (long)(user_data >> 1);
  struct conn* c = &conns[i];
  if (res <= 0) bench_fail(W, "conn %ld %s: %s", i, (user_data & 1) ? "send" : "recv", res ? strerror(-res) : "EOF");
  if (user_data & 1) {
    c->sent += (size_t)res;
    if (c->sent < BENCH_MSG) uring_send(W, &ring, c->fd, c->out + c->sent, BENCH_MSG - c->sent, i);
    else uring_recv(W, &ring, c->fd, c->in, sizeof c->in, i);
    return;
  }
  if (c->got + (size_t)res > BENCH_MSG || memcmp(c->in, c->out + c->got, (size_t)res) != 0)
    bench_fail(W, "conn %ld: wrong echo at trip %llu", i, (unsigned long long)c->trip);
  c->got += (size_t)res;
  if (c->got < BENCH_MSG) {
    uring_recv(W, &ring, c->fd, c->in, sizeof c->in, i);
    return;
  }
  bench_hist_add(&hist, bench_now_ns() - c->t0);
  trips++;
  start_trip(i);
}

int main(int argc, char** argv) {
  struct bench_args a = {.secs = 5.0, .conns = 1};
  const struct bench_args smoke = {.smoke = 1, .secs = 0.1, .conns = 2};
  bench_parse(argc, argv, &a, &smoke);
  const char* flags = uring_init(W, &ring);
  int port = uring_server_start(&srv, W, 1, a.conns, a.one_loop ? &ring : NULL);
  conns = (struct conn*)calloc((size_t)a.conns, sizeof *conns);
  if (conns == NULL) bench_fail(W, "out of memory");
  for (long i = 0; i < a.conns; ++i) conns[i].fd = uring_connect(W, port);
  if (a.one_loop) uring_server_accept(&srv);
  const char* cc = bench_tcp_tune(conns[0].fd); /* already tuned: reads back what it got */
  double secs = uring_run_chains(W, &ring, a.secs, &deadline, a.conns, &active, start_trip, on_cqe);
  uring_server_join(&srv);
  for (long i = 0; i < a.conns; ++i) close(conns[i].fd);
  io_uring_queue_exit(&ring);
  if (trips == 0) bench_fail(W, "no round trip completed");
  bench_result(W, (double)trips / secs, "trips/s", "conns=%ld loops=%d p50_us=%.1f p99_us=%.1f cc=%s impl=raw ring=%s",
               a.conns, a.one_loop ? 1 : 2,
               bench_hist_quantile(&hist, 0.50) / 1e3, bench_hist_quantile(&hist, 0.99) / 1e3, cc, flags);
  free(conns);
  return BENCH_OK;
}
