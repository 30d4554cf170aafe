/* bench_uv.h -- uv.h helpers shared by the bench/uv programs.
 *
 * Compiled against whichever uv.h the build picked (the system libuv's or
 * Veloq's), so only libuv 1.44 API is used here.
 *
 * The TCP workloads run a server loop on its own thread (like libuv's own
 * benchmarks, whose servers are separate helpers) and the client loop on the
 * main thread, over 127.0.0.1 -- or, with --one-loop, the server on the
 * client's loop. The server is an echo server (ping-pong) or a sink that
 * counts bytes (pump); it accepts the expected number of connections, closes
 * its listener, and is done when every connection has seen EOF.
 */
#ifndef VELOQ_BENCH_UV_H
#define VELOQ_BENCH_UV_H

#include <stddef.h>
#include <uv.h>

#include "bench_util.h"

/* Veloq's library defines this probe; the real libuv does not (weak: NULL). */
extern const char* veloq_uv_implementation(void) __attribute__((weak));

static inline const char* bench_uv_impl(void) {
  return veloq_uv_implementation != NULL ? veloq_uv_implementation() : "libuv";
}

/* Check a uv call: UV_ENOSYS means the implementation lacks it (exit 2),
 * any other error is a failure (exit 1). */
#define BENCH_UV(workload, call)                                                   \
  do {                                                                             \
    int bench_rc_ = (call);                                                        \
    if (bench_rc_ == UV_ENOSYS) bench_unsupported((workload), #call ":ENOSYS");    \
    if (bench_rc_ < 0) bench_fail((workload), "%s: %s", #call, uv_err_name(bench_rc_)); \
  } while (0)

#define BENCH_CONTAINER(ptr, type, field) ((type*)((char*)(ptr) - offsetof(type, field)))

/* Run a loop until nothing is left, then close it (fails on a leaked handle). */
static inline void bench_uv_finish(const char* workload, uv_loop_t* loop) {
  uv_run(loop, UV_RUN_DEFAULT);
  BENCH_UV(workload, uv_loop_close(loop));
}

/* Initialise `loop` and check the implementation has uv fs at all (one sync
 * stat): exits 2 (unsupported) on UV_ENOSYS before the workload starts. */
static inline void bench_require_fs(const char* workload, uv_loop_t* loop) {
  uv_fs_t probe;
  BENCH_UV(workload, uv_loop_init(loop));
  BENCH_UV(workload, uv_fs_stat(loop, &probe, "/", NULL));
  uv_fs_req_cleanup(&probe);
}

/* TCP on this implementation? Exits 2 (unsupported) before any thread starts
 * if uv_tcp_init says UV_ENOSYS. */
static inline void bench_require_tcp(const char* workload) {
  uv_loop_t loop;
  uv_tcp_t probe;
  BENCH_UV(workload, uv_loop_init(&loop));
  BENCH_UV(workload, uv_tcp_init(&loop, &probe));
  uv_close((uv_handle_t*)&probe, NULL);
  bench_uv_finish(workload, &loop);
}

/* TCP_NODELAY and the benchmark's congestion control (bench_tcp_tune) on a
 * connected handle; returns the congestion control it got. */
static inline const char* bench_uv_tune(const char* workload, uv_tcp_t* tcp) {
  uv_os_fd_t fd;
  BENCH_UV(workload, uv_tcp_nodelay(tcp, 1));
  BENCH_UV(workload, uv_fileno((uv_handle_t*)tcp, &fd));
  return bench_tcp_tune(fd);
}

/* --- the server thread ---------------------------------------------------------- */

enum bench_server_mode { BENCH_ECHO, BENCH_SINK };

struct bench_server {
  const char* workload;
  enum bench_server_mode mode;
  long expect_conns;
  /* results, read after bench_server_join */
  long accepted;
  uint64_t bytes;     /* received (sink) */
  uint64_t first_ns;  /* first byte received (sink) */
  uint64_t last_ns;   /* last byte received (sink) */
  /* private */
  uv_loop_t own_loop; /* when on its own thread */
  uv_tcp_t listener;
  int threaded;
  pthread_t thread;
  struct bench_gate gate;
  char sink_buf[BENCH_PUMP_CHUNK];
};

/* Echo: each read lands in a slot whose buffer is written straight back; the
 * slot returns to its connection's free list when the write completes. */
struct bench_echo_slot {
  uv_write_t req;
  struct bench_echo_slot* next;
  char buf[BENCH_ECHO_BUF];
};
struct bench_conn {
  uv_tcp_t tcp;
  struct bench_server* srv;
  struct bench_echo_slot* free_slots;
};

static inline void bench_slot_put(struct bench_conn* c, struct bench_echo_slot* s) {
  s->next = c->free_slots;
  c->free_slots = s;
}

static inline void bench_conn_closed(uv_handle_t* h) {
  struct bench_conn* c = (struct bench_conn*)h;
  while (c->free_slots != NULL) {
    struct bench_echo_slot* s = c->free_slots;
    c->free_slots = s->next;
    free(s);
  }
  free(c);
}

static inline void bench_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)suggested;
  struct bench_conn* c = (struct bench_conn*)h;
  if (c->srv->mode == BENCH_SINK) {
    *buf = uv_buf_init(c->srv->sink_buf, sizeof c->srv->sink_buf);
    return;
  }
  struct bench_echo_slot* s = c->free_slots;
  if (s != NULL) c->free_slots = s->next;
  else s = (struct bench_echo_slot*)malloc(sizeof *s);
  if (s == NULL) { /* libuv reports UV_ENOBUFS to read_cb for an empty buffer */
    *buf = uv_buf_init(NULL, 0);
    return;
  }
  *buf = uv_buf_init(s->buf, sizeof s->buf);
}

static inline void bench_echoed(uv_write_t* req, int status) {
  struct bench_conn* c = (struct bench_conn*)req->handle;
  bench_slot_put(c, BENCH_CONTAINER(req, struct bench_echo_slot, req));
  if (status < 0 && !uv_is_closing((uv_handle_t*)&c->tcp)) uv_close((uv_handle_t*)&c->tcp, bench_conn_closed);
}

static inline void bench_read(uv_stream_t* st, ssize_t n, const uv_buf_t* buf) {
  struct bench_conn* c = (struct bench_conn*)st;
  struct bench_server* srv = c->srv;
  struct bench_echo_slot* s =
      (srv->mode == BENCH_ECHO && buf->base != NULL) ? BENCH_CONTAINER(buf->base, struct bench_echo_slot, buf) : NULL;
  if (n > 0 && srv->mode == BENCH_SINK) {
    uint64_t now = bench_now_ns();
    if (srv->bytes == 0) srv->first_ns = now;
    srv->last_ns = now;
    srv->bytes += (uint64_t)n;
    return;
  }
  if (n > 0) {
    uv_buf_t out = uv_buf_init(s->buf, (unsigned)n);
    int rc = uv_write(&s->req, st, &out, 1, bench_echoed);
    if (rc < 0) bench_fail(srv->workload, "server uv_write: %s", uv_err_name(rc));
    return;
  }
  if (s != NULL) bench_slot_put(c, s);
  if (n < 0) { /* EOF or error: this connection is done */
    if (n != UV_EOF) fprintf(stderr, "%s: server read: %s\n", srv->workload, uv_err_name((int)n));
    if (!uv_is_closing((uv_handle_t*)st)) uv_close((uv_handle_t*)st, bench_conn_closed);
  }
}

static inline void bench_accept(uv_stream_t* l, int status) {
  struct bench_server* srv = BENCH_CONTAINER(l, struct bench_server, listener);
  if (status < 0) bench_fail(srv->workload, "listen cb: %s", uv_err_name(status));
  struct bench_conn* c = (struct bench_conn*)calloc(1, sizeof *c);
  if (c == NULL) bench_fail(srv->workload, "out of memory");
  c->srv = srv;
  BENCH_UV(srv->workload, uv_tcp_init(l->loop, &c->tcp));
  BENCH_UV(srv->workload, uv_accept(l, (uv_stream_t*)&c->tcp));
  (void)bench_uv_tune(srv->workload, &c->tcp);
  BENCH_UV(srv->workload, uv_read_start((uv_stream_t*)&c->tcp, bench_alloc, bench_read));
  if (++srv->accepted == srv->expect_conns) uv_close((uv_handle_t*)l, NULL);
}

/* Listen on 127.0.0.1:0 with `loop`; returns the port. */
static inline int bench_server_listen(struct bench_server* srv, uv_loop_t* loop) {
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int len = sizeof bound;
  BENCH_UV(srv->workload, uv_tcp_init(loop, &srv->listener));
  BENCH_UV(srv->workload, uv_ip4_addr("127.0.0.1", 0, &addr));
  BENCH_UV(srv->workload, uv_tcp_bind(&srv->listener, (const struct sockaddr*)&addr, 0));
  BENCH_UV(srv->workload, uv_listen((uv_stream_t*)&srv->listener, 1024, bench_accept));
  BENCH_UV(srv->workload, uv_tcp_getsockname(&srv->listener, (struct sockaddr*)&bound, &len));
  return ntohs(((struct sockaddr_in*)&bound)->sin_port);
}

static inline void* bench_server_main(void* arg) {
  struct bench_server* srv = (struct bench_server*)arg;
  BENCH_UV(srv->workload, uv_loop_init(&srv->own_loop));
  bench_gate_open(&srv->gate, bench_server_listen(srv, &srv->own_loop));
  bench_uv_finish(srv->workload, &srv->own_loop);
  return NULL;
}

/* Start the server: on `shared_loop` (the caller runs it) if not NULL, else
 * on its own thread and loop. Returns its port on 127.0.0.1. */
static inline int bench_server_start(struct bench_server* srv, const char* workload, enum bench_server_mode mode,
                                     long conns, uv_loop_t* shared_loop) {
  static const struct bench_gate closed_gate = BENCH_GATE_INIT;
  memset(srv, 0, offsetof(struct bench_server, sink_buf));
  srv->workload = workload;
  srv->mode = mode;
  srv->expect_conns = conns;
  srv->gate = closed_gate;
  if (shared_loop != NULL) return bench_server_listen(srv, shared_loop);
  srv->threaded = 1;
  if (pthread_create(&srv->thread, NULL, bench_server_main, srv) != 0) bench_fail(workload, "pthread_create");
  return (int)bench_gate_wait(&srv->gate);
}

/* After the client loop ended: wait for the server thread (if any). */
static inline void bench_server_join(struct bench_server* srv) {
  if (srv->threaded) pthread_join(srv->thread, NULL);
}

/* Start connecting `tcp` (initialised by the caller) to 127.0.0.1:port. */
static inline void bench_connect(const char* workload, uv_tcp_t* tcp, uv_connect_t* req, int port,
                                 uv_connect_cb cb) {
  struct sockaddr_in addr;
  BENCH_UV(workload, uv_ip4_addr("127.0.0.1", port, &addr));
  BENCH_UV(workload, uv_tcp_connect(req, tcp, (const struct sockaddr*)&addr, cb));
}

#endif /* VELOQ_BENCH_UV_H */
