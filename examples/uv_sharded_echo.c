/* uv_sharded_echo: a libuv-style TCP echo server on every core, through
 * Veloq's uv extensions (include/veloq/uv_ext.h), and a bounded load client.
 *
 *   uv_sharded_echo [--port P] [--cores N]
 *       echo server on 127.0.0.1:P (default 7000), one uv loop per core, each
 *       with its own SO_REUSEPORT listener; runs until SIGINT / SIGTERM.
 *   uv_sharded_echo --client [--port P] [--cores N] [--conns C] [--secs S]
 *       C connections (default 64) spread over the cores' loops, each sending
 *       64-byte requests and waiting for the echo, for S seconds (default 2);
 *       prints requests/s.
 *   uv_sharded_echo --selftest
 *       both in one process on a free port, briefly (a test).
 *
 * Everything is plain uv.h code on each core's loop; the extensions only
 * start the loops (veloq_uv_percore_start), shard the listener
 * (veloq_uv_tcp_listen_sharded), cross cores (veloq_uv_post), read without
 * a copy (veloq_uv_read_start_fixed: the echo writes the kernel's buffer
 * back) and stop (veloq_uv_percore_join).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "veloq/uv_ext.h"

#define MSG 64
#define MAX_CORES 256

static int fail(const char* what, int err) {
  fprintf(stderr, "uv_sharded_echo: %s: %s\n", what, uv_strerror(err));
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- server ----------------------------------------------------------------- */

struct echo_conn {
  uv_tcp_t tcp;
  uv_write_t wreq;
  veloq_uv_fixed_buf_t buf; /* the received buffer, owned while it is written back */
};

static int server_marker;
static veloq_uv_percore_t* server_pc;
static uv_tcp_t server_listeners[MAX_CORES];
static atomic_long server_accepts[MAX_CORES];

static void echo_closed(uv_handle_t* h) { free(h); }

static void echo_read(uv_stream_t* s, ssize_t n, const veloq_uv_fixed_buf_t* buf);

static void echo_written(uv_write_t* req, int status) {
  struct echo_conn* c = (struct echo_conn*)req->handle;
  veloq_uv_fixed_buf_release(c->tcp.loop, &c->buf); /* the buffer goes back to the loop */
  if (status < 0) {
    if (!uv_is_closing((uv_handle_t*)&c->tcp)) uv_close((uv_handle_t*)&c->tcp, echo_closed);
    return;
  }
  if (!uv_is_closing((uv_handle_t*)&c->tcp)) veloq_uv_read_start_fixed((uv_stream_t*)&c->tcp, echo_read);
}

/* Zero-copy: the kernel's buffer is written straight back, then released. */
static void echo_read(uv_stream_t* s, ssize_t n, const veloq_uv_fixed_buf_t* buf) {
  struct echo_conn* c = (struct echo_conn*)s;
  if (n > 0) {
    uv_buf_t out = uv_buf_init(buf->base, (unsigned)n);
    c->buf = *buf;
    uv_read_stop(s);
    if (uv_write(&c->wreq, s, &out, 1, echo_written) != 0) {
      veloq_uv_fixed_buf_release(s->loop, &c->buf);
      uv_close((uv_handle_t*)s, echo_closed);
    }
  } else if (n < 0 && !uv_is_closing((uv_handle_t*)s)) {
    uv_close((uv_handle_t*)s, echo_closed);
  }
}

static void on_connection(uv_stream_t* server, int status) {
  struct echo_conn* c;
  int core = veloq_uv_percore_self(server_pc);
  if (status < 0) return;
  c = calloc(1, sizeof *c);
  if (c == NULL) return;
  uv_tcp_init(server->loop, &c->tcp);
  c->tcp.data = &server_marker;
  if (uv_accept(server, (uv_stream_t*)&c->tcp) != 0) {
    uv_close((uv_handle_t*)&c->tcp, echo_closed);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  if (core >= 0) atomic_fetch_add(&server_accepts[core], 1);
  veloq_uv_read_start_fixed((uv_stream_t*)&c->tcp, echo_read);
}

/* On each core at stop: close this core's connections (they free themselves);
 * the listener is closed by the stop's walk. */
static void close_echo_conn(uv_handle_t* h, void* arg) {
  (void)arg;
  if (h->data == &server_marker && !uv_is_closing(h)) uv_close(h, echo_closed);
}
static void server_teardown(uv_loop_t* loop, unsigned core, void* arg) {
  (void)core;
  (void)arg;
  uv_walk(loop, close_echo_conn, NULL);
}

/* Returns the bound port. */
static int server_start(int port, unsigned cores) {
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  socklen_t len = sizeof bound;
  uv_os_fd_t fd;
  int r = veloq_uv_percore_start(&server_pc, cores, NULL, server_teardown, NULL);
  if (r != 0) fail("veloq_uv_percore_start", r);
  if (veloq_uv_percore_count(server_pc) > MAX_CORES) fail("cores", UV_EINVAL);
  uv_ip4_addr("127.0.0.1", port, &addr);
  r = veloq_uv_tcp_listen_sharded(server_pc, (const struct sockaddr*)&addr, 1024, server_listeners, on_connection);
  if (r != 0) fail("veloq_uv_tcp_listen_sharded", r);
  /* the fd was set on core 0 before listen_sharded returned */
  uv_fileno((uv_handle_t*)&server_listeners[0], &fd);
  getsockname(fd, (struct sockaddr*)&bound, &len);
  return ntohs(((struct sockaddr_in*)&bound)->sin_port);
}

/* ---- client ----------------------------------------------------------------- */

struct client_conn {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_write_t wreq;
  unsigned core;
  size_t got;
  int writing;
  char out[MSG];
  char in[MSG * 4];
};

struct client_core {
  long conns, closed;
  uint64_t requests;
  uint64_t t_start, t_end;
};

static veloq_uv_percore_t* client_pc;
static struct client_core* client_cores;
static struct client_conn* client_conns;
static long client_nconns;
static unsigned client_ncores;
static int client_port;
static double client_secs;
static atomic_long client_cores_done;
static atomic_long client_errors;

static void client_closed(uv_handle_t* h) {
  struct client_conn* c = (struct client_conn*)h;
  struct client_core* cc = &client_cores[c->core];
  if (++cc->closed == cc->conns) {
    cc->t_end = now_ns();
    atomic_fetch_add(&client_cores_done, 1);
  }
}

static void client_send(struct client_conn* c);

static void client_written(uv_write_t* req, int status) {
  struct client_conn* c = (struct client_conn*)req->handle;
  c->writing = 0;
  if (status < 0) {
    atomic_fetch_add(&client_errors, 1);
    if (!uv_is_closing((uv_handle_t*)&c->tcp)) uv_close((uv_handle_t*)&c->tcp, client_closed);
    return;
  }
  if (c->got == MSG) client_send(c);
}

static void client_send(struct client_conn* c) {
  struct client_core* cc = &client_cores[c->core];
  uv_buf_t b;
  if (now_ns() - cc->t_start >= (uint64_t)(client_secs * 1e9)) {
    uv_close((uv_handle_t*)&c->tcp, client_closed);
    return;
  }
  c->got = 0;
  c->writing = 1;
  memset(c->out, 'a' + (int)(cc->requests % 26), MSG);
  b = uv_buf_init(c->out, MSG);
  if (uv_write(&c->wreq, (uv_stream_t*)&c->tcp, &b, 1, client_written) != 0) {
    atomic_fetch_add(&client_errors, 1);
    uv_close((uv_handle_t*)&c->tcp, client_closed);
  }
}

static void client_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  struct client_conn* c = (struct client_conn*)h;
  (void)size;
  *buf = uv_buf_init(c->in + c->got, (unsigned)(sizeof c->in - c->got));
}

static void client_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct client_conn* c = (struct client_conn*)s;
  (void)buf;
  if (n == 0) return;
  if (n < 0 || c->got + (size_t)n > MSG) {
    atomic_fetch_add(&client_errors, 1);
    if (!uv_is_closing((uv_handle_t*)s)) uv_close((uv_handle_t*)s, client_closed);
    return;
  }
  c->got += (size_t)n;
  if (c->got < MSG) return;
  if (memcmp(c->in, c->out, MSG) != 0) atomic_fetch_add(&client_errors, 1);
  client_cores[c->core].requests++;
  if (!c->writing) client_send(c);
}

static void client_connected(uv_connect_t* req, int status) {
  struct client_conn* c = (struct client_conn*)req->handle;
  struct client_core* cc = &client_cores[c->core];
  if (status < 0) {
    fprintf(stderr, "uv_sharded_echo: connect: %s\n", uv_strerror(status));
    atomic_fetch_add(&client_errors, 1);
    uv_close((uv_handle_t*)&c->tcp, client_closed);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start((uv_stream_t*)&c->tcp, client_alloc, client_read);
  if (cc->t_start == 0) cc->t_start = now_ns();
  client_send(c);
}

/* Posted to each core: open its share of the connections. */
static void client_start_core(uv_loop_t* loop, void* arg) {
  unsigned core = (unsigned)(uintptr_t)arg;
  struct sockaddr_in addr;
  uv_ip4_addr("127.0.0.1", client_port, &addr);
  if (client_cores[core].conns == 0) {
    atomic_fetch_add(&client_cores_done, 1);
    return;
  }
  for (long i = core; i < client_nconns; i += client_ncores) {
    struct client_conn* c = &client_conns[i];
    c->core = core;
    uv_tcp_init(loop, &c->tcp);
    if (uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr*)&addr, client_connected) != 0) {
      atomic_fetch_add(&client_errors, 1);
      uv_close((uv_handle_t*)&c->tcp, client_closed);
    }
  }
}

/* Returns the requests/s over every core, or -1 on an error. */
static double client_run(int port, unsigned cores, long nconns, double secs) {
  double rate = 0;
  int r = veloq_uv_percore_start(&client_pc, cores, NULL, NULL, NULL);
  if (r != 0) fail("veloq_uv_percore_start", r);
  client_ncores = veloq_uv_percore_count(client_pc);
  client_nconns = nconns;
  client_port = port;
  client_secs = secs;
  client_cores = calloc(client_ncores, sizeof *client_cores);
  client_conns = calloc((size_t)nconns, sizeof *client_conns);
  if (client_cores == NULL || client_conns == NULL) fail("calloc", UV_ENOMEM);
  for (unsigned i = 0; i < client_ncores; i++)
    for (long k = i; k < nconns; k += client_ncores) client_cores[i].conns++;
  for (unsigned i = 0; i < client_ncores; i++) veloq_uv_post(client_pc, i, client_start_core, (void*)(uintptr_t)i);
  while (atomic_load(&client_cores_done) < (long)client_ncores) usleep(1000);
  r = veloq_uv_percore_join(client_pc);
  if (r != 0) fail("veloq_uv_percore_join (client)", r);
  for (unsigned i = 0; i < client_ncores; i++) {
    struct client_core* cc = &client_cores[i];
    if (cc->conns > 0 && cc->t_end > cc->t_start && cc->t_start != 0)
      rate += (double)cc->requests / ((double)(cc->t_end - cc->t_start) / 1e9);
  }
  free(client_conns);
  free(client_cores);
  return atomic_load(&client_errors) ? -1 : rate;
}

/* ---- main ------------------------------------------------------------------- */

int main(int argc, char** argv) {
  int port = 7000, client = 0, selftest = 0;
  unsigned cores = 0;
  long conns = 64;
  double secs = 2;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--client") == 0) client = 1;
    else if (strcmp(a, "--selftest") == 0) selftest = 1;
    else if (strcmp(a, "--port") == 0 && v) port = atoi(argv[++i]);
    else if (strcmp(a, "--cores") == 0 && v) cores = (unsigned)atoi(argv[++i]);
    else if (strcmp(a, "--conns") == 0 && v) conns = atol(argv[++i]);
    else if (strcmp(a, "--secs") == 0 && v) secs = atof(argv[++i]);
    else {
      fprintf(stderr, "usage: %s [--client] [--selftest] [--port P] [--cores N] [--conns C] [--secs S]\n", argv[0]);
      return 2;
    }
  }
  if (conns < 1 || conns > 100000 || secs <= 0 || secs > 3600 || port < 0 || port > 65535) {
    fprintf(stderr, "uv_sharded_echo: bad --conns / --secs / --port\n");
    return 2;
  }
  if (selftest) {
    int p = server_start(0, cores);
    double rate = client_run(p, cores, 8, 0.3);
    unsigned n = veloq_uv_percore_count(server_pc);
    int r = veloq_uv_percore_join(server_pc);
    printf("selftest: %.0f requests/s over %u cores\n", rate, n);
    return rate > 0 && r == 0 ? 0 : 1;
  }
  if (client) {
    double rate = client_run(port, cores, conns, secs);
    if (rate < 0) {
      fprintf(stderr, "uv_sharded_echo: client errors\n");
      return 1;
    }
    printf("%.0f requests/s (%ld connections, %.1f s)\n", rate, conns, secs);
    return 0;
  }
  {
    sigset_t set;
    int sig = 0, p;
    unsigned n;
    /* the core threads inherit the mask: the signal comes to sigwait */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    p = server_start(port, cores);
    n = veloq_uv_percore_count(server_pc);
    printf("echo server on 127.0.0.1:%d, %u cores (Ctrl-C stops)\n", p, n);
    fflush(stdout);
    sigwait(&set, &sig);
    for (unsigned i = 0; i < n; i++) printf("core %u: %ld connections\n", i, atomic_load(&server_accepts[i]));
    return veloq_uv_percore_join(server_pc) == 0 ? 0 : 1;
  }
}
