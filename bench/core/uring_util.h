/* uring_util.h -- the raw liburing floor: sockets and a ring, no runtime.
 *
 * The bench/core/uring_* programs do what the Veloq core and uv programs do,
 * with plain io_uring SEND/RECV and nothing in between: the cost floor for
 * the same sequence of operations. The server (echo or sink) is a second
 * thread with its own ring; setup (listen, connect, accept) uses plain
 * blocking syscalls since it is not measured.
 *
 * Ring flags: SINGLE_ISSUER|DEFER_TASKRUN where the kernel has them (as
 * Veloq's uring driver prefers), else COOP_TASKRUN, else none.
 */
#ifndef VELOQ_BENCH_URING_UTIL_H
#define VELOQ_BENCH_URING_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

/* Returns the name of the flags the ring got (printed in the result line). */
static inline const char* uring_init(const char* workload, struct io_uring* ring) {
  static const struct {
    unsigned flags;
    const char* name;
  } tries[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "single_issuer+defer_taskrun"},
      {IORING_SETUP_COOP_TASKRUN, "coop_taskrun"},
      {0, "none"},
  };
  int rc = -EINVAL;
  for (size_t i = 0; i < sizeof tries / sizeof tries[0]; ++i) {
    rc = io_uring_queue_init(256, ring, tries[i].flags);
    if (rc == 0) return tries[i].name;
  }
  bench_fail(workload, "io_uring_queue_init: %s", strerror(-rc));
  return NULL;
}

/* An SQE, submitting queued ones first if the SQ is full. */
static inline struct io_uring_sqe* uring_sqe(const char* workload, struct io_uring* ring) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(ring);
  if (sqe == NULL) {
    io_uring_submit(ring);
    sqe = io_uring_get_sqe(ring);
  }
  if (sqe == NULL) bench_fail(workload, "no SQE");
  return sqe;
}

/* user_data: connection index and which op (recv 0, send 1). */
static inline uint64_t uring_tag(long conn, int is_send) { return ((uint64_t)conn << 1) | (uint64_t)is_send; }

static inline void uring_recv(const char* w, struct io_uring* ring, int fd, void* buf, size_t len, long conn) {
  struct io_uring_sqe* sqe = uring_sqe(w, ring);
  io_uring_prep_recv(sqe, fd, buf, len, 0);
  io_uring_sqe_set_data64(sqe, uring_tag(conn, 0));
}

static inline void uring_send(const char* w, struct io_uring* ring, int fd, const void* buf, size_t len, long conn) {
  struct io_uring_sqe* sqe = uring_sqe(w, ring);
  io_uring_prep_send(sqe, fd, buf, len, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, uring_tag(conn, 1));
}

/* Submit what is queued, wait for at least one completion, and hand every
 * completion available to `on_cqe` (one io_uring_enter per batch). */
typedef void (*uring_handler)(void* ctx, uint64_t user_data, int res);

static inline void uring_reap(const char* w, struct io_uring* ring, uring_handler on_cqe, void* ctx) {
  int rc = io_uring_submit_and_wait(ring, 1);
  if (rc < 0 && rc != -EINTR) bench_fail(w, "io_uring_submit_and_wait: %s", strerror(-rc));
  unsigned head, seen = 0;
  struct io_uring_cqe* cqe;
  io_uring_for_each_cqe(ring, head, cqe) {
    on_cqe(ctx, cqe->user_data, cqe->res);
    seen++;
  }
  io_uring_cq_advance(ring, seen);
}

/* Start `n` chains (start(0..n-1)); each ends by decrementing *active once
 * the clock passes *deadline (set here to now + secs). Reaps until none is
 * active; returns the elapsed seconds. */
static inline double uring_run_chains(const char* w, struct io_uring* ring, double secs, uint64_t* deadline, long n,
                                      long* active, void (*start)(long), uring_handler on_cqe) {
  uint64_t t0 = bench_now_ns();
  *deadline = t0 + (uint64_t)(secs * 1e9);
  *active = n;
  for (long i = 0; i < n; ++i) start(i);
  while (*active > 0) uring_reap(w, ring, on_cqe, NULL);
  return (double)(bench_now_ns() - t0) / 1e9;
}

/* --- blocking socket setup ----------------------------------------------------- */

static inline int uring_listen(const char* w, int* port) {
  struct sockaddr_in a = {0};
  socklen_t len = sizeof a;
  int one = 1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr*)&a, sizeof a) < 0 || listen(fd, 1024) < 0 ||
      getsockname(fd, (struct sockaddr*)&a, &len) < 0)
    bench_fail(w, "listen on 127.0.0.1: %s", strerror(errno));
  *port = ntohs(a.sin_port);
  return fd;
}

/* TCP_NODELAY and the benchmark's congestion control (bench_tcp_tune). */
static inline const char* uring_tune(const char* w, int fd) {
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) bench_fail(w, "TCP_NODELAY: %s", strerror(errno));
  return bench_tcp_tune(fd);
}

static inline int uring_connect(const char* w, int port) {
  struct sockaddr_in a = {0};
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  if (fd < 0 || connect(fd, (struct sockaddr*)&a, sizeof a) < 0) bench_fail(w, "connect: %s", strerror(errno));
  (void)uring_tune(w, fd);
  return fd;
}

/* --- the server ---------------------------------------------------------------------
 * Accepts `conns` connections (blocking accept), then serves them all on one
 * ring: echo (recv, send the bytes back, recv again) or sink (count, recv
 * again). Done when every connection has reached EOF. Runs on its own thread
 * and ring, or (--one-loop) on the client's ring: its user_data then carry
 * connection numbers from URING_SERVER_BASE up, and the client's completion
 * handler passes those to uring_server_cqe. */
enum { URING_SERVER_BASE = 1 << 30 };

static inline int uring_is_server(uint64_t user_data) { return (user_data >> 1) >= URING_SERVER_BASE; }

struct uring_conn {
  int fd;
  size_t len, sent; /* echo: bytes in buf, bytes of them sent */
  char buf[BENCH_PUMP_CHUNK];
};

struct uring_server {
  const char* workload;
  int echo;
  long conns;
  int listen_fd;
  int threaded;
  pthread_t thread;
  struct io_uring own_ring; /* when threaded */
  struct io_uring* ring;
  struct uring_conn* c;
  long open_conns;
  /* results (sink) */
  uint64_t bytes, first_ns, last_ns;
};

static inline void uring_server_cqe(void* ctx, uint64_t user_data, int res) {
  struct uring_server* s = (struct uring_server*)ctx;
  const char* w = s->workload;
  if (!uring_is_server(user_data)) bench_fail(w, "a client completion reached the server");
  long tag = (long)(user_data >> 1);
  struct uring_conn* k = &s->c[tag - URING_SERVER_BASE];
  int is_send = (int)(user_data & 1);
  if (res < 0) bench_fail(w, "server %s: %s", is_send ? "send" : "recv", strerror(-res));
  if (is_send) {
    k->sent += (size_t)res;
    if (k->sent < k->len) uring_send(w, s->ring, k->fd, k->buf + k->sent, k->len - k->sent, tag);
    else uring_recv(w, s->ring, k->fd, k->buf, sizeof k->buf, tag);
  } else if (res == 0) {
    close(k->fd);
    s->open_conns--;
  } else if (s->echo) {
    k->len = (size_t)res;
    k->sent = 0;
    uring_send(w, s->ring, k->fd, k->buf, k->len, tag);
  } else {
    uint64_t now = bench_now_ns();
    if (s->bytes == 0) s->first_ns = now;
    s->last_ns = now;
    s->bytes += (uint64_t)res;
    uring_recv(w, s->ring, k->fd, k->buf, sizeof k->buf, tag);
  }
}

/* Accept every connection and post its first recv (on s->ring). One-loop
 * clients call this after connecting; the server thread does itself. */
static inline void uring_server_accept(struct uring_server* s) {
  const char* w = s->workload;
  s->c = (struct uring_conn*)calloc((size_t)s->conns, sizeof *s->c);
  if (s->c == NULL) bench_fail(w, "out of memory");
  for (long i = 0; i < s->conns; ++i) {
    s->c[i].fd = accept(s->listen_fd, NULL, NULL);
    if (s->c[i].fd < 0) bench_fail(w, "accept: %s", strerror(errno));
    (void)uring_tune(w, s->c[i].fd);
    uring_recv(w, s->ring, s->c[i].fd, s->c[i].buf, sizeof s->c[i].buf, URING_SERVER_BASE + i);
  }
  close(s->listen_fd);
  s->open_conns = s->conns;
}

static inline void* uring_server_main(void* arg) {
  struct uring_server* s = (struct uring_server*)arg;
  (void)uring_init(s->workload, s->ring);
  uring_server_accept(s);
  while (s->open_conns > 0) uring_reap(s->workload, s->ring, uring_server_cqe, s);
  io_uring_queue_exit(s->ring);
  return NULL;
}

/* Listen; then either start the server thread, or (shared_ring) leave the
 * accepting to the client (uring_server_accept). Returns the port. */
static inline int uring_server_start(struct uring_server* s, const char* workload, int echo, long conns,
                                     struct io_uring* shared_ring) {
  int port = 0;
  memset(s, 0, sizeof *s);
  s->workload = workload;
  s->echo = echo;
  s->conns = conns;
  s->listen_fd = uring_listen(workload, &port);
  s->ring = shared_ring != NULL ? shared_ring : &s->own_ring;
  s->threaded = shared_ring == NULL;
  if (s->threaded && pthread_create(&s->thread, NULL, uring_server_main, s) != 0) bench_fail(workload, "pthread_create");
  return port;
}

/* After the client closed its connections: the server sees every EOF. */
static inline void uring_server_join(struct uring_server* s) {
  if (s->threaded) pthread_join(s->thread, NULL);
  else
    while (s->open_conns > 0) uring_reap(s->workload, s->ring, uring_server_cqe, s);
  free(s->c);
}

#endif /* VELOQ_BENCH_URING_UTIL_H */
