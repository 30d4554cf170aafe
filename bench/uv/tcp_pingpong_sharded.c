/* tcp_pingpong_sharded: tcp_pingpong with a uv loop on every core (Veloq only).
 *
 * The uv extensions (include/veloq/uv_ext.h) start one loop per core
 * (veloq_uv_percore_start); an echo server listens on every core
 * (veloq_uv_tcp_listen_sharded: SO_REUSEPORT, one listener per core, steered
 * to the connecting core with SO_INCOMING_CPU unless --hash: see
 * bench_percore.h) and every core's loop also runs its share of the N client
 * connections (conn i on core i % cores), each doing sequential 64-byte round
 * trips as tcp_pingpong does, for --secs seconds after that core's
 * connections are up. Prints round trips/s summed over the cores, and the
 * p50/p99 latency; `local=` counts the connections served on the core that
 * opened them.
 *
 * libuv has no such API, so this is built only against Veloq
 * (bench_uv_tcp_pingpong_sharded_veloq); bench/run puts it next to libuv's
 * single-loop tcp_pingpong (--one-loop) at the same total connections, and
 * next to that program run as one process per core (bench_nproc).
 *
 * --acceptor: the alternative to SO_REUSEPORT, for comparison: one listening
 * socket, accepted on core 0 (a uv_poll + accept4) and each fd handed round
 * robin to a core with veloq_uv_post, which uv_tcp_open()s it there.
 *
 *   tcp_pingpong_sharded [--secs S] [--conns N] [--threads CORES] [--acceptor] [--hash] [--smoke]
 */
#define _GNU_SOURCE /* accept4 */
#include <stdatomic.h>
#include <sys/socket.h>

#include "bench_percore.h"

static const char* const W = "tcp_pingpong_sharded";

struct conn {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_write_t wreq;
  unsigned core;
  long id;
  int port; /* local port, for the locality count */
  int writing;
  size_t got;
  uint64_t trip;
  uint64_t sent_ns;
  unsigned char out[BENCH_MSG];
  unsigned char in[BENCH_ECHO_BUF];
};

/* Everything a core's loop touches, written only on its thread (read by main
 * after the core's `done` store / the join). */
struct core_state {
  struct bench_server srv; /* the echo server's part (mode, workload) for bench_read */
  long nconns, connected, finished;
  uint64_t t_start, t_end, trips;
  struct bench_hist hist;
  const char* cc;
};

static struct bench_args args = {.secs = 5.0, .conns = 16};
static const struct bench_args smoke = {.smoke = 1, .secs = 0.1, .conns = 4};
static veloq_uv_percore_t* pc;
static unsigned ncores;
static struct core_state* cores;
static struct conn* conns;
static uv_tcp_t listeners[BENCH_MAX_CORES];
static int port;
static atomic_long cores_done;
static int acceptor_mode;
static int acceptor_fd = -1;
static uv_poll_t acceptor_poll;
static unsigned acceptor_next;

static void send_next(struct conn* c);

static void written(uv_write_t* req, int status) {
  struct conn* c = BENCH_CONTAINER(req, struct conn, wreq);
  if (status < 0) bench_fail(W, "write: %s", uv_err_name(status));
  c->writing = 0;
  if (c->got == BENCH_MSG) send_next(c);
}

static void closed(uv_handle_t* h) {
  struct conn* c = (struct conn*)h;
  struct core_state* cs = &cores[c->core];
  if (++cs->finished == cs->nconns) {
    cs->t_end = bench_now_ns();
    atomic_fetch_add(&cores_done, 1);
  }
}

static void send_next(struct conn* c) {
  struct core_state* cs = &cores[c->core];
  uint64_t now = bench_now_ns();
  if (c->trip > 0) {
    bench_hist_add(&cs->hist, now - c->sent_ns);
    cs->trips++;
  }
  if (now - cs->t_start >= (uint64_t)(args.secs * 1e9)) {
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
  if (c->got > BENCH_MSG || memcmp(c->in, c->out, BENCH_MSG) != 0)
    bench_fail(W, "conn %ld: wrong echo at trip %llu", c->id, (unsigned long long)c->trip);
  if (!c->writing) send_next(c);
}

static void on_connect(uv_connect_t* req, int status) {
  struct conn* c = BENCH_CONTAINER(req, struct conn, creq);
  struct core_state* cs = &cores[c->core];
  if (status < 0) bench_fail(W, "connect: %s", uv_err_name(status));
  cs->cc = bench_uv_tune(W, &c->tcp);
  c->port = bench_tcp_port(W, &c->tcp, 0);
  BENCH_UV(W, uv_read_start((uv_stream_t*)&c->tcp, alloc_in, got_echo));
  if (++cs->connected < cs->nconns) return;
  cs->t_start = bench_now_ns(); /* this core's connections are up: start them together */
  for (long i = c->core; i < args.conns; i += ncores) send_next(&conns[i]);
}

/* The echo server's accept, on the listener's core (bench_read echoes). */
static void on_accept(uv_stream_t* l, int status) {
  int core = veloq_uv_percore_self(pc);
  bench_percore_accept(W, l, status, core, core >= 0 ? &cores[core].srv : NULL, &cores, bench_read);
}

/* --acceptor: serve an accepted fd on this core. */
static void adopt_fd(uv_loop_t* loop, void* arg) {
  int core = veloq_uv_percore_self(pc);
  struct bench_conn* c = (struct bench_conn*)calloc(1, sizeof *c);
  if (c == NULL) bench_fail(W, "out of memory");
  c->srv = &cores[core].srv;
  BENCH_UV(W, uv_tcp_init(loop, &c->tcp));
  c->tcp.data = &cores;
  BENCH_UV(W, uv_tcp_open(&c->tcp, (uv_os_sock_t)(intptr_t)arg));
  (void)bench_uv_tune(W, &c->tcp);
  bench_percore_served(W, &c->tcp, core);
  BENCH_UV(W, uv_read_start((uv_stream_t*)&c->tcp, bench_alloc, bench_read));
}

static void on_acceptable(uv_poll_t* h, int status, int events) {
  (void)events;
  if (status < 0) bench_fail(W, "acceptor poll: %s", uv_err_name(status));
  for (;;) {
    int fd = accept4(acceptor_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) break;
    unsigned core = acceptor_next++ % ncores;
    if (core == 0) adopt_fd(h->loop, (void*)(intptr_t)fd);
    else BENCH_UV(W, veloq_uv_post(pc, core, adopt_fd, (void*)(intptr_t)fd));
  }
}

static void start_acceptor(uv_loop_t* loop, void* arg) {
  (void)arg;
  BENCH_UV(W, uv_poll_init(loop, &acceptor_poll, acceptor_fd));
  BENCH_UV(W, uv_poll_start(&acceptor_poll, UV_READABLE, on_acceptable));
}

/* Posted to each core: connect its share of the clients. */
static void start_clients(uv_loop_t* loop, void* arg) {
  unsigned core = (unsigned)(uintptr_t)arg;
  if (cores[core].nconns == 0) {
    atomic_fetch_add(&cores_done, 1);
    return;
  }
  for (long i = core; i < args.conns; i += ncores) {
    conns[i].id = i;
    conns[i].core = core;
    BENCH_UV(W, uv_tcp_init(loop, &conns[i].tcp));
    bench_connect(W, &conns[i].tcp, &conns[i].creq, port, on_connect);
  }
}

int main(int argc, char** argv) {
  int hash = bench_percore_hash_flag(&argc, argv);
  int kept = 1;
  for (int i = 1; i < argc; i++) { /* --acceptor is ours; bench_parse does not know it */
    if (strcmp(argv[i], "--acceptor") == 0) acceptor_mode = 1;
    else argv[kept++] = argv[i];
  }
  argc = kept;
  bench_parse(argc, argv, &args, &smoke);
  bench_require_tcp(W);
  ncores = bench_percore_start(W, &pc, args.threads, &cores); /* server conns' data: &cores */
  if (args.conns < (long)ncores) args.conns = ncores;
  cores = (struct core_state*)calloc(ncores, sizeof *cores);
  conns = (struct conn*)calloc((size_t)args.conns, sizeof *conns);
  if (cores == NULL || conns == NULL) bench_fail(W, "out of memory");
  for (unsigned i = 0; i < ncores; i++) {
    cores[i].srv.workload = W;
    cores[i].srv.mode = BENCH_ECHO;
    cores[i].cc = "?";
    for (long k = i; k < args.conns; k += ncores) cores[i].nconns++;
  }
  if (acceptor_mode) {
    struct sockaddr_in addr;
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    BENCH_UV(W, uv_ip4_addr("127.0.0.1", 0, &addr));
    acceptor_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (acceptor_fd < 0 || bind(acceptor_fd, (const struct sockaddr*)&addr, sizeof addr) != 0 ||
        listen(acceptor_fd, 1024) != 0 || getsockname(acceptor_fd, (struct sockaddr*)&bound, &len) != 0)
      bench_fail(W, "acceptor socket");
    port = ntohs(((struct sockaddr_in*)&bound)->sin_port);
    BENCH_UV(W, veloq_uv_post(pc, 0, start_acceptor, NULL));
  } else {
    port = bench_percore_listen(W, pc, listeners, on_accept, hash);
  }
  for (unsigned i = 0; i < ncores; i++) BENCH_UV(W, veloq_uv_post(pc, i, start_clients, (void*)(uintptr_t)i));
  while (atomic_load(&cores_done) < (long)ncores) usleep(1000);
  BENCH_UV(W, veloq_uv_percore_join(pc));
  if (acceptor_fd >= 0) close(acceptor_fd); /* its poll handle was closed by the stop */
  double rate = 0;
  uint64_t trips = 0;
  long local = 0;
  for (long i = 0; i < args.conns; i++) local += bench_percore_local(conns[i].port, conns[i].core);
  struct bench_hist* all = (struct bench_hist*)calloc(1, sizeof *all);
  if (all == NULL) bench_fail(W, "out of memory");
  for (unsigned i = 0; i < ncores; i++) {
    struct core_state* cs = &cores[i];
    if (cs->nconns == 0) continue;
    if (cs->trips == 0) bench_fail(W, "core %u made no round trip", i);
    rate += (double)cs->trips / ((double)(cs->t_end - cs->t_start) / 1e9);
    trips += cs->trips;
    for (int b = 0; b < BENCH_HIST_BUCKETS; b++) all->counts[b] += cs->hist.counts[b];
    all->total += cs->hist.total;
  }
  bench_result(W, rate, "trips/s",
               "conns=%ld loops=%u acceptor=%d local=%ld steered=%d p50_us=%.1f p99_us=%.1f cpu_s=%.2f cc=%s impl=%s",
               args.conns, ncores, acceptor_mode, local, !hash && !acceptor_mode, bench_hist_quantile(all, 0.50) / 1e3,
               bench_hist_quantile(all, 0.99) / 1e3, bench_cpu_secs(), cores[0].cc, bench_uv_impl());
  free(all);
  free(conns);
  free(cores);
  return BENCH_OK;
}
