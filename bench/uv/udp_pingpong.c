/* udp_pingpong: 64-byte datagram round trips over 127.0.0.1 through uv.h.
 *
 * N client UDP handles on the main loop, each doing sequential round trips
 * (send a 64-byte datagram, wait for it to come back, check it, repeat)
 * against an echo handle on a second thread's loop, for --secs seconds. When
 * its time is up a client sends a 3-byte "bye"; the echo loop ends after N
 * of them. Prints round trips/s (all clients) and the p50/p99 latency of a
 * round trip. Nothing is lost on loopback with one datagram in flight per
 * client; a guard timer fails the run if a reply never comes.
 *
 * --one-loop puts the echo handle on the clients' loop (no second thread).
 *
 *   udp_pingpong [--secs S] [--conns N] [--one-loop] [--smoke]
 */
#include "bench_uv.h"

static const char* const W = "udp_pingpong";

struct client {
  uv_udp_t udp;
  uv_udp_send_t sreq;
  long id;
  int sending;    /* sreq in use */
  int echoed;     /* the current trip's echo arrived */
  uint64_t trip;
  uint64_t sent_ns;
  unsigned char out[BENCH_MSG];
  unsigned char in[BENCH_ECHO_BUF];
};

static struct bench_args args = {.secs = 5.0, .conns = 1};
static const struct bench_args smoke = {.smoke = 1, .secs = 0.1, .conns = 2};
static struct bench_hist hist;
static long finished;
static uint64_t t_start, t_end, trips;
static struct client* clients;
static struct sockaddr_in echo_addr;
static uv_timer_t guard;

/* --- the echo side ------------------------------------------------------------ */

struct echo_slot {
  uv_udp_send_t req;
  struct echo_slot* next;
  char buf[BENCH_ECHO_BUF];
};

struct echo {
  uv_loop_t own_loop;
  uv_udp_t udp;
  struct echo_slot* free_slots;
  long byes;
  int threaded;
  pthread_t thread;
  struct bench_gate gate;
};

static struct echo echo;

static void echo_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h, (void)suggested;
  struct echo_slot* s = echo.free_slots;
  if (s != NULL) echo.free_slots = s->next;
  else s = (struct echo_slot*)malloc(sizeof *s);
  if (s == NULL) {
    *buf = uv_buf_init(NULL, 0); /* recv_cb gets UV_ENOBUFS */
    return;
  }
  *buf = uv_buf_init(s->buf, sizeof s->buf);
}

static void echo_put(struct echo_slot* s) {
  s->next = echo.free_slots;
  echo.free_slots = s;
}

static void echo_closed(uv_handle_t* h) {
  (void)h;
  while (echo.free_slots != NULL) {
    struct echo_slot* s = echo.free_slots;
    echo.free_slots = s->next;
    free(s);
  }
}

static void echo_sent(uv_udp_send_t* req, int status) {
  if (status < 0) bench_fail(W, "echo send: %s", uv_err_name(status));
  echo_put(BENCH_CONTAINER(req, struct echo_slot, req));
}

static void echo_recv(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const struct sockaddr* addr, unsigned flags) {
  struct echo_slot* s = buf->base != NULL ? BENCH_CONTAINER(buf->base, struct echo_slot, buf) : NULL;
  if (n < 0) bench_fail(W, "echo recv: %s", uv_err_name((int)n));
  if (addr == NULL) { /* nothing more this round: the buffer comes back */
    if (s != NULL) echo_put(s);
    return;
  }
  if (flags & UV_UDP_PARTIAL) bench_fail(W, "echo recv: truncated datagram");
  if (n == 3 && memcmp(buf->base, "bye", 3) == 0) {
    echo_put(s);
    if (++echo.byes == args.conns) uv_close((uv_handle_t*)h, echo_closed);
    return;
  }
  uv_buf_t out = uv_buf_init(s->buf, (unsigned)n);
  BENCH_UV(W, uv_udp_send(&s->req, h, &out, 1, addr, echo_sent));
}

static int echo_listen(uv_loop_t* loop) {
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int len = sizeof bound;
  BENCH_UV(W, uv_udp_init(loop, &echo.udp));
  BENCH_UV(W, uv_ip4_addr("127.0.0.1", 0, &addr));
  BENCH_UV(W, uv_udp_bind(&echo.udp, (const struct sockaddr*)&addr, 0));
  BENCH_UV(W, uv_udp_recv_start(&echo.udp, echo_alloc, echo_recv));
  BENCH_UV(W, uv_udp_getsockname(&echo.udp, (struct sockaddr*)&bound, &len));
  return ntohs(((struct sockaddr_in*)&bound)->sin_port);
}

static void* echo_main(void* arg) {
  (void)arg;
  BENCH_UV(W, uv_loop_init(&echo.own_loop));
  bench_gate_open(&echo.gate, echo_listen(&echo.own_loop));
  bench_uv_finish(W, &echo.own_loop);
  return NULL;
}

/* --- the clients ---------------------------------------------------------------- */

static void send_next(struct client* c);

static void client_closed(uv_handle_t* h) {
  (void)h;
  if (++finished == args.conns) {
    t_end = bench_now_ns();
    uv_close((uv_handle_t*)&guard, NULL);
  }
}

static void bye_sent(uv_udp_send_t* req, int status) {
  struct client* c = BENCH_CONTAINER(req, struct client, sreq);
  if (status < 0) bench_fail(W, "client %ld bye: %s", c->id, uv_err_name(status));
  uv_close((uv_handle_t*)&c->udp, client_closed);
}

static void sent(uv_udp_send_t* req, int status) {
  struct client* c = BENCH_CONTAINER(req, struct client, sreq);
  if (status < 0) bench_fail(W, "client %ld send: %s", c->id, uv_err_name(status));
  c->sending = 0;
  if (c->echoed) send_next(c); /* the echo beat the send callback */
}

/* Called when a round trip is complete (or to start the first one). */
static void send_next(struct client* c) {
  uint64_t now = bench_now_ns();
  if (c->trip > 0) {
    bench_hist_add(&hist, now - c->sent_ns);
    trips++;
  }
  if (now - t_start >= (uint64_t)(args.secs * 1e9)) {
    BENCH_UV(W, uv_udp_recv_stop(&c->udp));
    uv_buf_t bye = uv_buf_init("bye", 3);
    BENCH_UV(W, uv_udp_send(&c->sreq, &c->udp, &bye, 1, (const struct sockaddr*)&echo_addr, bye_sent));
    return;
  }
  c->trip++;
  c->echoed = 0;
  c->sending = 1;
  c->sent_ns = now;
  bench_fill_msg(c->out, c->id, c->trip);
  uv_buf_t b = uv_buf_init((char*)c->out, BENCH_MSG);
  BENCH_UV(W, uv_udp_send(&c->sreq, &c->udp, &b, 1, (const struct sockaddr*)&echo_addr, sent));
}

static void alloc_in(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)suggested;
  struct client* c = (struct client*)h;
  *buf = uv_buf_init((char*)c->in, sizeof c->in);
}

static void got_echo(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const struct sockaddr* addr, unsigned flags) {
  (void)buf, (void)flags;
  struct client* c = (struct client*)h;
  if (n < 0) bench_fail(W, "client %ld recv: %s", c->id, uv_err_name((int)n));
  if (addr == NULL) return;
  if (n != BENCH_MSG || memcmp(c->in, c->out, BENCH_MSG) != 0) {
    bench_fail(W, "client %ld: wrong echo at trip %llu", c->id, (unsigned long long)c->trip);
  }
  c->echoed = 1;
  if (!c->sending) send_next(c);
}

static void on_guard(uv_timer_t* t) {
  (void)t;
  bench_fail(W, "no reply for 10 s after the run's end (%llu trips)", (unsigned long long)trips);
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  {
    uv_loop_t probe_loop;
    uv_udp_t probe;
    BENCH_UV(W, uv_loop_init(&probe_loop));
    BENCH_UV(W, uv_udp_init(&probe_loop, &probe));
    uv_close((uv_handle_t*)&probe, NULL);
    bench_uv_finish(W, &probe_loop);
  }
  clients = (struct client*)calloc((size_t)args.conns, sizeof *clients);
  if (clients == NULL) bench_fail(W, "out of memory");
  uv_loop_t loop;
  BENCH_UV(W, uv_loop_init(&loop));
  static const struct bench_gate closed_gate = BENCH_GATE_INIT;
  echo.gate = closed_gate;
  int port;
  if (args.one_loop) {
    port = echo_listen(&loop);
  } else {
    echo.threaded = 1;
    if (pthread_create(&echo.thread, NULL, echo_main, NULL) != 0) bench_fail(W, "pthread_create");
    port = (int)bench_gate_wait(&echo.gate);
  }
  BENCH_UV(W, uv_ip4_addr("127.0.0.1", port, &echo_addr));
  BENCH_UV(W, uv_timer_init(&loop, &guard));
  BENCH_UV(W, uv_timer_start(&guard, on_guard, (uint64_t)(args.secs * 1000) + 10000, 0));
  uv_unref((uv_handle_t*)&guard);
  for (long i = 0; i < args.conns; ++i) {
    clients[i].id = i;
    BENCH_UV(W, uv_udp_init(&loop, &clients[i].udp));
    BENCH_UV(W, uv_udp_recv_start(&clients[i].udp, alloc_in, got_echo)); /* binds 0.0.0.0:<any> */
  }
  t_start = bench_now_ns();
  for (long i = 0; i < args.conns; ++i) send_next(&clients[i]);
  bench_uv_finish(W, &loop);
  if (echo.threaded) pthread_join(echo.thread, NULL);
  if (finished != args.conns || trips == 0) {
    bench_fail(W, "%ld of %ld clients finished, %llu trips", finished, args.conns, (unsigned long long)trips);
  }
  double secs = (double)(t_end - t_start) / 1e9;
  bench_result(W, (double)trips / secs, "trips/s", "conns=%ld loops=%d p50_us=%.1f p99_us=%.1f impl=%s", args.conns,
               args.one_loop ? 1 : 2, bench_hist_quantile(&hist, 0.50) / 1e3,
               bench_hist_quantile(&hist, 0.99) / 1e3, bench_uv_impl());
  free(clients);
  return BENCH_OK;
}
