/* tcp_pound: TCP connections set up and torn down per second through uv.h.
 *
 * --conns connectors on the main loop each repeat, for --secs seconds:
 * uv_tcp_connect to 127.0.0.1, write one byte, close on connect + write
 * done. A server loop on a second thread accepts every connection, reads its
 * byte and closes it on EOF. The main value is connections/s completed by the
 * client (connect callback and close callback both ran); the server's accept
 * count must match, so a connection that was never accepted is caught.
 * (libuv's own tcp pound benchmark does the same churn.) Closing from the
 * client leaves its side in TIME_WAIT; Linux reuses those ports on loopback
 * (tcp_tw_reuse), and a run that still runs out gets EADDRNOTAVAIL: a failure.
 *
 *   tcp_pound [--secs S] [--conns N] [--smoke]
 */
#include <stdatomic.h>

#include "bench_uv.h"

static const char* const W = "tcp_pound";

static struct bench_args args = {.secs = 3.0, .conns = 16};
static const struct bench_args smoke = {.smoke = 1, .secs = 0.1, .conns = 2};

/* --- server: accept, read to EOF, close; stopped by an async from main --- */
struct peer {
  uv_tcp_t tcp;
  char buf[64];
};
static struct {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_async_t stop;
  pthread_t thread;
  struct bench_gate gate;
  atomic_long accepted;
  long open_peers;
} srv = {.gate = BENCH_GATE_INIT};

static void peer_closed(uv_handle_t* h) {
  free(h);
  srv.open_peers--;
}

static void peer_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)suggested;
  struct peer* p = (struct peer*)h;
  *buf = uv_buf_init(p->buf, sizeof p->buf);
}

static void peer_read(uv_stream_t* st, ssize_t n, const uv_buf_t* buf) {
  (void)buf;
  if (n >= 0) return;
  /* EOF, or the client's close raced our read (ECONNRESET): done either way. */
  if (n != UV_EOF && n != UV_ECONNRESET) bench_fail(W, "server read: %s", uv_err_name((int)n));
  uv_close((uv_handle_t*)st, peer_closed);
}

static void on_connection(uv_stream_t* l, int status) {
  if (status < 0) bench_fail(W, "listen cb: %s", uv_err_name(status));
  struct peer* p = (struct peer*)malloc(sizeof *p);
  if (p == NULL) bench_fail(W, "out of memory");
  BENCH_UV(W, uv_tcp_init(l->loop, &p->tcp));
  BENCH_UV(W, uv_accept(l, (uv_stream_t*)&p->tcp));
  srv.open_peers++;
  atomic_fetch_add_explicit(&srv.accepted, 1, memory_order_relaxed);
  BENCH_UV(W, uv_read_start((uv_stream_t*)&p->tcp, peer_alloc, peer_read));
}

static void on_stop(uv_async_t* a) {
  uv_close((uv_handle_t*)&srv.listener, NULL);
  uv_close((uv_handle_t*)a, NULL);
}

static void* server_main(void* arg) {
  (void)arg;
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int len = sizeof bound;
  BENCH_UV(W, uv_loop_init(&srv.loop));
  BENCH_UV(W, uv_async_init(&srv.loop, &srv.stop, on_stop));
  BENCH_UV(W, uv_tcp_init(&srv.loop, &srv.listener));
  BENCH_UV(W, uv_ip4_addr("127.0.0.1", 0, &addr));
  BENCH_UV(W, uv_tcp_bind(&srv.listener, (const struct sockaddr*)&addr, 0));
  BENCH_UV(W, uv_listen((uv_stream_t*)&srv.listener, 1024, on_connection));
  BENCH_UV(W, uv_tcp_getsockname(&srv.listener, (struct sockaddr*)&bound, &len));
  bench_gate_open(&srv.gate, ntohs(((struct sockaddr_in*)&bound)->sin_port));
  bench_uv_finish(W, &srv.loop); /* ends once stopped and every peer saw EOF */
  return NULL;
}

/* --- client: connect, write one byte, close, again --- */
struct conn {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_write_t wreq;
};
static uv_loop_t loop;
static int port;
static uint64_t t_start, deadline;
static long done, active;

static void dial(struct conn* c);

static void conn_closed(uv_handle_t* h) {
  struct conn* c = (struct conn*)h;
  done++;
  if (bench_now_ns() < deadline) dial(c);
  else active--;
}

static void on_written(uv_write_t* req, int status) {
  struct conn* c = BENCH_CONTAINER(req, struct conn, wreq);
  if (status < 0) bench_fail(W, "client write: %s", uv_err_name(status));
  uv_close((uv_handle_t*)&c->tcp, conn_closed);
}

static void on_connect(uv_connect_t* req, int status) {
  struct conn* c = BENCH_CONTAINER(req, struct conn, creq);
  if (status < 0) bench_fail(W, "connect: %s", uv_err_name(status));
  uv_buf_t b = uv_buf_init("x", 1);
  BENCH_UV(W, uv_write(&c->wreq, (uv_stream_t*)&c->tcp, &b, 1, on_written));
}

static void dial(struct conn* c) {
  BENCH_UV(W, uv_tcp_init(&loop, &c->tcp));
  bench_connect(W, &c->tcp, &c->creq, port, on_connect);
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  bench_require_tcp(W);
  struct conn* conns = (struct conn*)calloc((size_t)args.conns, sizeof *conns);
  if (conns == NULL) bench_fail(W, "out of memory");
  if (pthread_create(&srv.thread, NULL, server_main, NULL) != 0) bench_fail(W, "pthread_create");
  port = (int)bench_gate_wait(&srv.gate);
  BENCH_UV(W, uv_loop_init(&loop));
  t_start = bench_now_ns();
  deadline = t_start + (uint64_t)(args.secs * 1e9);
  active = args.conns;
  for (long i = 0; i < args.conns; ++i) dial(&conns[i]);
  BENCH_UV(W, uv_run(&loop, UV_RUN_DEFAULT));
  double secs = (double)(bench_now_ns() - t_start) / 1e9;
  bench_uv_finish(W, &loop);
  /* Connections the client finished may still wait in the listen queue. */
  for (int i = 0; i < 10000 && atomic_load(&srv.accepted) < done; ++i) usleep(1000);
  BENCH_UV(W, uv_async_send(&srv.stop));
  pthread_join(srv.thread, NULL);
  long accepted = atomic_load(&srv.accepted);
  if (active != 0 || done == 0 || accepted != done || srv.open_peers != 0)
    bench_fail(W, "%ld connectors active, %ld connections done, %ld accepted, %ld server peers open", active, done,
               accepted, srv.open_peers);
  bench_result(W, (double)done / secs, "conns/s", "conns=%ld impl=%s", args.conns, bench_uv_impl());
  free(conns);
  return BENCH_OK;
}
