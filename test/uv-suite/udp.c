/* uv_udp_t over 127.0.0.1 / ::1: binding, sending, receiving, connected
 * handles, send queues, recvmmsg batches, errors. Every case runs on one
 * loop in one thread; a guard timer bounds each run so a lost callback
 * fails instead of hanging. Options, multicast, socketpair and socket
 * buffer sizes are in udp_options.c. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "suite.h"

/* ------------------------------------------------------------------ helpers */

static uv_loop_t loop;
static uv_timer_t guard;
static int guard_fired;

static void on_guard(uv_timer_t* t) {
  (void)t;
  guard_fired = 1;
  uv_stop(&loop);
}

static void setup_loop(void) {
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_timer_init(&loop, &guard), 0);
  assert_int_equal(uv_timer_start(&guard, on_guard, 10000, 0), 0);
  uv_unref((uv_handle_t*)&guard);
  guard_fired = 0;
}

static int closes;
static void on_closed(uv_handle_t* h) {
  (void)h;
  closes++;
}

static void finish_loop(void) {
  uv_close((uv_handle_t*)&guard, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static struct sockaddr_in addr4(const char* ip, int port) {
  struct sockaddr_in a;
  assert_int_equal(uv_ip4_addr(ip, port, &a), 0);
  return a;
}

static struct sockaddr_in6 addr6(const char* ip, int port) {
  struct sockaddr_in6 a;
  assert_int_equal(uv_ip6_addr(ip, port, &a), 0);
  return a;
}

static int port_of(const uv_udp_t* u) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  assert_int_equal(uv_udp_getsockname(u, (struct sockaddr*)&ss, &len), 0);
  if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6*)&ss)->sin6_port);
  return ntohs(((struct sockaddr_in*)&ss)->sin_port);
}

static int have_ipv6(void) {
  struct sockaddr_in6 a;
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  int ok;
  if (fd < 0) return 0;
  uv_ip6_addr("::1", 0, &a);
  ok = bind(fd, (struct sockaddr*)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

/* A port on 127.0.0.1 nobody listens on (bound once, then released). */
static int dead_port(void) {
  struct sockaddr_in a = addr4("127.0.0.1", 0);
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  assert_true(fd >= 0);
  assert_int_equal(bind(fd, (struct sockaddr*)&a, sizeof a), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr*)&a, &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

/* Receiving side: counts every callback; keeps the last datagram. */
struct rx {
  int allocs;
  int recvs;        /* recv_cb calls, all kinds */
  int datagrams;    /* nread >= 0 with an address */
  int empties;      /* nread 0, addr NULL, no flags: nothing more to read */
  int errors;
  int last_err;
  int partials;
  int chunks;       /* UV_UDP_MMSG_CHUNK */
  int frees;        /* UV_UDP_MMSG_FREE */
  size_t bytes;
  char last[128];
  ssize_t last_len;
  struct sockaddr_storage from;
  size_t alloc_size;  /* 0: the suggested size */
  int empty_allocs;   /* hand out this many empty buffers first */
  int stop_after;     /* recv_stop after this many datagrams (0: never) */
  int close_after;    /* uv_close after this many datagrams (0: never) */
  int after_close;    /* callbacks after close / stop */
  int stopped;
  size_t suggested;
};

static void rx_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  struct rx* r = h->data;
  size_t n = r->alloc_size ? r->alloc_size : suggested;
  r->allocs++;
  r->suggested = suggested;
  if (r->empty_allocs > 0) {
    r->empty_allocs--;
    *buf = uv_buf_init(NULL, 0);
    return;
  }
  buf->base = malloc(n);
  buf->len = n;
}

static void rx_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const struct sockaddr* addr, unsigned flags) {
  struct rx* r = h->data;
  r->recvs++;
  if (r->stopped || uv_is_closing((uv_handle_t*)h)) r->after_close++;
  if (flags & UV_UDP_MMSG_FREE) {
    assert_int_equal(nread, 0);
    assert_null(addr);
    r->frees++;
    free(buf->base);
    return;
  }
  if (flags & UV_UDP_PARTIAL) r->partials++;
  if (nread < 0) {
    r->errors++;
    r->last_err = (int)nread;
  } else if (addr == NULL) {
    assert_int_equal(nread, 0);
    r->empties++;
  } else {
    r->datagrams++;
    r->bytes += (size_t)nread;
    r->last_len = nread;
    memcpy(r->last, buf->base, (size_t)nread < sizeof r->last ? (size_t)nread : sizeof r->last);
    memcpy(&r->from, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
  }
  if (flags & UV_UDP_MMSG_CHUNK) {
    r->chunks++;
  } else {
    free(buf->base);
  }
  if (nread >= 0 && addr != NULL) {
    if (r->stop_after && r->datagrams == r->stop_after) {
      uv_udp_recv_stop(h);
      r->stopped = 1;
    }
    if (r->close_after && r->datagrams == r->close_after) uv_close((uv_handle_t*)h, on_closed);
  }
}

static void rx_start(uv_udp_t* u, struct rx* r) {
  u->data = r;
  assert_int_equal(uv_udp_recv_start(u, rx_alloc, rx_recv), 0);
}

static void run_until(int* counter, int value) {
  while (*counter < value && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

static int send_cbs;
static int send_last_status;
static int send_statuses[256];
static int send_order[256];
static void on_send(uv_udp_send_t* req, int status) {
  send_order[send_cbs % 256] = (int)(intptr_t)req->data;
  send_statuses[send_cbs % 256] = status;
  send_cbs++;
  send_last_status = status;
}

static void reset_sends(void) {
  send_cbs = 0;
  send_last_status = 12345;
  memset(send_order, 0, sizeof send_order);
}

/* A server bound to 127.0.0.1:<ephemeral>, reading into `r`. */
static int bind_server(uv_udp_t* u, struct rx* r) {
  struct sockaddr_in a = addr4("127.0.0.1", 0);
  assert_int_equal(uv_udp_init(&loop, u), 0);
  assert_int_equal(uv_udp_bind(u, (const struct sockaddr*)&a, 0), 0);
  if (r != NULL) {
    memset(r, 0, sizeof *r);
    rx_start(u, r);
  }
  return port_of(u);
}

/* -------------------------------------------------------------------- cases */

/* upstream: test-udp-send-and-recv.c udp_send_and_recv -- PING to a server,
 * PONG back to the address it came from */
static uv_udp_t srv, cli;
static struct rx srx, crx;
static uv_udp_send_t pong_req;
static void echo_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const struct sockaddr* addr, unsigned flags) {
  rx_recv(h, nread, buf, addr, flags);
  if (nread > 0 && addr != NULL) {
    static uv_buf_t pong;
    pong = uv_buf_init("PONG", 4);
    assert_int_equal(uv_udp_send(&pong_req, h, &pong, 1, addr, on_send), 0);
  }
}

static void test_udp_send_and_recv(void** state) {
  struct sockaddr_in a;
  uv_udp_send_t req;
  uv_buf_t b = uv_buf_init("PING", 4);
  int port;
  (void)state;
  setup_loop();
  reset_sends();
  port = bind_server(&srv, NULL);
  memset(&srx, 0, sizeof srx);
  srv.data = &srx;
  assert_int_equal(uv_udp_recv_start(&srv, rx_alloc, echo_recv), 0);
  closes = 0;
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  a = addr4("127.0.0.1", port);
  assert_int_equal(uv_udp_send(&req, &cli, &b, 1, (const struct sockaddr*)&a, on_send), 0);
  assert_int_equal(cli.send_queue_count, 1);
  memset(&crx, 0, sizeof crx);
  rx_start(&cli, &crx);  /* the send bound it already */
  run_until(&crx.datagrams, 1);
  assert_int_equal(srx.datagrams, 1);
  assert_int_equal(srx.last_len, 4);
  assert_memory_equal(srx.last, "PING", 4);
  assert_int_equal(crx.last_len, 4);
  assert_memory_equal(crx.last, "PONG", 4);
  assert_int_equal(ntohs(((struct sockaddr_in*)&crx.from)->sin_port), port);
  assert_int_equal(ntohs(((struct sockaddr_in*)&srx.from)->sin_port), port_of(&cli));
  run_until(&send_cbs, 2);
  assert_int_equal(send_statuses[0], 0);
  assert_int_equal(send_statuses[1], 0);
  assert_int_equal(srx.errors + crx.errors, 0);
  assert_int_equal(srx.allocs, srx.recvs);
  assert_int_equal(crx.allocs, crx.recvs);
  assert_int_equal(cli.send_queue_size, 0);
  assert_int_equal(cli.send_queue_count, 0);
  uv_close((uv_handle_t*)&srv, on_closed);
  uv_close((uv_handle_t*)&cli, on_closed);
  finish_loop();
  assert_int_equal(closes, 2);
  assert_int_equal(send_cbs, 2);
}

/* upstream: test-udp-send-immediate.c -- two sends right after init, before
 * the loop runs; both arrive, in order */
static void test_udp_send_immediate(void** state) {
  struct sockaddr_in a;
  uv_udp_send_t r1, r2;
  uv_buf_t b1 = uv_buf_init("PING", 4), b2 = uv_buf_init("PANG", 4);
  (void)state;
  setup_loop();
  reset_sends();
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  r1.data = (void*)1;
  r2.data = (void*)2;
  assert_int_equal(uv_udp_send(&r1, &cli, &b1, 1, (const struct sockaddr*)&a, on_send), 0);
  assert_int_equal(uv_udp_send(&r2, &cli, &b2, 1, (const struct sockaddr*)&a, on_send), 0);
  assert_int_equal(cli.send_queue_count, 2);
  assert_int_equal(cli.send_queue_size, 8);
  assert_int_equal(loop.active_reqs.count, 2);
  assert_int_equal(send_cbs, 0); /* never from inside uv_udp_send */
  run_until(&srx.datagrams, 2);
  run_until(&send_cbs, 2);
  assert_int_equal(send_order[0], 1);
  assert_int_equal(send_order[1], 2);
  assert_memory_equal(srx.last, "PANG", 4);
  assert_int_equal(cli.send_queue_count, 0);
  assert_int_equal(loop.active_reqs.count, 0);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-send-unreachable.c -- datagrams to a port nobody
 * listens on are sent (status 0); with UV_UDP_LINUX_RECVERR too. Every
 * alloc_cb is matched by one recv_cb. */
static uv_udp_t cli2;
static struct rx crx2;
static uv_timer_t stop_timer;
static void close_both(uv_timer_t* t) {
  uv_close((uv_handle_t*)t, NULL);
  uv_close((uv_handle_t*)&cli, on_closed);
  uv_close((uv_handle_t*)&cli2, on_closed);
}

static void test_udp_send_unreachable(void** state) {
  struct sockaddr_in dead, a;
  uv_udp_send_t r1, r2, r3, r4;
  uv_buf_t b1 = uv_buf_init("PING", 4), b2 = uv_buf_init("PANG", 4);
  (void)state;
  setup_loop();
  reset_sends();
  closes = 0;
  a = addr4("127.0.0.1", 0);
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_bind(&cli, (const struct sockaddr*)&a, 0), 0);
  assert_int_equal(uv_udp_init(&loop, &cli2), 0);
  assert_int_equal(uv_udp_bind(&cli2, (const struct sockaddr*)&a, UV_UDP_LINUX_RECVERR), 0);
  /* Only now pick the dead port: a port released by dead_port() before
   * the two binds could be handed to one of them, and the "unreachable"
   * datagrams would arrive at our own sockets. */
  dead = addr4("127.0.0.1", dead_port());
  memset(&crx, 0, sizeof crx);
  rx_start(&cli, &crx);
  r1.data = (void*)1;
  r2.data = (void*)2;
  r3.data = (void*)3;
  r4.data = (void*)4;
  assert_int_equal(uv_udp_send(&r1, &cli, &b1, 1, (const struct sockaddr*)&dead, on_send), 0);
  assert_int_equal(uv_udp_send(&r2, &cli, &b2, 1, (const struct sockaddr*)&dead, on_send), 0);
  memset(&crx2, 0, sizeof crx2);
  rx_start(&cli2, &crx2);
  assert_int_equal(uv_udp_send(&r3, &cli2, &b1, 1, (const struct sockaddr*)&dead, on_send), 0);
  assert_int_equal(uv_udp_send(&r4, &cli2, &b2, 1, (const struct sockaddr*)&dead, on_send), 0);
  assert_int_equal(uv_timer_init(&loop, &stop_timer), 0);
  assert_int_equal(uv_timer_start(&stop_timer, close_both, 200, 0), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(send_cbs, 4);
  for (int i = 0; i < 4; i++) {
    /* the plain socket never sees the ICMP error; the RECVERR one may
     * report it on its second send (the oracle does) */
    if (send_order[i] <= 3) assert_int_equal(send_statuses[i], 0);
    else if (send_statuses[i] != 0) assert_int_equal(send_statuses[i], UV_ECONNREFUSED);
  }
  assert_int_equal(closes, 2);
  assert_int_equal(crx.allocs, crx.recvs);
  assert_int_equal(crx2.allocs, crx2.recvs);
  assert_int_equal(crx.datagrams + crx2.datagrams, 0);
  assert_int_equal(crx.errors, 0);
  /* The RECVERR socket's pending error goes to whichever call comes
   * first: usually the second send (the ICMP reply is handled inside the
   * first sendmsg), but when the kernel defers that work (softirqs pushed
   * to ksoftirqd on a loaded machine) both sends succeed and the error is
   * read by recvmsg: libuv then reports it to the recv_cb. */
  if (crx2.errors != 0) assert_int_equal(crx2.last_err, UV_ECONNREFUSED);
  finish_loop();
}

/* upstream: test-udp-connect.c udp_connect -- connect, send without an
 * address, the EISCONN / EDESTADDRREQ / ENOTCONN rules, disconnect */
static void test_udp_connect(void** state) {
  struct sockaddr_in a, ext;
  struct sockaddr_storage peer;
  int len;
  uv_udp_send_t r;
  uv_buf_t b = uv_buf_init("EXIT", 4);
  (void)state;
  setup_loop();
  reset_sends();
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  ext = addr4("8.8.8.8", 9);
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_connect(&cli, NULL), UV_ENOTCONN);
  len = sizeof peer;
  assert_int_equal(uv_udp_getpeername(&cli, (struct sockaddr*)&peer, &len), UV_EBADF);
  assert_int_equal(uv_udp_connect(&cli, (const struct sockaddr*)&a), 0);
  assert_int_equal(uv_udp_connect(&cli, (const struct sockaddr*)&ext), UV_EISCONN);
  len = sizeof peer;
  assert_int_equal(uv_udp_getpeername(&cli, (struct sockaddr*)&peer, &len), 0);
  assert_int_equal(len, sizeof(struct sockaddr_in));
  assert_int_equal(memcmp(&((struct sockaddr_in*)&peer)->sin_addr, &a.sin_addr, 4), 0);
  assert_int_equal(((struct sockaddr_in*)&peer)->sin_port, a.sin_port);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, (const struct sockaddr*)&a, on_send), UV_EISCONN);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), UV_EISCONN);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, NULL), 4);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, NULL, on_send), 0);
  run_until(&srx.datagrams, 2);
  run_until(&send_cbs, 1);
  assert_int_equal(send_last_status, 0);
  /* disconnect: addresses are needed again */
  assert_int_equal(uv_udp_connect(&cli, NULL), 0);
  assert_int_equal(uv_udp_connect(&cli, NULL), UV_ENOTCONN);
  len = sizeof peer;
  assert_int_equal(uv_udp_getpeername(&cli, (struct sockaddr*)&peer, &len), UV_ENOTCONN);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, NULL, on_send), UV_EDESTADDRREQ);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, NULL), UV_EDESTADDRREQ);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), 4);
  run_until(&srx.datagrams, 3);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-connect6.c udp_connect6 */
static void test_udp_connect6(void** state) {
  struct sockaddr_in6 a, any;
  struct sockaddr_storage peer;
  int len;
  uv_udp_send_t r;
  uv_buf_t b = uv_buf_init("EXIT", 4);
  (void)state;
  if (!have_ipv6()) skip();
  setup_loop();
  reset_sends();
  any = addr6("::1", 0);
  assert_int_equal(uv_udp_init(&loop, &srv), 0);
  assert_int_equal(uv_udp_bind(&srv, (const struct sockaddr*)&any, 0), 0);
  memset(&srx, 0, sizeof srx);
  rx_start(&srv, &srx);
  a = addr6("::1", port_of(&srv));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_connect(&cli, (const struct sockaddr*)&a), 0);
  assert_int_equal(uv_udp_connect(&cli, (const struct sockaddr*)&a), UV_EISCONN);
  len = sizeof peer;
  assert_int_equal(uv_udp_getpeername(&cli, (struct sockaddr*)&peer, &len), 0);
  assert_int_equal(peer.ss_family, AF_INET6);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, NULL, on_send), 0);
  run_until(&srx.datagrams, 1);
  run_until(&send_cbs, 1);
  assert_int_equal(srx.from.ss_family, AF_INET6);
  assert_int_equal(uv_udp_connect(&cli, NULL), 0);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, NULL, on_send), UV_EDESTADDRREQ);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-bind.c udp_bind -- a second bind to a port in use
 * fails with EADDRINUSE */
static void test_udp_bind(void** state) {
  struct sockaddr_in a;
  uv_udp_t h1, h2;
  (void)state;
  setup_loop();
  a = addr4("127.0.0.1", 0);
  assert_int_equal(uv_udp_init(&loop, &h1), 0);
  assert_int_equal(uv_udp_init(&loop, &h2), 0);
  assert_int_equal(uv_udp_bind(&h1, (const struct sockaddr*)&a, 0), 0);
  a = addr4("127.0.0.1", port_of(&h1));
  assert_int_equal(uv_udp_bind(&h2, (const struct sockaddr*)&a, 0), UV_EADDRINUSE);
  uv_close((uv_handle_t*)&h1, NULL);
  uv_close((uv_handle_t*)&h2, NULL);
  finish_loop();
}

/* upstream: test-udp-bind.c udp_bind_reuseaddr -- both bind with
 * UV_UDP_REUSEADDR */
static void test_udp_bind_reuseaddr(void** state) {
  struct sockaddr_in a;
  uv_udp_t h1, h2;
  (void)state;
  setup_loop();
  a = addr4("127.0.0.1", 0);
  assert_int_equal(uv_udp_init(&loop, &h1), 0);
  assert_int_equal(uv_udp_init(&loop, &h2), 0);
  assert_int_equal(uv_udp_bind(&h1, (const struct sockaddr*)&a, UV_UDP_REUSEADDR), 0);
  a = addr4("127.0.0.1", port_of(&h1));
  assert_int_equal(uv_udp_bind(&h2, (const struct sockaddr*)&a, UV_UDP_REUSEADDR), 0);
  assert_int_equal(port_of(&h2), port_of(&h1));
  uv_close((uv_handle_t*)&h1, NULL);
  uv_close((uv_handle_t*)&h2, NULL);
  finish_loop();
}

/* libuv's uv_udp_bind argument checks: bad flags, IPV6ONLY on IPv4,
 * unknown family; errors keep the handle usable */
static void test_udp_bind_errors(void** state) {
  struct sockaddr_in a = addr4("127.0.0.1", 0);
  struct sockaddr bad;
  uv_udp_t h;
  (void)state;
  setup_loop();
  memset(&bad, 0, sizeof bad);
  bad.sa_family = AF_UNIX;
  assert_int_equal(uv_udp_init(&loop, &h), 0);
  assert_int_equal(uv_udp_bind(&h, (const struct sockaddr*)&a, 1024), UV_EINVAL);
  assert_int_equal(uv_udp_bind(&h, (const struct sockaddr*)&a, UV_UDP_IPV6ONLY), UV_EINVAL);
  assert_int_equal(uv_udp_bind(&h, &bad, 0), UV_EINVAL);
  assert_int_equal(uv_udp_bind(&h, (const struct sockaddr*)&a, 0), 0);
  /* bound twice: the kernel says EINVAL */
  assert_int_equal(uv_udp_bind(&h, (const struct sockaddr*)&a, 0), UV_EINVAL);
  uv_close((uv_handle_t*)&h, NULL);
  finish_loop();
}

/* upstream: test-udp-ipv6.c udp_ipv6_only -- an IPV6ONLY socket on :: does
 * not get IPv4 datagrams */
static void test_udp_ipv6_only(void** state) {
  struct sockaddr_in6 any6;
  struct sockaddr_in a4;
  uv_udp_send_t r;
  uv_buf_t b = uv_buf_init("PING", 4);
  int port;
  (void)state;
  if (!have_ipv6()) skip();
  setup_loop();
  reset_sends();
  any6 = addr6("::", 0);
  memset(&srx, 0, sizeof srx);
  assert_int_equal(uv_udp_init(&loop, &srv), 0);
  assert_int_equal(uv_udp_bind(&srv, (const struct sockaddr*)&any6, UV_UDP_IPV6ONLY), 0);
  rx_start(&srv, &srx);
  port = port_of(&srv);
  a4 = addr4("127.0.0.1", port);
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, (const struct sockaddr*)&a4, on_send), 0);
  run_until(&send_cbs, 1);
  for (int i = 0; i < 20; i++) uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(srx.datagrams, 0);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-ipv6.c udp_dual_stack -- a socket on :: without
 * IPV6ONLY gets IPv4 datagrams (with a v4-mapped source) */
static void test_udp_dual_stack(void** state) {
  struct sockaddr_in6 any6;
  struct sockaddr_in a4;
  uv_udp_send_t r;
  uv_buf_t b = uv_buf_init("PING", 4);
  (void)state;
  if (!have_ipv6()) skip();
  setup_loop();
  reset_sends();
  any6 = addr6("::", 0);
  memset(&srx, 0, sizeof srx);
  assert_int_equal(uv_udp_init(&loop, &srv), 0);
  assert_int_equal(uv_udp_bind(&srv, (const struct sockaddr*)&any6, 0), 0);
  rx_start(&srv, &srx);
  a4 = addr4("127.0.0.1", port_of(&srv));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, (const struct sockaddr*)&a4, on_send), 0);
  run_until(&srx.datagrams, 1);
  assert_int_equal(srx.from.ss_family, AF_INET6);
  assert_memory_equal(srx.last, "PING", 4);
  run_until(&send_cbs, 1);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-try-send.c udp_try_send -- an empty datagram, a
 * datagram, bad arguments */
static void test_udp_try_send(void** state) {
  struct sockaddr_in a;
  uv_buf_t b = uv_buf_init("EXIT", 4), none = uv_buf_init(NULL, 0);
  struct sockaddr bad;
  (void)state;
  setup_loop();
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  memset(&bad, 0, sizeof bad);
  bad.sa_family = AF_APPLETALK;
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, &bad), UV_EINVAL);
  assert_int_equal(uv_udp_try_send(&cli, &none, 1, (const struct sockaddr*)&a), 0);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), 4);
  run_until(&srx.datagrams, 2);
  assert_int_equal(srx.last_len, 4);
  assert_int_equal(srx.bytes, 4);
  assert_int_equal(cli.send_queue_count, 0);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* libuv: uv_udp_try_send says UV_EAGAIN while send requests are queued */
static void test_udp_try_send_queued(void** state) {
  struct sockaddr_in a;
  uv_udp_send_t r;
  uv_buf_t b = uv_buf_init("ABCD", 4);
  (void)state;
  setup_loop();
  reset_sends();
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, (const struct sockaddr*)&a, on_send), 0);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), UV_EAGAIN);
  run_until(&send_cbs, 1);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), 4);
  run_until(&srx.datagrams, 2);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-send-hang-loop.c -- a send_cb that sends again keeps
 * the loop going, one request at a time, until the count is reached */
static uv_udp_send_t hang_req;
static int hang_left;
static struct sockaddr_in hang_addr;
static void hang_send_cb(uv_udp_send_t* req, int status) {
  static uv_buf_t b;
  assert_int_equal(status, 0);
  send_cbs++;
  if (--hang_left > 0) {
    b = uv_buf_init("HANG", 4);
    assert_int_equal(uv_udp_send(req, req->handle, &b, 1, (const struct sockaddr*)&hang_addr, hang_send_cb), 0);
    assert_int_equal(req->handle->send_queue_count, 1);
  } else {
    uv_close((uv_handle_t*)req->handle, on_closed);
  }
}

static void test_udp_send_hang_loop(void** state) {
  uv_buf_t b = uv_buf_init("HANG", 4);
  (void)state;
  setup_loop();
  reset_sends();
  closes = 0;
  hang_left = 100;
  hang_addr = addr4("127.0.0.1", dead_port());
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_send(&hang_req, &cli, &b, 1, (const struct sockaddr*)&hang_addr, hang_send_cb), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(send_cbs, 100);
  assert_int_equal(closes, 1);
  finish_loop();
}

/* upstream: test-udp-sendmmsg-error.c -- a connected handle sending to a
 * dead port: every send_cb runs once, failures are UV_ECONNREFUSED */
static uv_udp_send_t mm_reqs[6];
static void mm_send_cb(uv_udp_send_t* req, int status) {
  (void)req;
  if (status != 0) assert_int_equal(status, UV_ECONNREFUSED);
  if (++send_cbs == 6) uv_close((uv_handle_t*)&cli, on_closed);
}

static void test_udp_sendmmsg_error(void** state) {
  struct sockaddr_in a;
  uv_buf_t b = uv_buf_init("TEST", 4);
  (void)state;
  setup_loop();
  reset_sends();
  closes = 0;
  a = addr4("127.0.0.1", dead_port());
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_connect(&cli, (const struct sockaddr*)&a), 0);
  for (int i = 0; i < 6; i++) assert_int_equal(uv_udp_send(&mm_reqs[i], &cli, &b, 1, NULL, mm_send_cb), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(send_cbs, 6);
  assert_int_equal(closes, 1);
  assert_int_equal(cli.send_queue_size, 0);
  assert_int_equal(cli.send_queue_count, 0);
  finish_loop();
}

/* upstream: test-udp-mmsg.c udp_mmsg -- a UV_UDP_RECVMMSG handle gets 40
 * datagrams in batches of 20 per 20 x 64 KiB buffer: 2 alloc_cbs, each
 * datagram flagged UV_UDP_MMSG_CHUNK, one UV_UDP_MMSG_FREE per batch */
static void test_udp_mmsg(void** state) {
  struct sockaddr_in a;
  uv_buf_t b = uv_buf_init("PING", 4);
  (void)state;
  setup_loop();
  closes = 0;
  a = addr4("127.0.0.1", 0);
  assert_int_equal(uv_udp_init_ex(&loop, &srv, AF_UNSPEC | UV_UDP_RECVMMSG), 0);
  assert_int_equal(uv_udp_using_recvmmsg(&srv), 1);
  assert_int_equal(uv_udp_bind(&srv, (const struct sockaddr*)&a, 0), 0);
  memset(&srx, 0, sizeof srx);
  srx.alloc_size = 20 * 64 * 1024;
  srx.close_after = 40;
  rx_start(&srv, &srx);
  a = addr4("127.0.0.1", port_of(&srv));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_using_recvmmsg(&cli), 0);
  for (int i = 0; i < 40; i++) assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), 4);
  run_until(&closes, 1);
  assert_int_equal(srx.datagrams, 40);
  assert_int_equal(srx.chunks, 40);
  assert_int_equal(srx.allocs, 2);
  /* libuv still hands back the buffer of the batch whose last chunk closed
   * the handle: one UV_UDP_MMSG_FREE per batch */
  assert_int_equal(srx.frees, 2);
  assert_int_equal(srx.suggested, 64 * 1024);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* libuv: a UV_UDP_RECVMMSG handle with fewer datagrams than chunks gets
 * them as chunks plus FREE; the next round finds nothing: recv_cb(0, NULL) */
static void test_udp_mmsg_partial_batch(void** state) {
  struct sockaddr_in a;
  uv_buf_t b = uv_buf_init("PING", 4);
  (void)state;
  setup_loop();
  a = addr4("127.0.0.1", 0);
  assert_int_equal(uv_udp_init_ex(&loop, &srv, AF_INET | UV_UDP_RECVMMSG), 0);
  assert_int_equal(uv_udp_bind(&srv, (const struct sockaddr*)&a, 0), 0);
  memset(&srx, 0, sizeof srx);
  srx.alloc_size = 4 * 64 * 1024;
  rx_start(&srv, &srx);
  a = addr4("127.0.0.1", port_of(&srv));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  for (int i = 0; i < 3; i++) assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), 4);
  run_until(&srx.empties, 1);
  assert_int_equal(srx.datagrams, 3);
  assert_int_equal(srx.chunks, 3);
  assert_int_equal(srx.frees, 1);
  assert_int_equal(srx.allocs, 2);
  assert_int_equal(srx.allocs, srx.frees + srx.empties);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-alloc-cb-fail.c -- alloc_cb gives no buffer: recv_cb
 * gets UV_ENOBUFS (flags 0) and the datagram is not lost */
static void test_udp_alloc_cb_fail(void** state) {
  struct sockaddr_in a;
  uv_buf_t b = uv_buf_init("PING", 4);
  (void)state;
  setup_loop();
  a = addr4("127.0.0.1", 0);
  assert_int_equal(uv_udp_init(&loop, &srv), 0);
  assert_int_equal(uv_udp_bind(&srv, (const struct sockaddr*)&a, 0), 0);
  memset(&srx, 0, sizeof srx);
  srx.empty_allocs = 2;
  rx_start(&srv, &srx);
  a = addr4("127.0.0.1", port_of(&srv));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), 4);
  run_until(&srx.datagrams, 1);
  assert_int_equal(srx.errors, 2);
  assert_int_equal(srx.last_err, UV_ENOBUFS);
  assert_memory_equal(srx.last, "PING", 4);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-recv-in-a-row.c -- datagrams already queued are all
 * delivered in one poll phase, then recv_cb(0, NULL): N + 1 callbacks
 * before the first check phase */
static uv_check_t row_check;
static int row_recvs_at_check;
static void row_check_cb(uv_check_t* c) {
  row_recvs_at_check = srx.recvs;
  uv_check_stop(c);
}

static void test_udp_recv_in_a_row(void** state) {
  struct sockaddr_in a;
  static char data[10];
  uv_buf_t b = uv_buf_init(data, sizeof data), none = uv_buf_init(NULL, 0);
  (void)state;
  setup_loop();
  a = addr4("127.0.0.1", 0);
  assert_int_equal(uv_udp_init(&loop, &srv), 0);
  assert_int_equal(uv_udp_bind(&srv, (const struct sockaddr*)&a, 0), 0);
  a = addr4("127.0.0.1", port_of(&srv));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  for (int i = 0; i < 4; i++) assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), 10);
  assert_int_equal(uv_udp_try_send(&cli, &none, 1, (const struct sockaddr*)&a), 0);
  memset(&srx, 0, sizeof srx);
  row_recvs_at_check = -1;
  assert_int_equal(uv_check_init(&loop, &row_check), 0);
  assert_int_equal(uv_check_start(&row_check, row_check_cb), 0);
  rx_start(&srv, &srx);
  while (row_recvs_at_check < 0 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(row_recvs_at_check, 6);
  assert_int_equal(srx.datagrams, 5);
  assert_int_equal(srx.bytes, 40);
  assert_int_equal(srx.empties, 1);
  assert_int_equal(srx.allocs, 6);
  uv_close((uv_handle_t*)&row_check, NULL);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* libuv: a round reads at most 32 datagrams per wake-up; with 40 queued,
 * the first round has 32 and no recv_cb(0, NULL) */
static void test_udp_recv_round_limit(void** state) {
  struct sockaddr_in a;
  uv_buf_t b = uv_buf_init("DATA", 4);
  (void)state;
  setup_loop();
  a = addr4("127.0.0.1", 0);
  assert_int_equal(uv_udp_init(&loop, &srv), 0);
  assert_int_equal(uv_udp_bind(&srv, (const struct sockaddr*)&a, 0), 0);
  a = addr4("127.0.0.1", port_of(&srv));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  for (int i = 0; i < 40; i++) assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), 4);
  memset(&srx, 0, sizeof srx);
  row_recvs_at_check = -1;
  assert_int_equal(uv_check_init(&loop, &row_check), 0);
  assert_int_equal(uv_check_start(&row_check, row_check_cb), 0);
  rx_start(&srv, &srx);
  while (row_recvs_at_check < 0 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(row_recvs_at_check, 32);
  assert_int_equal(srx.empties, 0);
  run_until(&srx.datagrams, 40);
  run_until(&srx.empties, 1);
  uv_close((uv_handle_t*)&row_check, NULL);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-send-and-recv.c -- a buffer smaller than the
 * datagram: nread is the buffer size and UV_UDP_PARTIAL is set */
static void test_udp_partial(void** state) {
  struct sockaddr_in a;
  uv_buf_t b = uv_buf_init("0123456789", 10);
  (void)state;
  setup_loop();
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  srx.alloc_size = 4;
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), 10);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), 10);
  run_until(&srx.datagrams, 2);
  assert_int_equal(srx.partials, 2);
  assert_int_equal(srx.last_len, 4);
  assert_memory_equal(srx.last, "0123", 4);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* libuv: more than four buffers per send (libuv copies the array to the
 * heap); they go out as one datagram, in order */
static void test_udp_send_many_bufs(void** state) {
  struct sockaddr_in a;
  uv_udp_send_t r;
  uv_buf_t bufs[7];
  static const char* parts[7] = {"a", "bc", "def", "", "ghij", "k", "lmnop"};
  (void)state;
  setup_loop();
  reset_sends();
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  for (int i = 0; i < 7; i++) bufs[i] = uv_buf_init((char*)parts[i], (unsigned)strlen(parts[i]));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_send(&r, &cli, bufs, 7, (const struct sockaddr*)&a, on_send), 0);
  memset(bufs, 0, sizeof bufs); /* the array is the request's copy now */
  assert_int_equal(cli.send_queue_size, 16);
  run_until(&srx.datagrams, 1);
  run_until(&send_cbs, 1);
  assert_int_equal(srx.last_len, 16);
  assert_memory_equal(srx.last, "abcdefghijklmnop", 16);
  assert_int_equal(cli.send_queue_size, 0);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-send-and-recv.c / udp_send_queue_size: many requests
 * queue in order; send_queue_size/count stay current */
static void test_udp_send_queue_order(void** state) {
  struct sockaddr_in a;
  static uv_udp_send_t reqs[50];
  static char payload[50][16];
  uv_buf_t b;
  size_t queued = 0;
  (void)state;
  setup_loop();
  reset_sends();
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  for (int i = 0; i < 50; i++) {
    snprintf(payload[i], sizeof payload[i], "m%03d", i);
    b = uv_buf_init(payload[i], 4 + (unsigned)(i % 3));
    reqs[i].data = (void*)(intptr_t)(i + 1);
    assert_int_equal(uv_udp_send(&reqs[i], &cli, &b, 1, (const struct sockaddr*)&a, on_send), 0);
    queued += b.len;
    assert_int_equal(cli.send_queue_count, (size_t)(i + 1));
    assert_int_equal(uv_udp_get_send_queue_size(&cli), queued);
    assert_int_equal(uv_udp_get_send_queue_count(&cli), (size_t)(i + 1));
  }
  run_until(&send_cbs, 50);
  for (int i = 0; i < 50; i++) {
    assert_int_equal(send_order[i], i + 1);
    assert_int_equal(send_statuses[i], 0);
  }
  assert_int_equal(cli.send_queue_size, 0);
  assert_int_equal(cli.send_queue_count, 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&cli), 0);
  run_until(&srx.datagrams, 50);
  assert_memory_equal(srx.last, "m049", 4);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: udp_send_queue_count -- the handle is active while a send is
 * queued, the request is counted; after its callback neither */
static void test_udp_send_queue_count(void** state) {
  struct sockaddr_in a;
  uv_udp_send_t r;
  uv_buf_t b = uv_buf_init("PING", 4);
  (void)state;
  setup_loop();
  reset_sends();
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&cli), 0);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, (const struct sockaddr*)&a, on_send), 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&cli), 1);
  assert_int_equal(r.type, UV_UDP_SEND);
  assert_ptr_equal(r.handle, &cli);
  assert_int_equal(uv_udp_get_send_queue_count(&cli), 1);
  assert_int_equal(uv_udp_get_send_queue_size(&cli), 4);
  run_until(&send_cbs, 1);
  assert_int_equal(uv_udp_get_send_queue_count(&cli), 0);
  assert_int_equal(uv_udp_get_send_queue_size(&cli), 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&cli), 0);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* libuv: uv_close with sends queued -- each send_cb runs once, before the
 * close_cb; a request not yet sent gets UV_ECANCELED */
static int cancel_close_seen_sends;
static void cancel_on_close(uv_handle_t* h) {
  (void)h;
  cancel_close_seen_sends = send_cbs;
  closes++;
}

static void test_udp_close_with_sends(void** state) {
  struct sockaddr_in a;
  static uv_udp_send_t reqs[5];
  uv_buf_t b = uv_buf_init("PING", 4);
  (void)state;
  setup_loop();
  reset_sends();
  closes = 0;
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  for (int i = 0; i < 5; i++) assert_int_equal(uv_udp_send(&reqs[i], &cli, &b, 1, (const struct sockaddr*)&a, on_send), 0);
  uv_close((uv_handle_t*)&cli, cancel_on_close);
  assert_int_equal(send_cbs, 0);
  run_until(&closes, 1);
  assert_int_equal(cancel_close_seen_sends, 5);
  assert_int_equal(send_statuses[0], 0); /* sent inline by uv_udp_send */
  for (int i = 1; i < 5; i++) assert_int_equal(send_statuses[i], UV_ECANCELED);
  assert_int_equal(loop.active_reqs.count, 0);
  uv_close((uv_handle_t*)&srv, NULL);
  finish_loop();
}

/* libuv: no recv_cb after uv_udp_recv_stop or uv_close, even for data that
 * was already on its way; a datagram left after recv_stop is read after
 * the next recv_start */
static void test_udp_recv_stop(void** state) {
  struct sockaddr_in a;
  uv_buf_t b1 = uv_buf_init("ONE", 3), b2 = uv_buf_init("TWO", 3);
  (void)state;
  setup_loop();
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  srx.stop_after = 1;
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_try_send(&cli, &b1, 1, (const struct sockaddr*)&a), 3);
  assert_int_equal(uv_udp_try_send(&cli, &b2, 1, (const struct sockaddr*)&a), 3);
  run_until(&srx.datagrams, 1);
  for (int i = 0; i < 10; i++) uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(srx.datagrams, 1);
  assert_int_equal(srx.after_close, 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&srv), 0);
  assert_int_equal(uv_udp_recv_stop(&srv), 0); /* twice is fine */
  assert_memory_equal(srx.last, "ONE", 3);
  srx.stop_after = 0;
  srx.stopped = 0;
  assert_int_equal(uv_udp_recv_start(&srv, rx_alloc, rx_recv), 0);
  assert_int_equal(uv_udp_recv_start(&srv, rx_alloc, rx_recv), UV_EALREADY);
  run_until(&srx.datagrams, 2);
  assert_memory_equal(srx.last, "TWO", 3);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
  assert_int_equal(srx.after_close, 0);
}

/* libuv: a recv_cb closing its handle gets no further callback */
static void test_udp_close_in_recv_cb(void** state) {
  struct sockaddr_in a;
  uv_buf_t b = uv_buf_init("DATA", 4);
  (void)state;
  setup_loop();
  closes = 0;
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  srx.close_after = 1;
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  for (int i = 0; i < 5; i++) assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), 4);
  run_until(&closes, 1);
  assert_int_equal(srx.datagrams, 1);
  assert_int_equal(srx.after_close, 0);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
  assert_int_equal(srx.recvs, 1);
}

/* libuv's argument checks on send / recv_start */
static void test_udp_send_errors(void** state) {
  struct sockaddr_in a = addr4("127.0.0.1", 9);
  struct sockaddr bad;
  uv_udp_send_t r;
  uv_buf_t b = uv_buf_init("X", 1);
  uv_timer_t t;
  (void)state;
  setup_loop();
  memset(&bad, 0, sizeof bad);
  bad.sa_family = AF_APPLETALK;
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, NULL, on_send), UV_EDESTADDRREQ);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, &bad, on_send), UV_EINVAL);
  assert_int_equal(uv_udp_recv_start(&cli, NULL, rx_recv), UV_EINVAL);
  assert_int_equal(uv_udp_recv_start(&cli, rx_alloc, NULL), UV_EINVAL);
  assert_int_equal(uv_timer_init(&loop, &t), 0);
  assert_int_equal(uv_udp_recv_start((uv_udp_t*)&t, rx_alloc, rx_recv), UV_EINVAL);
  assert_int_equal(uv_udp_recv_stop((uv_udp_t*)&t), UV_EINVAL);
  assert_int_equal(uv_udp_bind((uv_udp_t*)&t, (const struct sockaddr*)&a, 0), UV_EINVAL);
  assert_int_equal(uv_udp_connect((uv_udp_t*)&t, (const struct sockaddr*)&a), UV_EINVAL);
  assert_int_equal(loop.active_reqs.count, 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&cli), 0);
  uv_close((uv_handle_t*)&t, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-open.c udp_open -- adopt a socket made outside
 * libuv; it is made nonblocking; send and receive through it */
static int raw_udp(int family) {
  int fd = socket(family, SOCK_DGRAM, 0);
  assert_true(fd >= 0);
  return fd;
}

static void test_udp_open(void** state) {
  struct sockaddr_in a;
  uv_udp_send_t r;
  uv_buf_t b = uv_buf_init("PING", 4);
  uv_os_fd_t fd;
  int sock;
  (void)state;
  setup_loop();
  reset_sends();
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  sock = raw_udp(AF_INET);
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_open(&cli, sock), 0);
  assert_int_equal(uv_fileno((uv_handle_t*)&cli, &fd), 0);
  assert_int_equal(fd, sock);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, (const struct sockaddr*)&a, on_send), 0);
  run_until(&srx.datagrams, 1);
  run_until(&send_cbs, 1);
  assert_int_equal(send_last_status, 0);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
  /* the handle owned it: closed with the handle */
  assert_int_equal(fcntl(sock, F_GETFD), -1);
}

/* upstream: test-udp-open.c udp_open_twice -- a second socket: UV_EBUSY */
static void test_udp_open_twice(void** state) {
  int s1, s2;
  (void)state;
  setup_loop();
  s1 = raw_udp(AF_INET);
  s2 = raw_udp(AF_INET);
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_open(&cli, s1), 0);
  assert_int_equal(uv_udp_open(&cli, s2), UV_EBUSY);
  close(s2);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-open.c udp_open_bound -- a socket bound outside
 * libuv can read at once */
static void test_udp_open_bound(void** state) {
  struct sockaddr_in a = addr4("127.0.0.1", 0);
  uv_buf_t b = uv_buf_init("BOUND", 5);
  int sock;
  (void)state;
  setup_loop();
  sock = raw_udp(AF_INET);
  assert_int_equal(bind(sock, (struct sockaddr*)&a, sizeof a), 0);
  assert_int_equal(uv_udp_init(&loop, &srv), 0);
  assert_int_equal(uv_udp_open(&srv, sock), 0);
  memset(&srx, 0, sizeof srx);
  rx_start(&srv, &srx);
  a = addr4("127.0.0.1", port_of(&srv));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), 5);
  run_until(&srx.datagrams, 1);
  assert_memory_equal(srx.last, "BOUND", 5);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-open.c udp_open_connect -- a socket connected outside
 * libuv: the handle knows, sends take no address */
static void test_udp_open_connect(void** state) {
  struct sockaddr_in a;
  uv_udp_send_t r;
  uv_buf_t b = uv_buf_init("CONN", 4);
  int sock;
  (void)state;
  setup_loop();
  reset_sends();
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  sock = raw_udp(AF_INET);
  assert_int_equal(connect(sock, (struct sockaddr*)&a, sizeof a), 0);
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_open(&cli, sock), 0);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, (const struct sockaddr*)&a, on_send), UV_EISCONN);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, NULL, on_send), 0);
  run_until(&srx.datagrams, 1);
  run_until(&send_cbs, 1);
  assert_memory_equal(srx.last, "CONN", 4);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-ref.c udp_ref, udp_ref2, udp_ref3 -- an unreferenced
 * reading or sending handle does not keep the loop alive */
static void test_udp_ref(void** state) {
  struct sockaddr_in a = addr4("127.0.0.1", 0);
  uv_udp_send_t r;
  uv_buf_t b = uv_buf_init("PING", 4);
  (void)state;
  setup_loop();
  reset_sends();
  /* ref: initialised, unreferenced */
  assert_int_equal(uv_udp_init(&loop, &srv), 0);
  uv_unref((uv_handle_t*)&srv);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  /* ref2: reading, unreferenced */
  assert_int_equal(uv_udp_bind(&srv, (const struct sockaddr*)&a, 0), 0);
  memset(&srx, 0, sizeof srx);
  rx_start(&srv, &srx);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  /* ref3: sending, unreferenced: the request keeps it alive until sent */
  a = addr4("127.0.0.1", port_of(&srv));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  uv_unref((uv_handle_t*)&cli);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, (const struct sockaddr*)&a, on_send), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(send_cbs, 1);
  assert_int_equal(uv_has_ref((uv_handle_t*)&cli), 0);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: test-udp-create-socket-early.c udp_create_early -- init_ex
 * with a family makes the socket (fileno works, unbound), bind keeps it */
static void test_udp_create_early(void** state) {
  struct sockaddr_in a = addr4("127.0.0.1", 0), name;
  int len = sizeof name;
  uv_os_fd_t fd, fd2;
  (void)state;
  setup_loop();
  assert_int_equal(uv_udp_init_ex(&loop, &cli, AF_INET), 0);
  assert_int_equal(uv_fileno((uv_handle_t*)&cli, &fd), 0);
  assert_int_equal(uv_udp_getsockname(&cli, (struct sockaddr*)&name, &len), 0);
  assert_int_equal(name.sin_port, 0);
  assert_int_equal(uv_udp_bind(&cli, (const struct sockaddr*)&a, 0), 0);
  assert_int_equal(uv_fileno((uv_handle_t*)&cli, &fd2), 0);
  assert_int_equal(fd, fd2);
  len = sizeof name;
  assert_int_equal(uv_udp_getsockname(&cli, (struct sockaddr*)&name, &len), 0);
  assert_memory_equal(&name.sin_addr, &a.sin_addr, sizeof a.sin_addr);
  assert_true(name.sin_port != 0);
  uv_close((uv_handle_t*)&cli, NULL);
  assert_int_equal(uv_fileno((uv_handle_t*)&cli, &fd2), UV_EBADF);
  finish_loop();
}

/* upstream: udp_create_early_bad_bind -- an IPv6 socket bound to an IPv4
 * address: UV_EINVAL */
static void test_udp_create_early_bad_bind(void** state) {
  struct sockaddr_in a = addr4("127.0.0.1", 0);
  (void)state;
  if (!have_ipv6()) skip();
  setup_loop();
  assert_int_equal(uv_udp_init_ex(&loop, &cli, AF_INET6), 0);
  assert_int_equal(uv_udp_bind(&cli, (const struct sockaddr*)&a, 0), UV_EINVAL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* upstream: udp_create_early_bad_domain -- unknown family or flags */
static void test_udp_create_early_bad_domain(void** state) {
  uv_os_fd_t fd;
  (void)state;
  setup_loop();
  assert_int_equal(uv_udp_init_ex(&loop, &cli, 47), UV_EINVAL);
  assert_int_equal(uv_udp_init_ex(&loop, &cli, 1024), UV_EINVAL);
  assert_int_equal(uv_udp_init_ex(&loop, &cli, AF_INET | 512), UV_EINVAL);
  /* nothing was initialised: the loop closes clean */
  assert_int_equal(uv_udp_init_ex(&loop, &cli, AF_UNSPEC | UV_UDP_RECVMMSG), 0);
  assert_int_equal(uv_fileno((uv_handle_t*)&cli, &fd), UV_EBADF); /* no socket yet */
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* libuv: getsockname / getpeername before a socket exists and after close */
static void test_udp_getsockname(void** state) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  struct sockaddr_in a = addr4("127.0.0.1", 0);
  (void)state;
  setup_loop();
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_getsockname(&cli, (struct sockaddr*)&ss, &len), UV_EBADF);
  assert_int_equal(uv_udp_bind(&cli, (const struct sockaddr*)&a, 0), 0);
  len = sizeof ss;
  assert_int_equal(uv_udp_getsockname(&cli, (struct sockaddr*)&ss, &len), 0);
  assert_int_equal(len, sizeof(struct sockaddr_in));
  assert_int_equal(ss.ss_family, AF_INET);
  len = sizeof ss;
  assert_int_equal(uv_udp_getpeername(&cli, (struct sockaddr*)&ss, &len), UV_ENOTCONN);
  uv_close((uv_handle_t*)&cli, NULL);
  len = sizeof ss;
  assert_int_equal(uv_udp_getsockname(&cli, (struct sockaddr*)&ss, &len), UV_EBADF);
  finish_loop();
}

/* libuv: recv_start on a handle with no socket binds it to 0.0.0.0:<any> */
static void test_udp_recv_autobind(void** state) {
  struct sockaddr_in name;
  int len = sizeof name;
  (void)state;
  setup_loop();
  assert_int_equal(uv_udp_init(&loop, &srv), 0);
  memset(&srx, 0, sizeof srx);
  rx_start(&srv, &srx);
  assert_int_equal(uv_is_active((uv_handle_t*)&srv), 1);
  assert_int_equal(uv_udp_getsockname(&srv, (struct sockaddr*)&name, &len), 0);
  assert_int_equal(name.sin_family, AF_INET);
  assert_int_equal(name.sin_addr.s_addr, htonl(INADDR_ANY));
  assert_true(name.sin_port != 0);
  assert_int_equal(uv_udp_recv_stop(&srv), 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&srv), 0);
  uv_close((uv_handle_t*)&srv, NULL);
  finish_loop();
}

/* libuv: a send inside a send_cb goes out after the callbacks (never
 * re-entering them), requests complete in order */
static uv_udp_send_t chain_reqs[3];
static struct sockaddr_in chain_addr;
static void chain_cb(uv_udp_send_t* req, int status) {
  static uv_buf_t b;
  int i = (int)(intptr_t)req->data;
  assert_int_equal(status, 0);
  send_order[send_cbs++] = i;
  if (i == 1) {
    b = uv_buf_init("THREE", 5);
    chain_reqs[2].data = (void*)3;
    assert_int_equal(uv_udp_send(&chain_reqs[2], req->handle, &b, 1, (const struct sockaddr*)&chain_addr, chain_cb), 0);
    assert_int_equal(send_cbs, 1); /* not called from in here */
  }
}

static void test_udp_send_in_send_cb(void** state) {
  uv_buf_t b1 = uv_buf_init("ONE", 3), b2 = uv_buf_init("TWO", 3);
  (void)state;
  setup_loop();
  reset_sends();
  chain_addr = addr4("127.0.0.1", bind_server(&srv, &srx));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  chain_reqs[0].data = (void*)1;
  chain_reqs[1].data = (void*)2;
  assert_int_equal(uv_udp_send(&chain_reqs[0], &cli, &b1, 1, (const struct sockaddr*)&chain_addr, chain_cb), 0);
  assert_int_equal(uv_udp_send(&chain_reqs[1], &cli, &b2, 1, (const struct sockaddr*)&chain_addr, chain_cb), 0);
  run_until(&send_cbs, 3);
  assert_int_equal(send_order[0], 1);
  assert_int_equal(send_order[1], 2);
  assert_int_equal(send_order[2], 3);
  run_until(&srx.datagrams, 3);
  assert_memory_equal(srx.last, "THREE", 5);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* libuv: an IPv6 handle talking to itself over ::1 */
static void test_udp_send_and_recv6(void** state) {
  struct sockaddr_in6 a;
  uv_udp_send_t r;
  uv_buf_t b = uv_buf_init("PING6", 5);
  (void)state;
  if (!have_ipv6()) skip();
  setup_loop();
  reset_sends();
  a = addr6("::1", 0);
  assert_int_equal(uv_udp_init_ex(&loop, &srv, AF_INET6), 0);
  assert_int_equal(uv_udp_bind(&srv, (const struct sockaddr*)&a, 0), 0);
  memset(&srx, 0, sizeof srx);
  rx_start(&srv, &srx);
  a = addr6("::1", port_of(&srv));
  assert_int_equal(uv_udp_send(&r, &srv, &b, 1, (const struct sockaddr*)&a, on_send), 0);
  run_until(&srx.datagrams, 1);
  run_until(&send_cbs, 1);
  assert_int_equal(srx.from.ss_family, AF_INET6);
  assert_int_equal(ntohs(((struct sockaddr_in6*)&srx.from)->sin6_port), port_of(&srv));
  assert_memory_equal(srx.last, "PING6", 5);
  uv_close((uv_handle_t*)&srv, NULL);
  finish_loop();
}


/* libuv: a datagram too big for UDP -- uv_udp_send reports UV_EMSGSIZE
 * through send_cb (from the next loop turn), uv_udp_try_send returns it */
static void test_udp_send_too_big(void** state) {
  struct sockaddr_in a;
  uv_udp_send_t r;
  static char big[70000];
  uv_buf_t b = uv_buf_init(big, sizeof big);
  (void)state;
  setup_loop();
  reset_sends();
  a = addr4("127.0.0.1", bind_server(&srv, &srx));
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, (const struct sockaddr*)&a), UV_EMSGSIZE);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, (const struct sockaddr*)&a, on_send), 0);
  assert_int_equal(send_cbs, 0);
  assert_int_equal(cli.send_queue_size, sizeof big);
  run_until(&send_cbs, 1);
  assert_int_equal(send_last_status, UV_EMSGSIZE);
  assert_int_equal(cli.send_queue_size, 0);
  assert_int_equal(cli.send_queue_count, 0);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
  assert_int_equal(srx.datagrams, 0);
}

/* libuv: uv_udp_open takes AF_UNIX datagram sockets too; a connected
 * socketpair end is known as connected */
static void test_udp_open_unix_dgram(void** state) {
  int sv[2];
  uv_udp_send_t r;
  uv_buf_t b = uv_buf_init("UNIX", 4);
  (void)state;
  setup_loop();
  reset_sends();
  assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
  assert_int_equal(uv_udp_init(&loop, &srv), 0);
  assert_int_equal(uv_udp_open(&srv, sv[0]), 0);
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_open(&cli, sv[1]), 0);
  memset(&srx, 0, sizeof srx);
  rx_start(&srv, &srx);
  assert_int_equal(uv_udp_send(&r, &cli, &b, 1, NULL, on_send), 0);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, NULL), UV_EAGAIN); /* queued */
  run_until(&send_cbs, 1);
  assert_int_equal(send_last_status, 0);
  assert_int_equal(uv_udp_try_send(&cli, &b, 1, NULL), 4);
  run_until(&srx.datagrams, 2);
  assert_memory_equal(srx.last, "UNIX", 4);
  assert_int_equal(srx.from.ss_family, AF_UNSPEC); /* an unnamed sender: an empty address, not NULL */
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* libuv: a full socket (AF_UNIX datagram pair, nobody reading) holds the
 * queue back; it drains in order once the peer reads. Exercises sends that
 * wait for the socket (libuv's POLLOUT, Veloq's SendMsg op). */
static uv_udp_send_t bp_reqs[200];
static char bp_data[200][16];
static int bp_order_ok;
static int bp_next_expected;
static void bp_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const struct sockaddr* addr, unsigned flags) {
  char want[16];
  if (nread > 0 && addr != NULL) {
    snprintf(want, sizeof want, "d%03d", bp_next_expected++);
    if (nread != 4 || memcmp(buf->base, want, 4) != 0) bp_order_ok = 0;
  }
  rx_recv(h, nread, buf, addr, flags);
}

static void fill_unix_pair(int sv[2], int count) {
  uv_buf_t b;
  int small = 4096;
  assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
  /* a send buffer of a few datagrams: the queue fills at once */
  assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  assert_int_equal(uv_udp_init(&loop, &srv), 0);
  assert_int_equal(uv_udp_open(&srv, sv[0]), 0);
  assert_int_equal(uv_udp_init(&loop, &cli), 0);
  assert_int_equal(uv_udp_open(&cli, sv[1]), 0);
  for (int i = 0; i < count; i++) {
    snprintf(bp_data[i], sizeof bp_data[i], "d%03d", i);
    b = uv_buf_init(bp_data[i], 4);
    bp_reqs[i].data = (void*)(intptr_t)(i + 1);
    assert_int_equal(uv_udp_send(&bp_reqs[i], &cli, &b, 1, NULL, on_send), 0);
  }
  for (int i = 0; i < 20; i++) uv_run(&loop, UV_RUN_NOWAIT);
}

static void test_udp_send_backpressure(void** state) {
  int sv[2];
  (void)state;
  setup_loop();
  reset_sends();
  fill_unix_pair(sv, 200);
  assert_true(send_cbs > 0);
  assert_true(send_cbs < 200); /* the peer's queue is full */
  assert_int_equal(cli.send_queue_count, (size_t)(200 - send_cbs));
  assert_int_equal(cli.send_queue_size, (size_t)(4 * (200 - send_cbs)));
  memset(&srx, 0, sizeof srx);
  bp_order_ok = 1;
  bp_next_expected = 0;
  srv.data = &srx;
  assert_int_equal(uv_udp_recv_start(&srv, rx_alloc, bp_recv), 0);
  run_until(&srx.datagrams, 200);
  run_until(&send_cbs, 200);
  assert_int_equal(bp_order_ok, 1);
  for (int i = 0; i < 200; i++) assert_int_equal(send_order[i], i + 1);
  for (int i = 0; i < 200; i++) assert_int_equal(send_statuses[i], 0);
  assert_int_equal(cli.send_queue_count, 0);
  uv_close((uv_handle_t*)&srv, NULL);
  uv_close((uv_handle_t*)&cli, NULL);
  finish_loop();
}

/* libuv: closing a handle whose sends wait for a full socket -- each
 * waiting request gets UV_ECANCELED, in order, before close_cb */
static void test_udp_close_blocked_sends(void** state) {
  int sv[2];
  int sent_before;
  (void)state;
  setup_loop();
  reset_sends();
  closes = 0;
  fill_unix_pair(sv, 100);
  sent_before = send_cbs;
  assert_true(sent_before < 100);
  uv_close((uv_handle_t*)&cli, cancel_on_close);
  run_until(&closes, 1);
  assert_int_equal(cancel_close_seen_sends, 100);
  for (int i = 0; i < 100; i++) assert_int_equal(send_order[i], i + 1);
  for (int i = sent_before; i < 100; i++) assert_int_equal(send_statuses[i], UV_ECANCELED);
  assert_int_equal(loop.active_reqs.count, 0);
  uv_close((uv_handle_t*)&srv, NULL);
  finish_loop();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_udp_send_and_recv),
      cmocka_unit_test(test_udp_send_and_recv6),
      cmocka_unit_test(test_udp_send_immediate),
      cmocka_unit_test(test_udp_send_unreachable),
      cmocka_unit_test(test_udp_connect),
      cmocka_unit_test(test_udp_connect6),
      cmocka_unit_test(test_udp_bind),
      cmocka_unit_test(test_udp_bind_reuseaddr),
      cmocka_unit_test(test_udp_bind_errors),
      cmocka_unit_test(test_udp_ipv6_only),
      cmocka_unit_test(test_udp_dual_stack),
      cmocka_unit_test(test_udp_try_send),
      cmocka_unit_test(test_udp_try_send_queued),
      cmocka_unit_test(test_udp_send_hang_loop),
      cmocka_unit_test(test_udp_sendmmsg_error),
      cmocka_unit_test(test_udp_mmsg),
      cmocka_unit_test(test_udp_mmsg_partial_batch),
      cmocka_unit_test(test_udp_alloc_cb_fail),
      cmocka_unit_test(test_udp_recv_in_a_row),
      cmocka_unit_test(test_udp_recv_round_limit),
      cmocka_unit_test(test_udp_partial),
      cmocka_unit_test(test_udp_send_many_bufs),
      cmocka_unit_test(test_udp_send_queue_order),
      cmocka_unit_test(test_udp_send_queue_count),
      cmocka_unit_test(test_udp_close_with_sends),
      cmocka_unit_test(test_udp_recv_stop),
      cmocka_unit_test(test_udp_close_in_recv_cb),
      cmocka_unit_test(test_udp_send_errors),
      cmocka_unit_test(test_udp_open),
      cmocka_unit_test(test_udp_open_twice),
      cmocka_unit_test(test_udp_open_bound),
      cmocka_unit_test(test_udp_open_connect),
      cmocka_unit_test(test_udp_ref),
      cmocka_unit_test(test_udp_create_early),
      cmocka_unit_test(test_udp_create_early_bad_bind),
      cmocka_unit_test(test_udp_create_early_bad_domain),
      cmocka_unit_test(test_udp_getsockname),
      cmocka_unit_test(test_udp_recv_autobind),
      cmocka_unit_test(test_udp_send_in_send_cb),
      cmocka_unit_test(test_udp_send_too_big),
      cmocka_unit_test(test_udp_open_unix_dgram),
      cmocka_unit_test(test_udp_send_backpressure),
      cmocka_unit_test(test_udp_close_blocked_sends),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
