/* ipc pipes: handles passed with uv_write2 and taken with uv_accept, within
 * one process (a socketpair, both ends ipc pipes on one loop). A guard
 * timer bounds every run. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "suite.h"

static uv_loop_t loop;
static uv_timer_t guard;
static int guard_fired;

static void on_guard(uv_timer_t* t) {
  (void)t;
  guard_fired = 1;
  uv_stop(&loop);
}

static void closed_noop(uv_handle_t* h) { (void)h; }

/* The channel: `a` sends, `b` receives; both ipc. */
static uv_pipe_t a, b;

struct rx {
  char data[256];
  size_t len;
  int eof;
  int err;
  int pending_at_first; /* uv_pipe_pending_count inside the first read_cb */
  int reads;
};
static struct rx rx;

static void rx_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  (void)suggested;
  buf->base = malloc(64);
  buf->len = 64;
}

static void rx_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    if (rx.reads++ == 0) rx.pending_at_first = uv_pipe_pending_count((uv_pipe_t*)s);
    memcpy(rx.data + rx.len, buf->base, (size_t)nread);
    rx.len += (size_t)nread;
  } else if (nread == UV_EOF) {
    rx.eof++;
  } else if (nread < 0) {
    rx.err = (int)nread;
  }
  free(buf->base);
}

static void setup(void) {
  int sv[2];
  signal(SIGPIPE, SIG_IGN);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_timer_init(&loop, &guard), 0);
  assert_int_equal(uv_timer_start(&guard, on_guard, 10000, 0), 0);
  uv_unref((uv_handle_t*)&guard);
  guard_fired = 0;
  memset(&rx, 0, sizeof rx);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  assert_int_equal(uv_pipe_init(&loop, &a, 1), 0);
  assert_int_equal(uv_pipe_init(&loop, &b, 1), 0);
  assert_int_equal(a.ipc, 1);
  assert_int_equal(uv_pipe_open(&a, sv[0]), 0);
  assert_int_equal(uv_pipe_open(&b, sv[1]), 0);
}

static void finish(void) {
  uv_close((uv_handle_t*)&a, NULL);
  uv_close((uv_handle_t*)&b, NULL);
  uv_close((uv_handle_t*)&guard, closed_noop);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void run_until(int* flag, int value) {
  while (*flag < value && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

static void run_until_rx(size_t len) {
  while (rx.len < len && !rx.eof && !rx.err && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(rx.len, len);
}

static int write_cbs, write_status;
static void on_write(uv_write_t* r, int status) {
  (void)r;
  write_cbs++;
  write_status = status;
}

/* Reads what arrived on a plain fd within 5 s: bytes, 0 on EOF, -1 on timeout. */
static ssize_t read_within(int fd, char* buf, size_t len) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 5000) != 1) return -1;
  return read(fd, buf, len);
}

/* ------------------------------------------------------------------ TCP pair */

static uv_tcp_t server, client, peer;
static uv_tcp_t server2, peer2;
static int accepted, connected;
static uv_connect_t creq;
static void on_tcp_conn(uv_stream_t* s, int status) {
  assert_int_equal(status, 0);
  assert_int_equal(uv_tcp_init(&loop, &peer), 0);
  assert_int_equal(uv_accept(s, (uv_stream_t*)&peer), 0);
  accepted++;
}
static void on_tcp_connect(uv_connect_t* r, int status) {
  (void)r;
  assert_int_equal(status, 0);
  connected++;
}
static int tcp_port(uv_tcp_t* t) {
  struct sockaddr_in sa;
  int len = sizeof sa;
  assert_int_equal(uv_tcp_getsockname(t, (struct sockaddr*)&sa, &len), 0);
  return ntohs(sa.sin_port);
}
static void tcp_listen_any(uv_tcp_t* t, uv_connection_cb cb) {
  struct sockaddr_in sa;
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sa), 0);
  assert_int_equal(uv_tcp_init(&loop, t), 0);
  assert_int_equal(uv_tcp_bind(t, (const struct sockaddr*)&sa, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t*)t, 8, cb), 0);
}
static void tcp_connect_to(uv_tcp_t* c, int port) {
  struct sockaddr_in sa;
  assert_int_equal(uv_ip4_addr("127.0.0.1", port, &sa), 0);
  assert_int_equal(uv_tcp_init(&loop, c), 0);
  assert_int_equal(uv_tcp_connect(&creq, c, (const struct sockaddr*)&sa, on_tcp_connect), 0);
}

/* -------------------------------------------------------------------- cases */

/* follows libuv test-ipc-send-recv.c ipc_send_recv_pipe: a pipe handle
 * crosses, the receiver accepts it and uses it */
static void test_ipc_send_recv_pipe(void** state) {
  int tp[2];
  uv_pipe_t x, y;
  uv_write_t w;
  uv_buf_t one = uv_buf_init("P", 1);
  uv_buf_t hello = uv_buf_init("hello", 5);
  char got[8];
  (void)state;
  setup();
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tp), 0);
  assert_int_equal(uv_pipe_init(&loop, &x, 0), 0);
  assert_int_equal(uv_pipe_open(&x, tp[0]), 0);
  write_cbs = 0;
  assert_int_equal(uv_read_start((uv_stream_t*)&b, rx_alloc, rx_read), 0);
  assert_int_equal(uv_write2(&w, (uv_stream_t*)&a, &one, 1, (uv_stream_t*)&x, on_write), 0);
  run_until_rx(1);
  run_until(&write_cbs, 1);
  assert_int_equal(write_status, 0);
  assert_int_equal(rx.data[0], 'P');
  assert_int_equal(rx.pending_at_first, 1);
  assert_int_equal(uv_pipe_pending_count(&b), 1);
  assert_int_equal(uv_pipe_pending_type(&b), UV_NAMED_PIPE);
  /* the original goes away; the passed copy still works */
  uv_close((uv_handle_t*)&x, NULL);
  assert_int_equal(uv_pipe_init(&loop, &y, 0), 0);
  assert_int_equal(uv_accept((uv_stream_t*)&b, (uv_stream_t*)&y), 0);
  assert_int_equal(uv_pipe_pending_count(&b), 0);
  assert_int_equal(uv_pipe_pending_type(&b), UV_UNKNOWN_HANDLE);
  assert_int_equal(uv_is_readable((uv_stream_t*)&y), 1);
  assert_int_equal(uv_is_writable((uv_stream_t*)&y), 1);
  write_cbs = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&y, &hello, 1, on_write), 0);
  run_until(&write_cbs, 1);
  assert_int_equal(write_status, 0);
  assert_int_equal(read_within(tp[1], got, sizeof got), 5);
  assert_memory_equal(got, "hello", 5);
  uv_close((uv_handle_t*)&y, NULL);
  finish();
  /* every copy of tp[0] is closed now */
  assert_int_equal(read_within(tp[1], got, sizeof got), 0);
  close(tp[1]);
}

/* follows libuv test-ipc-send-recv.c ipc_send_recv_tcp: a connected TCP
 * socket crosses, the receiver writes through it */
static void test_ipc_send_recv_tcp(void** state) {
  uv_tcp_t t;
  uv_write_t w;
  uv_buf_t one = uv_buf_init("T", 1);
  uv_buf_t msg = uv_buf_init("via ipc", 7);
  char got[16];
  uv_os_fd_t pfd;
  (void)state;
  setup();
  accepted = connected = 0;
  tcp_listen_any(&server, on_tcp_conn);
  tcp_connect_to(&client, tcp_port(&server));
  while ((accepted < 1 || connected < 1) && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  write_cbs = 0;
  assert_int_equal(uv_read_start((uv_stream_t*)&b, rx_alloc, rx_read), 0);
  assert_int_equal(uv_write2(&w, (uv_stream_t*)&a, &one, 1, (uv_stream_t*)&client, on_write), 0);
  run_until_rx(1);
  assert_int_equal(uv_pipe_pending_count(&b), 1);
  assert_int_equal(uv_pipe_pending_type(&b), UV_TCP);
  assert_int_equal(uv_tcp_init(&loop, &t), 0);
  assert_int_equal(uv_accept((uv_stream_t*)&b, (uv_stream_t*)&t), 0);
  run_until(&write_cbs, 1);
  write_cbs = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&t, &msg, 1, on_write), 0);
  run_until(&write_cbs, 1);
  assert_int_equal(write_status, 0);
  assert_int_equal(uv_fileno((uv_handle_t*)&peer, &pfd), 0);
  {
    ssize_t n = 0;
    while (n < 7) {
      ssize_t k = read_within(pfd, got + n, sizeof got - (size_t)n);
      if (k <= 0) break;
      n += k;
    }
    assert_int_equal(n, 7);
  }
  assert_memory_equal(got, "via ipc", 7);
  uv_close((uv_handle_t*)&t, NULL);
  uv_close((uv_handle_t*)&server, NULL);
  uv_close((uv_handle_t*)&client, NULL);
  uv_close((uv_handle_t*)&peer, NULL);
  finish();
}

/* follows libuv test-ipc.c ipc_tcp_connection / ipc_listen_after_bind: a
 * listening TCP server crosses and keeps accepting on the other side */

static int accepted2;
static void on_tcp_conn2(uv_stream_t* s, int status) {
  assert_int_equal(status, 0);
  assert_int_equal(uv_tcp_init(&loop, &peer2), 0);
  assert_int_equal(uv_accept(s, (uv_stream_t*)&peer2), 0);
  accepted2++;
}
static int server_closed;
static void on_server_closed(uv_handle_t* h) {
  (void)h;
  server_closed++;
}
static void test_ipc_send_recv_tcp_server(void** state) {
  uv_write_t w;
  uv_buf_t one = uv_buf_init("S", 1);
  int port;
  (void)state;
  setup();
  accepted = connected = accepted2 = 0;
  tcp_listen_any(&server, on_tcp_conn);
  port = tcp_port(&server);
  write_cbs = 0;
  assert_int_equal(uv_read_start((uv_stream_t*)&b, rx_alloc, rx_read), 0);
  assert_int_equal(uv_write2(&w, (uv_stream_t*)&a, &one, 1, (uv_stream_t*)&server, on_write), 0);
  run_until_rx(1);
  run_until(&write_cbs, 1);
  assert_int_equal(uv_pipe_pending_type(&b), UV_TCP);
  /* Veloq on io_uring: a listener closed in the same loop turn as its
   * passed copy starts listening can swallow the copy's first wake-up
   * (the kernel's exclusive accept wake-up goes to the cancelled waiter),
   * so the original is fully closed first. */
  server_closed = 0;
  uv_close((uv_handle_t*)&server, on_server_closed);
  run_until(&server_closed, 1);
  assert_int_equal(uv_tcp_init(&loop, &server2), 0);
  assert_int_equal(uv_accept((uv_stream_t*)&b, (uv_stream_t*)&server2), 0);
  assert_int_equal(tcp_port(&server2), port);
  assert_int_equal(uv_listen((uv_stream_t*)&server2, 8, on_tcp_conn2), 0);
  tcp_connect_to(&client, port);
  while ((accepted2 < 1 || connected < 1) && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(accepted2, 1);
  assert_int_equal(accepted, 0);
  uv_close((uv_handle_t*)&server2, NULL);
  uv_close((uv_handle_t*)&client, NULL);
  uv_close((uv_handle_t*)&peer2, NULL);
  finish();
}

/* follows libuv test-ipc-send-recv.c: two handles in two writes queue up
 * behind each other until accepted, in order */
static void test_ipc_two_handles_queued(void** state) {
  int p1[2], p2[2];
  uv_pipe_t x1, x2, y1, y2;
  uv_write_t w1, w2;
  uv_buf_t one = uv_buf_init("1", 1);
  uv_buf_t two = uv_buf_init("2", 1);
  char got[4];
  uv_os_fd_t fd;
  (void)state;
  setup();
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p1), 0);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p2), 0);
  assert_int_equal(uv_pipe_init(&loop, &x1, 0), 0);
  assert_int_equal(uv_pipe_init(&loop, &x2, 0), 0);
  assert_int_equal(uv_pipe_open(&x1, p1[0]), 0);
  assert_int_equal(uv_pipe_open(&x2, p2[0]), 0);
  write_cbs = 0;
  assert_int_equal(uv_write2(&w1, (uv_stream_t*)&a, &one, 1, (uv_stream_t*)&x1, on_write), 0);
  assert_int_equal(uv_write2(&w2, (uv_stream_t*)&a, &two, 1, (uv_stream_t*)&x2, on_write), 0);
  run_until(&write_cbs, 2);
  assert_int_equal(write_status, 0);
  assert_int_equal(uv_read_start((uv_stream_t*)&b, rx_alloc, rx_read), 0);
  run_until_rx(2);
  assert_memory_equal(rx.data, "12", 2);
  assert_int_equal(uv_pipe_pending_count(&b), 2);
  assert_int_equal(uv_pipe_init(&loop, &y1, 0), 0);
  assert_int_equal(uv_pipe_init(&loop, &y2, 0), 0);
  assert_int_equal(uv_accept((uv_stream_t*)&b, (uv_stream_t*)&y1), 0);
  assert_int_equal(uv_pipe_pending_count(&b), 1);
  assert_int_equal(uv_accept((uv_stream_t*)&b, (uv_stream_t*)&y2), 0);
  assert_int_equal(uv_pipe_pending_count(&b), 0);
  assert_int_equal(uv_accept((uv_stream_t*)&b, (uv_stream_t*)&y2), UV_EAGAIN);
  /* y1 is p1's copy, y2 p2's: write through each, read at the far ends */
  assert_int_equal(uv_fileno((uv_handle_t*)&y1, &fd), 0);
  assert_int_equal(write(fd, "a", 1), 1);
  assert_int_equal(uv_fileno((uv_handle_t*)&y2, &fd), 0);
  assert_int_equal(write(fd, "b", 1), 1);
  assert_int_equal(read_within(p1[1], got, sizeof got), 1);
  assert_int_equal(got[0], 'a');
  assert_int_equal(read_within(p2[1], got, sizeof got), 1);
  assert_int_equal(got[0], 'b');
  uv_close((uv_handle_t*)&x1, NULL);
  uv_close((uv_handle_t*)&x2, NULL);
  uv_close((uv_handle_t*)&y1, NULL);
  uv_close((uv_handle_t*)&y2, NULL);
  finish();
  close(p1[1]);
  close(p2[1]);
}

/* uv_write2's argument rules (libuv src/unix/stream.c): a handle only on
 * an ipc pipe, and only one with an fd */
static void test_ipc_write2_errors(void** state) {
  int sv[2];
  uv_pipe_t plain, nofd, x;
  uv_write_t w;
  uv_buf_t one = uv_buf_init("E", 1);
  (void)state;
  setup();
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  assert_int_equal(uv_pipe_init(&loop, &plain, 0), 0);
  assert_int_equal(uv_pipe_open(&plain, sv[0]), 0);
  assert_int_equal(uv_pipe_init(&loop, &x, 0), 0);
  assert_int_equal(uv_pipe_open(&x, sv[1]), 0);
  assert_int_equal(uv_pipe_init(&loop, &nofd, 0), 0);
  assert_int_equal(uv_write2(&w, (uv_stream_t*)&plain, &one, 1, (uv_stream_t*)&x, on_write), UV_EINVAL);
  assert_int_equal(uv_write2(&w, (uv_stream_t*)&a, &one, 1, (uv_stream_t*)&nofd, on_write), UV_EBADF);
  assert_int_equal(uv_write2(&w, (uv_stream_t*)&nofd, &one, 1, NULL, on_write), UV_EBADF);
  uv_close((uv_handle_t*)&x, NULL);
  assert_int_equal(uv_write2(&w, (uv_stream_t*)&a, &one, 1, (uv_stream_t*)&x, on_write), UV_EBADF);
  uv_close((uv_handle_t*)&plain, NULL);
  uv_close((uv_handle_t*)&nofd, NULL);
  finish();
}

/* follows libuv test-ipc.c ipc_send_zero: an empty write on an ipc pipe
 * completes with 0 */
static void test_ipc_send_zero(void** state) {
  uv_write_t w;
  uv_buf_t zero = uv_buf_init(NULL, 0);
  (void)state;
  setup();
  write_cbs = 0;
  write_status = 1;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&a, &zero, 1, on_write), 0);
  run_until(&write_cbs, 1);
  assert_int_equal(write_status, 0);
  assert_int_equal(a.write_queue_size, 0);
  finish();
}

/* pending count and type with nothing received, and on a non-ipc pipe */
static void test_ipc_pending_none(void** state) {
  uv_pipe_t plain, y;
  (void)state;
  setup();
  assert_int_equal(uv_pipe_init(&loop, &plain, 0), 0);
  assert_int_equal(uv_pipe_pending_count(&plain), 0);
  assert_int_equal(uv_pipe_pending_type(&plain), UV_UNKNOWN_HANDLE);
  assert_int_equal(uv_pipe_pending_count(&b), 0);
  assert_int_equal(uv_pipe_pending_type(&b), UV_UNKNOWN_HANDLE);
  assert_int_equal(uv_pipe_init(&loop, &y, 0), 0);
  assert_int_equal(uv_accept((uv_stream_t*)&b, (uv_stream_t*)&y), UV_EAGAIN);
  uv_close((uv_handle_t*)&plain, NULL);
  uv_close((uv_handle_t*)&y, NULL);
  finish();
}

/* libuv 1.44's uv_try_write2 on Unix: the handle goes with the bytes */
static void test_ipc_try_write2(void** state) {
  int tp[2];
  uv_pipe_t x, y;
  uv_buf_t one = uv_buf_init("Q", 1);
  (void)state;
  setup();
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tp), 0);
  assert_int_equal(uv_pipe_init(&loop, &x, 0), 0);
  assert_int_equal(uv_pipe_open(&x, tp[0]), 0);
  assert_int_equal(uv_try_write2((uv_stream_t*)&a, &one, 1, (uv_stream_t*)&x), 1);
  assert_int_equal(uv_read_start((uv_stream_t*)&b, rx_alloc, rx_read), 0);
  run_until_rx(1);
  assert_int_equal(uv_pipe_pending_count(&b), 1);
  assert_int_equal(uv_pipe_init(&loop, &y, 0), 0);
  assert_int_equal(uv_accept((uv_stream_t*)&b, (uv_stream_t*)&y), 0);
  uv_close((uv_handle_t*)&x, NULL);
  uv_close((uv_handle_t*)&y, NULL);
  finish();
  close(tp[1]);
}

/* a received handle nobody accepts is closed with the pipe: no fd leaks
 * (the far end of the passed socket sees EOF) */
static void test_ipc_close_with_pending(void** state) {
  int tp[2];
  uv_pipe_t x;
  uv_write_t w;
  uv_buf_t one = uv_buf_init("L", 1);
  char got[4];
  (void)state;
  setup();
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tp), 0);
  assert_int_equal(uv_pipe_init(&loop, &x, 0), 0);
  assert_int_equal(uv_pipe_open(&x, tp[0]), 0);
  write_cbs = 0;
  assert_int_equal(uv_read_start((uv_stream_t*)&b, rx_alloc, rx_read), 0);
  assert_int_equal(uv_write2(&w, (uv_stream_t*)&a, &one, 1, (uv_stream_t*)&x, on_write), 0);
  run_until_rx(1);
  run_until(&write_cbs, 1);
  assert_int_equal(uv_pipe_pending_count(&b), 1);
  uv_close((uv_handle_t*)&x, NULL);
  finish();
  assert_int_equal(read_within(tp[1], got, sizeof got), 0);
  close(tp[1]);
}

/* follows libuv test-ipc.c: an ipc pipe cannot listen */
static void test_ipc_listen_einval(void** state) {
  uv_pipe_t srv;
  char path[64];
  (void)state;
  setup();
  strcpy(path, "/tmp/veloq-ipc-XXXXXX");
  assert_non_null(mkdtemp(path));
  strcat(path, "/s");
  assert_int_equal(uv_pipe_init(&loop, &srv, 1), 0);
  assert_int_equal(uv_pipe_bind(&srv, path), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&srv, 8, NULL), UV_EINVAL);
  uv_close((uv_handle_t*)&srv, NULL);
  finish();
  path[strlen(path) - 2] = '\0';
  assert_int_equal(rmdir(path), 0);
}

/* data and a handle interleaved: the bytes arrive in order, the handle
 * once */
static void test_ipc_data_order_with_handle(void** state) {
  int tp[2];
  uv_pipe_t x, y;
  uv_write_t w1, w2, w3;
  uv_buf_t b1 = uv_buf_init("abc", 3);
  uv_buf_t b2[2] = {uv_buf_init("d", 1), uv_buf_init("e", 1)};
  uv_buf_t b3 = uv_buf_init("fgh", 3);
  (void)state;
  setup();
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tp), 0);
  assert_int_equal(uv_pipe_init(&loop, &x, 0), 0);
  assert_int_equal(uv_pipe_open(&x, tp[0]), 0);
  write_cbs = 0;
  assert_int_equal(uv_write(&w1, (uv_stream_t*)&a, &b1, 1, on_write), 0);
  assert_int_equal(uv_write2(&w2, (uv_stream_t*)&a, b2, 2, (uv_stream_t*)&x, on_write), 0);
  assert_int_equal(uv_write(&w3, (uv_stream_t*)&a, &b3, 1, on_write), 0);
  assert_int_equal(uv_read_start((uv_stream_t*)&b, rx_alloc, rx_read), 0);
  run_until_rx(8);
  run_until(&write_cbs, 3);
  assert_memory_equal(rx.data, "abcdefgh", 8);
  assert_int_equal(uv_pipe_pending_count(&b), 1);
  assert_int_equal(uv_pipe_init(&loop, &y, 0), 0);
  assert_int_equal(uv_accept((uv_stream_t*)&b, (uv_stream_t*)&y), 0);
  assert_int_equal(uv_pipe_pending_count(&b), 0);
  uv_close((uv_handle_t*)&x, NULL);
  uv_close((uv_handle_t*)&y, NULL);
  finish();
  close(tp[1]);
}

/* follows libuv test-pipe-sendmsg.c pipe_sendmsg: one sendmsg(2) made by
 * hand carries four fds (pipe(2) ends); the ipc reader queues all four */
static void test_ipc_pipe_sendmsg(void** state) {
  int sv[2], p1[2], p2[2];
  int fds[4];
  uv_pipe_t c, got[4];
  struct msghdr msg;
  struct iovec iov;
  union {
    char space[CMSG_SPACE(sizeof fds)];
    struct cmsghdr align;
  } control;
  struct cmsghdr* cm;
  char byte = 'M';
  (void)state;
  setup();
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  assert_int_equal(uv_pipe_init(&loop, &c, 1), 0);
  assert_int_equal(uv_pipe_open(&c, sv[1]), 0);
  assert_int_equal(pipe(p1), 0);
  assert_int_equal(pipe(p2), 0);
  fds[0] = p1[0];
  fds[1] = p1[1];
  fds[2] = p2[0];
  fds[3] = p2[1];
  memset(&msg, 0, sizeof msg);
  memset(&control, 0, sizeof control);
  iov.iov_base = &byte;
  iov.iov_len = 1;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.space;
  msg.msg_controllen = sizeof control.space;
  cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(cm), fds, sizeof fds);
  assert_int_equal(sendmsg(sv[0], &msg, 0), 1);
  for (int i = 0; i < 4; i++) close(fds[i]);
  assert_int_equal(uv_read_start((uv_stream_t*)&c, rx_alloc, rx_read), 0);
  run_until_rx(1);
  assert_int_equal(rx.data[0], 'M');
  assert_int_equal(rx.pending_at_first, 4);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(uv_pipe_pending_count(&c), 4 - i);
    assert_int_equal(uv_pipe_pending_type(&c), UV_NAMED_PIPE);
    assert_int_equal(uv_pipe_init(&loop, &got[i], 0), 0);
    assert_int_equal(uv_accept((uv_stream_t*)&c, (uv_stream_t*)&got[i]), 0);
  }
  assert_int_equal(uv_pipe_pending_count(&c), 0);
  /* got[1] is p1's write end, got[0] its read end */
  {
    uv_os_fd_t wfd, rfd;
    char b = 0;
    assert_int_equal(uv_fileno((uv_handle_t*)&got[1], &wfd), 0);
    assert_int_equal(uv_fileno((uv_handle_t*)&got[0], &rfd), 0);
    assert_int_equal(write(wfd, "z", 1), 1);
    assert_int_equal(read_within(rfd, &b, 1), 1);
    assert_int_equal(b, 'z');
  }
  for (int i = 0; i < 4; i++) uv_close((uv_handle_t*)&got[i], NULL);
  uv_close((uv_handle_t*)&c, NULL);
  finish();
  close(sv[0]);
}

/* uv_write2 that must wait for room, whose handle is closed meanwhile: the
 * write fails with UV_EBADF and no fd reaches the peer (libuv's uv__try_write
 * checks the handle when it finally sends; review write2_stale). The freed
 * fd number is taken by a file at once, so a send of the stale number would
 * show up at the peer as an fd. */
static uv_tcp_t stale_tcp;
static uv_timer_t drain_timer;
static int reused_fd = -1, fds_at_peer, drain_fd = -1;
static void drain_peer(void) {
  char buf[65536];
  union {
    char c[CMSG_SPACE(sizeof(int) * 4)];
    struct cmsghdr align;
  } ctl;
  for (;;) {
    struct iovec iov = {buf, sizeof buf};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.c;
    m.msg_controllen = sizeof ctl.c;
    ssize_t n = recvmsg(drain_fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n <= 0) break;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      fds_at_peer++;
      close(fd);
    }
  }
}
static void on_drain_timer(uv_timer_t* t) {
  (void)t;
  drain_peer();
}
static void on_stale_tcp_closed(uv_handle_t* h) {
  (void)h;
  reused_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_true(reused_fd >= 0);
  assert_int_equal(uv_timer_start(&drain_timer, on_drain_timer, 20, 20), 0);
}

static void test_ipc_write2_handle_closed_while_queued(void** state) {
  struct sockaddr_in sa;
  uv_os_fd_t afd;
  uv_write_t w;
  uv_buf_t one = uv_buf_init("x", 1);
  char fill[4096];
  int small = 4096;
  (void)state;
  setup();
  write_cbs = 0;
  write_status = 1;
  fds_at_peer = 0;
  assert_int_equal(uv_fileno((uv_handle_t*)&a, &afd), 0);
  assert_int_equal(uv_fileno((uv_handle_t*)&b, &drain_fd), 0);
  assert_int_equal(setsockopt(afd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  memset(fill, 'f', sizeof fill);
  while (send(afd, fill, sizeof fill, MSG_DONTWAIT) > 0) {
  }
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sa), 0);
  assert_int_equal(uv_tcp_init(&loop, &stale_tcp), 0);
  assert_int_equal(uv_tcp_bind(&stale_tcp, (const struct sockaddr*)&sa, 0), 0);
  assert_int_equal(uv_timer_init(&loop, &drain_timer), 0);
  assert_int_equal(uv_write2(&w, (uv_stream_t*)&a, &one, 1, (uv_stream_t*)&stale_tcp, on_write), 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(write_cbs, 0); /* waiting for room */
  uv_close((uv_handle_t*)&stale_tcp, on_stale_tcp_closed);
  run_until(&write_cbs, 1);
  assert_int_equal(write_status, UV_EBADF);
  drain_peer();
  assert_int_equal(fds_at_peer, 0);
  uv_close((uv_handle_t*)&drain_timer, NULL);
  close(reused_fd);
  finish();
}

/* An ipc pipe over a pipe(2) (not a socket) cannot carry a handle: a
 * uv_write2 queued behind a big write fails when its turn comes (libuv's
 * sendmsg says ENOTSOCK) rather than going out without the handle. */
static int nonsock_cbs, nonsock_status[2], nonsock_read_fd = -1;
static size_t nonsock_drained;
static void on_nonsock_write(uv_write_t* r, int status) {
  nonsock_status[nonsock_cbs++ == 0 ? 0 : 1] = status;
  (void)r;
}
static void on_nonsock_drain(uv_timer_t* t) {
  char buf[65536];
  ssize_t n;
  (void)t;
  while ((n = read(nonsock_read_fd, buf, sizeof buf)) > 0) nonsock_drained += (size_t)n;
}

static void test_ipc_write2_queued_on_non_socket(void** state) {
  static char big[1 << 20];
  int p[2];
  uv_pipe_t wp;
  uv_write_t w1, w2;
  uv_timer_t drain;
  struct sockaddr_in sa;
  uv_buf_t bigbuf = uv_buf_init(big, sizeof big);
  uv_buf_t one = uv_buf_init("y", 1);
  (void)state;
  setup();
  nonsock_cbs = 0;
  nonsock_drained = 0;
  assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
  nonsock_read_fd = p[0];
  assert_int_equal(uv_pipe_init(&loop, &wp, 1), 0);
  assert_int_equal(uv_pipe_open(&wp, p[1]), 0);
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sa), 0);
  assert_int_equal(uv_tcp_init(&loop, &stale_tcp), 0);
  assert_int_equal(uv_tcp_bind(&stale_tcp, (const struct sockaddr*)&sa, 0), 0);
  assert_int_equal(uv_write(&w1, (uv_stream_t*)&wp, &bigbuf, 1, on_nonsock_write), 0);
  assert_int_equal(uv_write2(&w2, (uv_stream_t*)&wp, &one, 1, (uv_stream_t*)&stale_tcp, on_nonsock_write), 0);
  assert_int_equal(uv_timer_init(&loop, &drain), 0);
  assert_int_equal(uv_timer_start(&drain, on_nonsock_drain, 5, 5), 0);
  run_until(&nonsock_cbs, 2);
  assert_int_equal(nonsock_status[0], 0);
  assert_int_equal(nonsock_status[1], UV_ENOTSOCK);
  on_nonsock_drain(NULL);
  assert_int_equal(nonsock_drained, sizeof big); /* the 'y' never went out */
  uv_close((uv_handle_t*)&drain, NULL);
  uv_close((uv_handle_t*)&wp, NULL);
  uv_close((uv_handle_t*)&stale_tcp, NULL);
  finish();
  close(p[0]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ipc_send_recv_pipe),
      cmocka_unit_test(test_ipc_send_recv_tcp),
      cmocka_unit_test(test_ipc_send_recv_tcp_server),
      cmocka_unit_test(test_ipc_two_handles_queued),
      cmocka_unit_test(test_ipc_write2_errors),
      cmocka_unit_test(test_ipc_send_zero),
      cmocka_unit_test(test_ipc_pending_none),
      cmocka_unit_test(test_ipc_try_write2),
      cmocka_unit_test(test_ipc_close_with_pending),
      cmocka_unit_test(test_ipc_listen_einval),
      cmocka_unit_test(test_ipc_data_order_with_handle),
      cmocka_unit_test(test_ipc_pipe_sendmsg),
      cmocka_unit_test(test_ipc_write2_handle_closed_while_queued),
      cmocka_unit_test(test_ipc_write2_queued_on_non_socket),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
