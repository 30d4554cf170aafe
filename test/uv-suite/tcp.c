/* uv_tcp_t and the stream API over loopback TCP: connect/accept, reads,
 * writes, shutdown, close, errors. Every case runs on one loop in one
 * thread; a timer bounds each run so a lost callback fails instead of
 * hanging. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
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
  signal(SIGPIPE, SIG_IGN);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_timer_init(&loop, &guard), 0);
  assert_int_equal(uv_timer_start(&guard, on_guard, 10000, 0), 0);
  uv_unref((uv_handle_t*)&guard);
  guard_fired = 0;
}

static void closed_noop(uv_handle_t* h) { (void)h; }

static void finish_loop(void) {
  uv_close((uv_handle_t*)&guard, closed_noop);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static struct sockaddr_in addr4(int port) {
  struct sockaddr_in a;
  assert_int_equal(uv_ip4_addr("127.0.0.1", port, &a), 0);
  return a;
}

static int port_of(uv_tcp_t* t) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  assert_int_equal(uv_tcp_getsockname(t, (struct sockaddr*)&ss, &len), 0);
  if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6*)&ss)->sin6_port);
  return ntohs(((struct sockaddr_in*)&ss)->sin_port);
}

/* A server on 127.0.0.1:<ephemeral> that accepts into `peer` (one client). */
static uv_tcp_t server, peer, client;
static int accepted;
static int closes;
static void on_closed(uv_handle_t* h) {
  (void)h;
  closes++;
}

static void on_connection(uv_stream_t* s, int status) {
  assert_int_equal(status, 0);
  assert_int_equal(uv_tcp_init(&loop, &peer), 0);
  assert_int_equal(uv_accept(s, (uv_stream_t*)&peer), 0);
  accepted++;
}

static int listen_on_any(uv_connection_cb cb) {
  struct sockaddr_in a = addr4(0);
  assert_int_equal(uv_tcp_init(&loop, &server), 0);
  assert_int_equal(uv_tcp_bind(&server, (const struct sockaddr*)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&server, 16, cb), 0);
  return port_of(&server);
}

static uv_connect_t connect_req;
static int connect_status;
static int connects;
static void on_connect(uv_connect_t* r, int status) {
  assert_ptr_equal(r, &connect_req);
  connect_status = status;
  connects++;
}

/* server + connected client + accepted peer, all on `loop`. */
static void make_pair(void) {
  int port;
  struct sockaddr_in a;
  accepted = connects = closes = 0;
  port = listen_on_any(on_connection);
  a = addr4(port);
  assert_int_equal(uv_tcp_init(&loop, &client), 0);
  assert_int_equal(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*)&a, on_connect), 0);
  while ((accepted == 0 || connects == 0) && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(connect_status, 0);
  assert_int_equal(accepted, 1);
}

static void close_pair(void) {
  uv_close((uv_handle_t*)&server, on_closed);
  uv_close((uv_handle_t*)&peer, on_closed);
  uv_close((uv_handle_t*)&client, on_closed);
}

/* Reading into a growing buffer. */
struct sink {
  char* data;
  size_t len;
  size_t cap;
  int eof;
  int err;
  int reads;
  size_t chunk;   /* alloc size handed out (0: 64 KiB) */
  size_t stop_at; /* read_stop once this many bytes arrived (0: never) */
  int zero_bufs;  /* hand out this many empty buffers first */
  int enobufs;
};
static struct sink sink_c, sink_p;

static void sink_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  struct sink* k = h->data;
  size_t n = k->chunk ? k->chunk : suggested;
  if (k->zero_bufs > 0) {
    k->zero_bufs--;
    *buf = uv_buf_init(NULL, 0);
    return;
  }
  buf->base = malloc(n);
  buf->len = n;
}

static void sink_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  struct sink* k = s->data;
  if (nread > 0) {
    if (k->len + (size_t)nread > k->cap) {
      k->cap = (k->len + (size_t)nread) * 2;
      k->data = realloc(k->data, k->cap);
    }
    memcpy(k->data + k->len, buf->base, (size_t)nread);
    k->len += (size_t)nread;
    k->reads++;
    if (k->stop_at && k->len >= k->stop_at) uv_read_stop(s);
  } else if (nread == UV_EOF) {
    k->eof++;
  } else if (nread == UV_ENOBUFS) {
    k->enobufs++;
  } else if (nread < 0) {
    k->err = (int)nread;
  }
  free(buf->base);
}

static void sink_reset(struct sink* k) {
  free(k->data);
  memset(k, 0, sizeof *k);
}

static void start_sink(uv_tcp_t* t, struct sink* k) {
  t->data = k;
  assert_int_equal(uv_read_start((uv_stream_t*)t, sink_alloc, sink_read), 0);
}

static void run_until(int* flag, int value) {
  while (*flag < value && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

static void run_until_len(struct sink* k, size_t len) {
  while (k->len < len && !k->eof && !k->err && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

static int write_cbs;
static int write_last_status;
static int write_order[64];
static void on_write(uv_write_t* r, int status) {
  write_order[write_cbs++ % 64] = (int)(intptr_t)r->data;
  write_last_status = status;
}

static int have_ipv6(void) {
  struct sockaddr_in6 a;
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  int ok;
  if (fd < 0) return 0;
  uv_ip6_addr("::1", 0, &a);
  ok = bind(fd, (struct sockaddr*)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

/* -------------------------------------------------------------------- cases */

/* upstream: tcp_ping_pong */
static void ping_pong(const char* host, int v6) {
  struct sockaddr_storage a;
  uv_write_t w;
  uv_buf_t b;
  int i;
  setup_loop();
  accepted = connects = 0;
  assert_int_equal(uv_tcp_init(&loop, &server), 0);
  if (v6) assert_int_equal(uv_ip6_addr(host, 0, (struct sockaddr_in6*)&a), 0);
  else assert_int_equal(uv_ip4_addr(host, 0, (struct sockaddr_in*)&a), 0);
  assert_int_equal(uv_tcp_bind(&server, (struct sockaddr*)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&server, 8, on_connection), 0);
  if (v6) ((struct sockaddr_in6*)&a)->sin6_port = htons((uint16_t)port_of(&server));
  else ((struct sockaddr_in*)&a)->sin_port = htons((uint16_t)port_of(&server));
  assert_int_equal(uv_tcp_init(&loop, &client), 0);
  assert_int_equal(uv_tcp_connect(&connect_req, &client, (struct sockaddr*)&a, on_connect), 0);
  run_until(&connects, 1);
  assert_int_equal(connect_status, 0);
  run_until(&accepted, 1);
  sink_reset(&sink_c);
  sink_reset(&sink_p);
  start_sink(&client, &sink_c);
  start_sink(&peer, &sink_p);
  for (i = 1; i <= 10; i++) {
    b = uv_buf_init("PING", 4);
    write_cbs = 0;
    assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &b, 1, on_write), 0);
    run_until_len(&sink_p, (size_t)(4 * i));
    b = uv_buf_init("PONG", 4);
    assert_int_equal(uv_write(&w, (uv_stream_t*)&peer, &b, 1, on_write), 0);
    run_until_len(&sink_c, (size_t)(4 * i));
    run_until(&write_cbs, 2);
    assert_int_equal(write_last_status, 0);
  }
  assert_int_equal(memcmp(sink_p.data, "PINGPING", 8), 0);
  assert_int_equal(memcmp(sink_c.data + 36, "PONG", 4), 0);
  closes = 0;
  close_pair();
  finish_loop();
  assert_int_equal(closes, 3);
  sink_reset(&sink_c);
  sink_reset(&sink_p);
}

static void test_tcp_ping_pong(void** state) {
  (void)state;
  ping_pong("127.0.0.1", 0);
}

/* upstream: tcp_ping_pong_v6 */
static void test_tcp_ping_pong_v6(void** state) {
  (void)state;
  if (!have_ipv6()) skip();
  ping_pong("::1", 1);
}

/* upstream: tcp_writealot / echo in odd chunk sizes: 1 MiB written as
 * uneven buffers, read back with an odd alloc size, bytes intact. */
static void test_tcp_echo_1mib_odd_chunks(void** state) {
  enum { kTotal = 1 << 20, kReqs = 40 };
  static uv_write_t reqs[kReqs];
  uv_buf_t bufs[3];
  char* data = malloc(kTotal);
  size_t off = 0;
  int i = 0;
  (void)state;
  for (size_t k = 0; k < kTotal; k++) data[k] = (char)(k * 7 + k / 251);
  setup_loop();
  make_pair();
  sink_reset(&sink_p);
  sink_p.chunk = 1237;
  start_sink(&peer, &sink_p);
  write_cbs = 0;
  while (off < kTotal) {
    size_t a = 4093 + (size_t)i * 17, b = 1, c = 30011;
    if (off + a + b + c > kTotal) {
      a = kTotal - off;
      b = c = 0;
    }
    bufs[0] = uv_buf_init(data + off, (unsigned)a);
    bufs[1] = uv_buf_init(data + off + a, (unsigned)b);
    bufs[2] = uv_buf_init(data + off + a + b, (unsigned)c);
    reqs[i].data = (void*)(intptr_t)i;
    assert_int_equal(uv_write(&reqs[i], (uv_stream_t*)&client, bufs, b ? 3 : 1, on_write), 0);
    off += a + b + c;
    i++;
    assert_true(i < kReqs);
  }
  run_until_len(&sink_p, kTotal);
  run_until(&write_cbs, i);
  assert_int_equal(sink_p.len, kTotal);
  assert_int_equal(memcmp(sink_p.data, data, kTotal), 0);
  assert_int_equal(client.write_queue_size, 0);
  for (int k = 0; k < i; k++) assert_int_equal(write_order[k], k);
  close_pair();
  finish_loop();
  sink_reset(&sink_p);
  free(data);
}

/* upstream: tcp_write_queue_order -- write_cbs in request order, the queue
 * size counting unwritten bytes */
static void test_tcp_write_queue_order(void** state) {
  enum { kReqs = 32, kSize = 256 * 1024 };
  static uv_write_t reqs[kReqs];
  char* data = calloc(1, kSize);
  uv_buf_t b = uv_buf_init(data, kSize);
  (void)state;
  setup_loop();
  make_pair();
  write_cbs = 0;
  for (int i = 0; i < kReqs; i++) {
    reqs[i].data = (void*)(intptr_t)i;
    assert_int_equal(uv_write(&reqs[i], (uv_stream_t*)&client, &b, 1, on_write), 0);
  }
  /* The kernel cannot have taken 8 MiB: the rest is queued and counted. */
  assert_true(client.write_queue_size > 0);
  assert_true(client.write_queue_size <= (size_t)kReqs * kSize);
  assert_int_equal(uv_stream_get_write_queue_size((uv_stream_t*)&client), client.write_queue_size);
  sink_reset(&sink_p);
  start_sink(&peer, &sink_p);
  run_until(&write_cbs, kReqs);
  for (int i = 0; i < kReqs; i++) assert_int_equal(write_order[i], i);
  assert_int_equal(client.write_queue_size, 0);
  run_until_len(&sink_p, (size_t)kReqs * kSize);
  close_pair();
  finish_loop();
  sink_reset(&sink_p);
  free(data);
}

/* upstream: shutdown_eof -- the peer reads the data then UV_EOF; the
 * shutdown_cb runs once with 0 */
static uv_shutdown_t shutdown_req;
static int shutdown_cbs, shutdown_status;
static void on_shutdown(uv_shutdown_t* r, int status) {
  assert_ptr_equal(r, &shutdown_req);
  shutdown_cbs++;
  shutdown_status = status;
}

static void test_shutdown_eof(void** state) {
  uv_write_t w;
  uv_buf_t b = uv_buf_init("hello", 5);
  (void)state;
  setup_loop();
  make_pair();
  shutdown_cbs = 0;
  sink_reset(&sink_p);
  start_sink(&peer, &sink_p);
  assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &b, 1, on_write), 0);
  assert_int_equal(uv_shutdown(&shutdown_req, (uv_stream_t*)&client, on_shutdown), 0);
  assert_int_equal(uv_is_writable((uv_stream_t*)&client), 0);
  assert_int_equal(uv_is_readable((uv_stream_t*)&client), 1);
  /* second shutdown and writes after it are refused */
  assert_int_equal(uv_shutdown(&shutdown_req, (uv_stream_t*)&client, on_shutdown), UV_ENOTCONN);
  assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &b, 1, on_write), UV_EPIPE);
  run_until(&sink_p.eof, 1);
  run_until(&shutdown_cbs, 1);
  assert_int_equal(shutdown_status, 0);
  assert_int_equal(sink_p.len, 5);
  assert_int_equal(memcmp(sink_p.data, "hello", 5), 0);
  /* EOF stops reading: the handle is no longer active */
  assert_int_equal(uv_is_active((uv_handle_t*)&peer), 0);
  close_pair();
  finish_loop();
  assert_int_equal(shutdown_cbs, 1);
  sink_reset(&sink_p);
}

/* upstream: shutdown_close_not_connected (an unconnected handle) */
static void test_shutdown_not_connected(void** state) {
  uv_tcp_t t;
  (void)state;
  setup_loop();
  assert_int_equal(uv_tcp_init(&loop, &t), 0);
  assert_int_equal(uv_shutdown(&shutdown_req, (uv_stream_t*)&t, on_shutdown), UV_ENOTCONN);
  assert_int_equal(uv_is_readable((uv_stream_t*)&t), 0);
  assert_int_equal(uv_is_writable((uv_stream_t*)&t), 0);
  uv_close((uv_handle_t*)&t, NULL);
  finish_loop();
}

/* upstream: tcp_close_while_connecting -- connect_cb gets UV_ECANCELED
 * before close_cb */
static int order_log[8], order_n;
static void log_connect(uv_connect_t* r, int status) {
  (void)r;
  connect_status = status;
  order_log[order_n++] = 1;
}
static void log_close(uv_handle_t* h) {
  (void)h;
  order_log[order_n++] = 2;
}

static void test_tcp_close_while_connecting(void** state) {
  struct sockaddr_in a;
  (void)state;
  setup_loop();
  order_n = 0;
  listen_on_any(on_connection);
  a = addr4(port_of(&server));
  assert_int_equal(uv_tcp_init(&loop, &client), 0);
  assert_int_equal(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*)&a, log_connect), 0);
  assert_int_equal(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*)&a, log_connect), UV_EALREADY);
  uv_close((uv_handle_t*)&client, log_close);
  uv_close((uv_handle_t*)&server, NULL);
  finish_loop();
  assert_int_equal(order_n, 2);
  assert_int_equal(order_log[0], 1);
  assert_int_equal(order_log[1], 2);
  assert_int_equal(connect_status, UV_ECANCELED);
}

/* upstream: tcp_close -- writes still queued at uv_close fail with
 * UV_ECANCELED, and every write_cb runs before close_cb */
static int close_seen_by_write;
static int cancelled;
static void write_count_cancel(uv_write_t* r, int status) {
  (void)r;
  if (status == UV_ECANCELED) cancelled++;
  if (order_n > 0) close_seen_by_write = 1;
  write_cbs++;
}

static void test_tcp_close_cancels_writes(void** state) {
  enum { kReqs = 16, kSize = 1 << 20 };
  static uv_write_t reqs[kReqs];
  char* data = calloc(1, kSize);
  uv_buf_t b = uv_buf_init(data, kSize);
  (void)state;
  setup_loop();
  make_pair();
  write_cbs = cancelled = close_seen_by_write = order_n = 0;
  for (int i = 0; i < kReqs; i++)
    assert_int_equal(uv_write(&reqs[i], (uv_stream_t*)&client, &b, 1, write_count_cancel), 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  uv_close((uv_handle_t*)&client, log_close);
  uv_close((uv_handle_t*)&peer, NULL);
  uv_close((uv_handle_t*)&server, NULL);
  finish_loop();
  assert_int_equal(write_cbs, kReqs);
  /* the peer never read: 16 MiB cannot have fit, the tail is cancelled */
  assert_true(cancelled >= kReqs / 2);
  assert_int_equal(close_seen_by_write, 0);
  assert_int_equal(order_n, 1);
  free(data);
}

/* upstream: tcp_close (small writes done inline still report 0) */
static void test_tcp_close_after_small_write(void** state) {
  uv_write_t w;
  uv_buf_t b = uv_buf_init("PING", 4);
  (void)state;
  setup_loop();
  make_pair();
  write_cbs = 0;
  write_last_status = -1;
  sink_reset(&sink_p);
  start_sink(&peer, &sink_p);
  assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &b, 1, on_write), 0);
  uv_close((uv_handle_t*)&client, NULL);
  run_until(&sink_p.eof, 1);
  assert_int_equal(write_cbs, 1);
  assert_int_equal(write_last_status, 0);
  assert_int_equal(sink_p.len, 4);
  uv_close((uv_handle_t*)&peer, NULL);
  uv_close((uv_handle_t*)&server, NULL);
  finish_loop();
  sink_reset(&sink_p);
}

/* upstream: connection_fail -- nobody listens: UV_ECONNREFUSED */
static void test_connection_fail(void** state) {
  struct sockaddr_in a;
  uv_tcp_t t;
  int port;
  (void)state;
  setup_loop();
  /* a port that was just free */
  assert_int_equal(uv_tcp_init(&loop, &t), 0);
  a = addr4(0);
  assert_int_equal(uv_tcp_bind(&t, (const struct sockaddr*)&a, 0), 0);
  port = port_of(&t);
  uv_close((uv_handle_t*)&t, NULL);
  uv_run(&loop, UV_RUN_NOWAIT);
  connects = 0;
  a = addr4(port);
  assert_int_equal(uv_tcp_init(&loop, &client), 0);
  assert_int_equal(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*)&a, on_connect), 0);
  assert_int_equal(loop.active_reqs.count, 1);
  run_until(&connects, 1);
  assert_int_equal(connect_status, UV_ECONNREFUSED);
  assert_int_equal(loop.active_reqs.count, 0);
  uv_close((uv_handle_t*)&client, NULL);
  finish_loop();
}

/* upstream: tcp_bind_error_addrinuse_listen -- bind succeeds, listen says
 * UV_EADDRINUSE */
static void test_tcp_bind_error_addrinuse(void** state) {
  uv_tcp_t a_srv, b_srv;
  struct sockaddr_in a;
  (void)state;
  setup_loop();
  assert_int_equal(uv_tcp_init(&loop, &a_srv), 0);
  a = addr4(0);
  assert_int_equal(uv_tcp_bind(&a_srv, (const struct sockaddr*)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&a_srv, 4, on_connection), 0);
  a = addr4(port_of(&a_srv));
  assert_int_equal(uv_tcp_init(&loop, &b_srv), 0);
  assert_int_equal(uv_tcp_bind(&b_srv, (const struct sockaddr*)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&b_srv, 4, on_connection), UV_EADDRINUSE);
  uv_close((uv_handle_t*)&a_srv, NULL);
  uv_close((uv_handle_t*)&b_srv, NULL);
  finish_loop();
}

/* upstream: tcp_bind_error_inval / tcp_bind_invalid_flags / tcp_init_ex */
static void test_tcp_bind_error_inval(void** state) {
  uv_tcp_t t, t2, t3;
  struct sockaddr_in a = addr4(0);
  struct sockaddr_in6 a6;
  (void)state;
  setup_loop();
  assert_int_equal(uv_tcp_init(&loop, &t), 0);
  assert_int_equal(uv_tcp_bind(&t, (const struct sockaddr*)&a, UV_TCP_IPV6ONLY), UV_EINVAL);
  assert_int_equal(uv_tcp_bind(&t, (const struct sockaddr*)&a, 0), 0);
  /* an IPv4 socket: libuv's IPV6_V6ONLY setsockopt fails first */
  assert_int_equal(uv_ip6_addr("::1", 0, &a6), 0);
  assert_int_equal(uv_tcp_bind(&t, (const struct sockaddr*)&a6, 0), UV_ENOPROTOOPT);
  uv_close((uv_handle_t*)&t, NULL);
  /* init_ex: family only */
  assert_int_equal(uv_tcp_init_ex(&loop, &t2, AF_UNIX), UV_EINVAL);
  assert_int_equal(uv_tcp_init_ex(&loop, &t2, AF_INET | 0x100), UV_EINVAL);
  assert_int_equal(uv_tcp_init_ex(&loop, &t2, AF_INET6), 0);
  {
    int fd = -1;
    assert_int_equal(uv_fileno((uv_handle_t*)&t2, &fd), 0);
    assert_true(fd > 2);
  }
  uv_close((uv_handle_t*)&t2, NULL);
  assert_int_equal(uv_tcp_init_ex(&loop, &t3, AF_UNSPEC), 0);
  {
    int fd = 123;
    assert_int_equal(uv_fileno((uv_handle_t*)&t3, &fd), UV_EBADF);
  }
  uv_close((uv_handle_t*)&t3, NULL);
  finish_loop();
}

/* upstream: tcp_bind6_error_addrinuse / IPV6ONLY -- a v6-only socket on ::
 * leaves the IPv4 port free */
static void test_tcp_bind_ipv6only(void** state) {
  uv_tcp_t t6, t4;
  struct sockaddr_in6 a6;
  struct sockaddr_in a4;
  int on = 0;
  socklen_t len = sizeof on;
  int fd;
  (void)state;
  if (!have_ipv6()) skip();
  setup_loop();
  assert_int_equal(uv_tcp_init(&loop, &t6), 0);
  assert_int_equal(uv_ip6_addr("::", 0, &a6), 0);
  assert_int_equal(uv_tcp_bind(&t6, (const struct sockaddr*)&a6, UV_TCP_IPV6ONLY), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&t6, 4, on_connection), 0);
  assert_int_equal(uv_fileno((uv_handle_t*)&t6, &fd), 0);
  assert_int_equal(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, &len), 0);
  assert_int_equal(on, 1);
  assert_int_equal(uv_tcp_init(&loop, &t4), 0);
  a4 = addr4(port_of(&t6));
  assert_int_equal(uv_tcp_bind(&t4, (const struct sockaddr*)&a4, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&t4, 4, on_connection), 0);
  uv_close((uv_handle_t*)&t6, NULL);
  uv_close((uv_handle_t*)&t4, NULL);
  finish_loop();
}

/* upstream: tcp_try_write -- straight to the socket; UV_EAGAIN when full */
static void test_tcp_try_write(void** state) {
  static char big[64 * 1024];
  uv_buf_t b = uv_buf_init("abc", 3);
  int r, total = 0;
  uv_tcp_t t;
  (void)state;
  setup_loop();
  make_pair();
  assert_int_equal(uv_try_write((uv_stream_t*)&client, &b, 1), 3);
  b = uv_buf_init(big, sizeof big);
  for (;;) {
    r = uv_try_write((uv_stream_t*)&client, &b, 1);
    if (r < 0) break;
    total += r;
    assert_true(total < 256 * 1024 * 1024);
  }
  assert_int_equal(r, UV_EAGAIN);
  assert_true(total > 0);
  /* not connected: no fd */
  assert_int_equal(uv_tcp_init(&loop, &t), 0);
  assert_int_equal(uv_try_write((uv_stream_t*)&t, &b, 1), UV_EBADF);
  uv_close((uv_handle_t*)&t, NULL);
  close_pair();
  finish_loop();
}

/* upstream: tcp_try_write_error -- EAGAIN while a write is queued */
static void test_tcp_try_write_queued(void** state) {
  enum { kSize = 8 << 20 };
  char* data = calloc(1, kSize);
  uv_buf_t b = uv_buf_init(data, kSize);
  uv_buf_t small = uv_buf_init("x", 1);
  uv_write_t w;
  (void)state;
  setup_loop();
  make_pair();
  write_cbs = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &b, 1, write_count_cancel), 0);
  assert_true(client.write_queue_size > 0);
  assert_int_equal(uv_try_write((uv_stream_t*)&client, &small, 1), UV_EAGAIN);
  close_pair();
  finish_loop();
  assert_int_equal(write_cbs, 1);
  free(data);
}

/* upstream: tcp_read_stop -- nothing is delivered after uv_read_stop, the
 * data waits for the next uv_read_start, intact and in order */
static void test_tcp_read_stop(void** state) {
  static char data[200000];
  uv_write_t w;
  uv_buf_t b = uv_buf_init(data, sizeof data);
  (void)state;
  for (size_t i = 0; i < sizeof data; i++) data[i] = (char)(i % 253);
  setup_loop();
  make_pair();
  sink_reset(&sink_p);
  sink_p.chunk = 1000;
  sink_p.stop_at = 3000;
  start_sink(&peer, &sink_p);
  write_cbs = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &b, 1, on_write), 0);
  run_until(&write_cbs, 1);
  while (sink_p.len < 3000 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(sink_p.len, 3000);
  assert_int_equal(uv_is_active((uv_handle_t*)&peer), 0);
  /* some turns with data waiting: nothing arrives */
  for (int i = 0; i < 5; i++) uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(sink_p.len, 3000);
  sink_p.stop_at = 0;
  assert_int_equal(uv_read_start((uv_stream_t*)&peer, sink_alloc, sink_read), 0);
  run_until_len(&sink_p, sizeof data);
  assert_int_equal(sink_p.len, sizeof data);
  assert_int_equal(memcmp(sink_p.data, data, sizeof data), 0);
  close_pair();
  finish_loop();
  sink_reset(&sink_p);
}

/* upstream: tcp_alloc_cb_fail -- an empty buffer from alloc_cb is
 * reported as UV_ENOBUFS and the data is not lost */
static void test_tcp_alloc_cb_zero(void** state) {
  uv_write_t w;
  uv_buf_t b = uv_buf_init("payload", 7);
  (void)state;
  setup_loop();
  make_pair();
  sink_reset(&sink_p);
  sink_p.zero_bufs = 2;
  start_sink(&peer, &sink_p);
  assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &b, 1, on_write), 0);
  run_until_len(&sink_p, 7);
  assert_int_equal(sink_p.enobufs, 2);
  assert_int_equal(memcmp(sink_p.data, "payload", 7), 0);
  close_pair();
  finish_loop();
  sink_reset(&sink_p);
}

/* upstream: tcp_flags / tcp_nodelay / keepalive -- options before and
 * after the socket exists */
static void test_tcp_nodelay_keepalive(void** state) {
  int fd, v;
  socklen_t len = sizeof v;
  (void)state;
  setup_loop();
  make_pair();
  assert_int_equal(uv_fileno((uv_handle_t*)&client, &fd), 0);
  assert_int_equal(uv_tcp_nodelay(&client, 1), 0);
  assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
  assert_int_equal(v, 1);
  assert_int_equal(uv_tcp_nodelay(&client, 0), 0);
  assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
  assert_int_equal(v, 0);
  assert_int_equal(uv_tcp_keepalive(&client, 1, 42), 0);
  assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len), 0);
  assert_int_equal(v, 1);
  assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len), 0);
  assert_int_equal(v, 42);
  assert_int_equal(uv_tcp_keepalive(&client, 0, 0), 0);
  assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len), 0);
  assert_int_equal(v, 0);
  close_pair();
  finish_loop();
}

/* upstream: tcp_flags -- set before the socket exists, applied when it is
 * accepted */
static uv_tcp_t pre;
static void on_connection_pre(uv_stream_t* s, int status) {
  assert_int_equal(status, 0);
  assert_int_equal(uv_tcp_init(&loop, &pre), 0);
  assert_int_equal(uv_tcp_nodelay(&pre, 1), 0);
  assert_int_equal(uv_tcp_keepalive(&pre, 1, 5), 0);
  assert_int_equal(uv_accept(s, (uv_stream_t*)&pre), 0);
  accepted++;
}

static void test_tcp_flags_before_socket(void** state) {
  struct sockaddr_in a;
  int fd, v;
  socklen_t len = sizeof v;
  (void)state;
  setup_loop();
  accepted = connects = 0;
  a = addr4(listen_on_any(on_connection_pre));
  assert_int_equal(uv_tcp_init(&loop, &client), 0);
  assert_int_equal(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*)&a, on_connect), 0);
  run_until(&accepted, 1);
  assert_int_equal(uv_fileno((uv_handle_t*)&pre, &fd), 0);
  assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
  assert_int_equal(v, 1);
  assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len), 0);
  assert_int_equal(v, 1);
  uv_close((uv_handle_t*)&pre, NULL);
  uv_close((uv_handle_t*)&client, NULL);
  uv_close((uv_handle_t*)&server, NULL);
  finish_loop();
}

/* upstream: getsockname / getpeername */
static void test_getsockname(void** state) {
  struct sockaddr_storage s1, s2;
  int l1 = sizeof s1, l2 = sizeof s2;
  uv_tcp_t t;
  (void)state;
  setup_loop();
  make_pair();
  assert_int_equal(uv_tcp_getsockname(&client, (struct sockaddr*)&s1, &l1), 0);
  assert_int_equal(uv_tcp_getpeername(&peer, (struct sockaddr*)&s2, &l2), 0);
  assert_int_equal(l1, sizeof(struct sockaddr_in));
  assert_int_equal(l1, l2);
  assert_int_equal(memcmp(&s1, &s2, (size_t)l1), 0);
  l2 = sizeof s2;
  assert_int_equal(uv_tcp_getpeername(&client, (struct sockaddr*)&s2, &l2), 0);
  assert_int_equal(ntohs(((struct sockaddr_in*)&s2)->sin_port), port_of(&server));
  /* a listening socket has no peer */
  l2 = sizeof s2;
  assert_int_equal(uv_tcp_getpeername(&server, (struct sockaddr*)&s2, &l2), UV_ENOTCONN);
  /* no socket yet */
  assert_int_equal(uv_tcp_init(&loop, &t), 0);
  l2 = sizeof s2;
  assert_int_equal(uv_tcp_getsockname(&t, (struct sockaddr*)&s2, &l2), UV_EBADF);
  uv_close((uv_handle_t*)&t, NULL);
  close_pair();
  finish_loop();
}

/* upstream: tcp_open -- adopt a socket connected with plain syscalls */
static void test_tcp_open(void** state) {
  struct sockaddr_in a;
  uv_tcp_t t;
  uv_write_t w;
  uv_buf_t b = uv_buf_init("open", 4);
  int fd;
  (void)state;
  setup_loop();
  accepted = 0;
  a = addr4(listen_on_any(on_connection));
  fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  assert_int_equal(connect(fd, (struct sockaddr*)&a, sizeof a), 0);
  assert_int_equal(uv_tcp_init(&loop, &t), 0);
  assert_int_equal(uv_tcp_open(&t, fd), 0);
  assert_int_equal(uv_is_readable((uv_stream_t*)&t), 1);
  assert_int_equal(uv_is_writable((uv_stream_t*)&t), 1);
  run_until(&accepted, 1);
  sink_reset(&sink_p);
  start_sink(&peer, &sink_p);
  assert_int_equal(uv_write(&w, (uv_stream_t*)&t, &b, 1, on_write), 0);
  run_until_len(&sink_p, 4);
  assert_int_equal(memcmp(sink_p.data, "open", 4), 0);
  uv_close((uv_handle_t*)&t, NULL); /* closes fd */
  run_until(&sink_p.eof, 1);
  uv_close((uv_handle_t*)&peer, NULL);
  uv_close((uv_handle_t*)&server, NULL);
  finish_loop();
  assert_int_equal(fcntl(fd, F_GETFD), -1);
  sink_reset(&sink_p);
}

/* upstream: tcp_close_reset_client -- the peer sees a reset, not EOF */
static void test_tcp_close_reset(void** state) {
  (void)state;
  setup_loop();
  make_pair();
  sink_reset(&sink_p);
  start_sink(&peer, &sink_p);
  closes = 0;
  assert_int_equal(uv_tcp_close_reset(&client, on_closed), 0);
  while (sink_p.err == 0 && sink_p.eof == 0 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(sink_p.err, UV_ECONNRESET);
  assert_int_equal(sink_p.eof, 0);
  assert_int_equal(closes, 1);
  uv_close((uv_handle_t*)&peer, NULL);
  uv_close((uv_handle_t*)&server, NULL);
  finish_loop();
  sink_reset(&sink_p);
}

/* upstream: tcp_close_reset_client_after_shutdown */
static void test_tcp_close_reset_after_shutdown(void** state) {
  (void)state;
  setup_loop();
  make_pair();
  shutdown_cbs = 0;
  assert_int_equal(uv_shutdown(&shutdown_req, (uv_stream_t*)&client, on_shutdown), 0);
  assert_int_equal(uv_tcp_close_reset(&client, NULL), UV_EINVAL);
  close_pair();
  finish_loop();
  assert_int_equal(shutdown_cbs, 1);
}

/* upstream: tcp_read_stop_start / read_start errors */
static void test_read_start_errors(void** state) {
  uv_tcp_t t;
  (void)state;
  setup_loop();
  assert_int_equal(uv_tcp_init(&loop, &t), 0);
  assert_int_equal(uv_read_start((uv_stream_t*)&t, sink_alloc, sink_read), UV_ENOTCONN);
  assert_int_equal(uv_read_stop((uv_stream_t*)&t), 0);
  uv_close((uv_handle_t*)&t, NULL);
  assert_int_equal(uv_read_start((uv_stream_t*)&t, sink_alloc, sink_read), UV_EINVAL);
  finish_loop();
}

/* upstream: tcp_unexpected_read / accept -- uv_accept without a pending
 * connection; a connection not taken in connection_cb waits */
static int pending_conns;
static void on_connection_defer(uv_stream_t* s, int status) {
  (void)s;
  assert_int_equal(status, 0);
  pending_conns++;
}

static void test_tcp_accept_deferred(void** state) {
  struct sockaddr_in a;
  uv_tcp_t c2, p2;
  uv_connect_t r2;
  (void)state;
  setup_loop();
  pending_conns = 0;
  connects = 0;
  a = addr4(listen_on_any(on_connection_defer));
  assert_int_equal(uv_tcp_init(&loop, &p2), 0);
  assert_int_equal(uv_accept((uv_stream_t*)&server, (uv_stream_t*)&p2), UV_EAGAIN);
  assert_int_equal(uv_tcp_init(&loop, &client), 0);
  assert_int_equal(uv_tcp_init(&loop, &c2), 0);
  assert_int_equal(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*)&a, on_connect), 0);
  run_until(&pending_conns, 1);
  assert_int_equal(uv_tcp_connect(&r2, &c2, (const struct sockaddr*)&a, NULL), 0);
  /* the user holds one: no second connection_cb until it is taken */
  for (int i = 0; i < 10; i++) uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(pending_conns, 1);
  assert_int_equal(uv_accept((uv_stream_t*)&server, (uv_stream_t*)&p2), 0);
  run_until(&pending_conns, 2);
  assert_int_equal(uv_tcp_init(&loop, &peer), 0);
  assert_int_equal(uv_accept((uv_stream_t*)&server, (uv_stream_t*)&peer), 0);
  assert_int_equal(uv_accept((uv_stream_t*)&server, (uv_stream_t*)&peer), UV_EAGAIN);
  uv_close((uv_handle_t*)&c2, NULL);
  uv_close((uv_handle_t*)&p2, NULL);
  close_pair();
  finish_loop();
}

/* upstream: tcp_write_after_connect / write before connect completes --
 * queued behind the connect, sent once connected; active_reqs counted */
static void test_tcp_write_while_connecting(void** state) {
  struct sockaddr_in a;
  uv_write_t w;
  uv_buf_t b = uv_buf_init("early", 5);
  (void)state;
  setup_loop();
  accepted = connects = 0;
  write_cbs = 0;
  a = addr4(listen_on_any(on_connection));
  assert_int_equal(uv_tcp_init(&loop, &client), 0);
  assert_int_equal(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*)&a, on_connect), 0);
  assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &b, 1, on_write), 0);
  assert_int_equal(loop.active_reqs.count, 2);
  assert_int_equal(client.write_queue_size, 5);
  assert_int_equal(uv_is_active((uv_handle_t*)&client), 0);
  run_until(&write_cbs, 1);
  assert_int_equal(write_last_status, 0);
  assert_int_equal(connects, 1);
  assert_int_equal(loop.active_reqs.count, 0);
  run_until(&accepted, 1);
  sink_reset(&sink_p);
  start_sink(&peer, &sink_p);
  run_until_len(&sink_p, 5);
  assert_int_equal(memcmp(sink_p.data, "early", 5), 0);
  close_pair();
  finish_loop();
  sink_reset(&sink_p);
}

/* upstream: tcp_close_while_reading / read_cb closing its own handle:
 * nothing after close */
static int reads_after_close;
static int closed_in_read;
static void alloc_big(uv_handle_t* h, size_t s, uv_buf_t* b) {
  (void)h;
  b->base = malloc(s);
  b->len = s;
}
static void read_then_close(uv_stream_t* s, ssize_t nread, const uv_buf_t* b) {
  free(b->base);
  if (closed_in_read) {
    reads_after_close++;
    return;
  }
  if (nread > 0) {
    closed_in_read = 1;
    uv_close((uv_handle_t*)s, NULL);
  }
}

static void test_tcp_close_in_read_cb(void** state) {
  static char data[300000];
  uv_write_t w;
  uv_buf_t b = uv_buf_init(data, sizeof data);
  (void)state;
  setup_loop();
  make_pair();
  reads_after_close = closed_in_read = 0;
  write_cbs = 0;
  assert_int_equal(uv_read_start((uv_stream_t*)&peer, alloc_big, read_then_close), 0);
  assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &b, 1, write_count_cancel), 0);
  run_until(&closed_in_read, 1);
  uv_close((uv_handle_t*)&client, NULL);
  uv_close((uv_handle_t*)&server, NULL);
  finish_loop();
  assert_int_equal(reads_after_close, 0);
  assert_int_equal(write_cbs, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tcp_ping_pong),
      cmocka_unit_test(test_tcp_ping_pong_v6),
      cmocka_unit_test(test_tcp_echo_1mib_odd_chunks),
      cmocka_unit_test(test_tcp_write_queue_order),
      cmocka_unit_test(test_shutdown_eof),
      cmocka_unit_test(test_shutdown_not_connected),
      cmocka_unit_test(test_tcp_close_while_connecting),
      cmocka_unit_test(test_tcp_close_cancels_writes),
      cmocka_unit_test(test_tcp_close_after_small_write),
      cmocka_unit_test(test_connection_fail),
      cmocka_unit_test(test_tcp_bind_error_addrinuse),
      cmocka_unit_test(test_tcp_bind_error_inval),
      cmocka_unit_test(test_tcp_bind_ipv6only),
      cmocka_unit_test(test_tcp_try_write),
      cmocka_unit_test(test_tcp_try_write_queued),
      cmocka_unit_test(test_tcp_read_stop),
      cmocka_unit_test(test_tcp_alloc_cb_zero),
      cmocka_unit_test(test_tcp_nodelay_keepalive),
      cmocka_unit_test(test_tcp_flags_before_socket),
      cmocka_unit_test(test_getsockname),
      cmocka_unit_test(test_tcp_open),
      cmocka_unit_test(test_tcp_close_reset),
      cmocka_unit_test(test_tcp_close_reset_after_shutdown),
      cmocka_unit_test(test_read_start_errors),
      cmocka_unit_test(test_tcp_accept_deferred),
      cmocka_unit_test(test_tcp_write_while_connecting),
      cmocka_unit_test(test_tcp_close_in_read_cb),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
