/* uv_pipe_t and the stream API over Unix sockets, pipe(2) ends and FIFOs:
 * bind/listen/connect/accept, names, reads, writes, shutdown, close,
 * blocking mode, errors. One loop in one thread per case; a guard timer
 * bounds each run so a lost callback fails instead of hanging. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "suite.h"

/* ------------------------------------------------------------------ helpers */

static uv_loop_t loop;
static uv_timer_t guard;
static int guard_fired;
static char dir[64];
static char path1[128], path2[128];

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
  strcpy(dir, "/tmp/veloq-pipe-XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(path1, sizeof path1, "%s/one.sock", dir);
  snprintf(path2, sizeof path2, "%s/two.sock", dir);
}

static void closed_noop(uv_handle_t* h) { (void)h; }

static void finish_loop(void) {
  uv_close((uv_handle_t*)&guard, closed_noop);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(uv_loop_close(&loop), 0);
  unlink(path1);
  unlink(path2);
  assert_int_equal(rmdir(dir), 0);
}

static int closes;
static void on_closed(uv_handle_t* h) {
  (void)h;
  closes++;
}

static void run_until(int* flag, int value) {
  while (*flag < value && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

static int is_nonblocking(int fd) { return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

/* Reading into a growing buffer. */
struct sink {
  char* data;
  size_t len;
  size_t cap;
  int eof;
  int err;
  int reads;
  size_t chunk; /* alloc size handed out (0: suggested) */
};

static void sink_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  struct sink* k = h->data;
  size_t n = k->chunk ? k->chunk : suggested;
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
  } else if (nread == UV_EOF) {
    k->eof++;
  } else if (nread < 0) {
    k->err = (int)nread;
  }
  free(buf->base);
}

static void sink_reset(struct sink* k) {
  free(k->data);
  memset(k, 0, sizeof *k);
}

static void start_sink(uv_pipe_t* p, struct sink* k) {
  p->data = k;
  assert_int_equal(uv_read_start((uv_stream_t*)p, sink_alloc, sink_read), 0);
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

/* A listening pipe at path1 that accepts into `peer`, and a connected client. */
static uv_pipe_t server, peer, client;
static int accepted;
static uv_connect_t connect_req;
static int connect_status, connects;

static void on_connection(uv_stream_t* s, int status) {
  assert_int_equal(status, 0);
  assert_int_equal(uv_pipe_init(&loop, &peer, 0), 0);
  assert_int_equal(uv_accept(s, (uv_stream_t*)&peer), 0);
  accepted++;
}

static void on_connect(uv_connect_t* r, int status) {
  assert_ptr_equal(r, &connect_req);
  connect_status = status;
  connects++;
}

static void make_pair(void) {
  accepted = connects = closes = 0;
  connect_status = 1;
  assert_int_equal(uv_pipe_init(&loop, &server, 0), 0);
  assert_int_equal(uv_pipe_bind(&server, path1), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&server, 16, on_connection), 0);
  assert_int_equal(uv_pipe_init(&loop, &client, 0), 0);
  uv_pipe_connect(&connect_req, &client, path1, on_connect);
  while ((accepted == 0 || connects == 0) && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(connect_status, 0);
  assert_int_equal(accepted, 1);
}

static void close_pair(void) {
  uv_close((uv_handle_t*)&server, on_closed);
  uv_close((uv_handle_t*)&peer, on_closed);
  uv_close((uv_handle_t*)&client, on_closed);
}

/* A pipe(2): `rd` reads fds[0], `wr` writes fds[1]. */
static uv_pipe_t rd, wr;
static void open_pipe2(int flags) {
  uv_file fds[2];
  assert_int_equal(uv_pipe(fds, flags, flags), 0);
  assert_int_equal(uv_pipe_init(&loop, &rd, 0), 0);
  assert_int_equal(uv_pipe_init(&loop, &wr, 0), 0);
  assert_int_equal(uv_pipe_open(&rd, fds[0]), 0);
  assert_int_equal(uv_pipe_open(&wr, fds[1]), 0);
}

/* -------------------------------------------------------------------- cases */

/* follows libuv test-pipe-bind-error.c pipe_bind_error_addrinuse */
static void test_pipe_bind_error_addrinuse(void** state) {
  uv_pipe_t a, b;
  (void)state;
  setup_loop();
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  assert_int_equal(uv_pipe_init(&loop, &b, 0), 0);
  assert_int_equal(uv_pipe_bind(&a, path1), 0);
  assert_int_equal(uv_pipe_bind(&b, path1), UV_EADDRINUSE);
  assert_int_equal(uv_listen((uv_stream_t*)&a, SOMAXCONN, NULL), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&b, SOMAXCONN, NULL), UV_EINVAL);
  closes = 0;
  uv_close((uv_handle_t*)&a, on_closed);
  uv_close((uv_handle_t*)&b, on_closed);
  finish_loop();
  assert_int_equal(closes, 2);
}

/* follows libuv test-pipe-bind-error.c pipe_bind_error_addrnotavail: ENOENT
 * is reported as UV_EACCES */
static void test_pipe_bind_error_addrnotavail(void** state) {
  uv_pipe_t a;
  (void)state;
  setup_loop();
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  assert_int_equal(uv_pipe_bind(&a, "/path/to/unix/socket/that/really/should/not/be/there"), UV_EACCES);
  uv_close((uv_handle_t*)&a, NULL);
  finish_loop();
}

/* follows libuv test-pipe-bind-error.c pipe_bind_error_inval: a bound
 * handle cannot be bound again */
static void test_pipe_bind_error_inval(void** state) {
  uv_pipe_t a;
  struct stat sb;
  (void)state;
  setup_loop();
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  assert_int_equal(uv_pipe_bind(&a, path1), 0);
  assert_int_equal(uv_pipe_bind(&a, path2), UV_EINVAL);
  assert_int_equal(stat(path1, &sb), 0);
  assert_true(S_ISSOCK(sb.st_mode));
  uv_close((uv_handle_t*)&a, NULL);
  /* uv_close unlinks the bound path */
  assert_int_equal(stat(path1, &sb), -1);
  finish_loop();
}

/* follows libuv test-pipe-bind-error.c pipe_listen_without_bind */
static void test_pipe_listen_without_bind(void** state) {
  uv_pipe_t a;
  (void)state;
  setup_loop();
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&a, SOMAXCONN, NULL), UV_EINVAL);
  uv_close((uv_handle_t*)&a, NULL);
  finish_loop();
}

/* follows libuv test-pipe-bind-error.c pipe_bind_error_long_path: 1.44
 * truncates a name longer than sun_path instead of refusing it */
static void test_pipe_bind_long_path(void** state) {
  uv_pipe_t a;
  char name[256];
  char got[256];
  size_t len = sizeof got;
  struct sockaddr_un sa;
  const size_t max = sizeof sa.sun_path - 1;
  (void)state;
  setup_loop();
  memset(name, 0, sizeof name);
  snprintf(name, sizeof name, "%s/", dir);
  memset(name + strlen(name), 'x', 200);
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  assert_int_equal(uv_pipe_bind(&a, name), 0);
  assert_int_equal(uv_pipe_getsockname(&a, got, &len), 0);
  assert_int_equal(len, max);
  assert_memory_equal(got, name, max);
  uv_close((uv_handle_t*)&a, NULL);
  name[max] = '\0';
  unlink(name);  /* close unlinked the untruncated name, which never existed */
  finish_loop();
}

static int connect_cbs;
static int connect_cb_status;
static void on_connect_count(uv_connect_t* r, int status) {
  (void)r;
  connect_cbs++;
  connect_cb_status = status;
}

/* follows libuv test-pipe-connect-error.c pipe_connect_bad_name: the error
 * comes through connect_cb from the loop, never from the call */
static void test_pipe_connect_bad_name(void** state) {
  uv_pipe_t a;
  uv_connect_t req;
  (void)state;
  setup_loop();
  connect_cbs = 0;
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  uv_pipe_connect(&req, &a, "/path/to/unix/socket/that/really/should/not/be/there", on_connect_count);
  assert_int_equal(connect_cbs, 0);
  assert_ptr_equal(req.handle, (uv_stream_t*)&a);
  run_until(&connect_cbs, 1);
  assert_int_equal(connect_cb_status, UV_ENOENT);
  uv_close((uv_handle_t*)&a, NULL);
  finish_loop();
  assert_int_equal(connect_cbs, 1);
}

/* follows libuv test-pipe-connect-error.c pipe_connect_to_file */
static void test_pipe_connect_to_file(void** state) {
  uv_pipe_t a;
  uv_connect_t req;
  int fd;
  (void)state;
  setup_loop();
  connect_cbs = 0;
  fd = open(path2, O_CREAT | O_WRONLY, 0600);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  uv_pipe_connect(&req, &a, path2, on_connect_count);
  run_until(&connect_cbs, 1);
  assert_true(connect_cb_status == UV_ECONNREFUSED || connect_cb_status == UV_ENOTSOCK);
  uv_close((uv_handle_t*)&a, NULL);
  finish_loop();
}

/* follows libuv test-pipe-connect-error.c: a close before the failed
 * connect is reported turns it into UV_ECANCELED */
static void test_pipe_connect_close_before_cb(void** state) {
  uv_pipe_t a;
  uv_connect_t req;
  (void)state;
  setup_loop();
  connect_cbs = 0;
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  uv_pipe_connect(&req, &a, path1, on_connect_count);
  uv_close((uv_handle_t*)&a, NULL);
  finish_loop();
  assert_int_equal(connect_cbs, 1);
  assert_int_equal(connect_cb_status, UV_ECANCELED);
}

/* follows libuv test-pipe-getsockname.c pipe_getsockname */
static void test_pipe_getsockname(void** state) {
  char buf[256];
  size_t len;
  (void)state;
  setup_loop();
  make_pair();
  len = sizeof buf;
  assert_int_equal(uv_pipe_getsockname(&server, buf, &len), 0);
  assert_int_equal(len, strlen(path1));
  assert_string_equal(buf, path1);
  len = sizeof buf;
  assert_int_equal(uv_pipe_getpeername(&client, buf, &len), 0);
  assert_int_equal(len, strlen(path1));
  assert_string_equal(buf, path1);
  len = sizeof buf;
  assert_int_equal(uv_pipe_getsockname(&peer, buf, &len), 0);
  assert_string_equal(buf, path1);
  /* the client's own end has no name */
  len = sizeof buf;
  assert_int_equal(uv_pipe_getsockname(&client, buf, &len), 0);
  assert_int_equal(len, 0);
  /* the server has no peer */
  len = sizeof buf;
  assert_int_equal(uv_pipe_getpeername(&server, buf, &len), UV_ENOTCONN);
  assert_int_equal(len, 0);
  close_pair();
  finish_loop();
}

/* follows libuv test-pipe-getsockname.c: the buffer-size protocol */
static void test_pipe_getsockname_enobufs(void** state) {
  uv_pipe_t a;
  char buf[256];
  size_t len;
  (void)state;
  setup_loop();
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  assert_int_equal(uv_pipe_bind(&a, path1), 0);
  len = 0;
  assert_int_equal(uv_pipe_getsockname(&a, NULL, &len), UV_ENOBUFS);
  assert_int_equal(len, strlen(path1) + 1);
  len = strlen(path1); /* no room for the NUL */
  assert_int_equal(uv_pipe_getsockname(&a, buf, &len), UV_ENOBUFS);
  assert_int_equal(len, strlen(path1) + 1);
  assert_int_equal(uv_pipe_getsockname(&a, buf, &len), 0);
  assert_int_equal(len, strlen(path1));
  assert_string_equal(buf, path1);
  uv_close((uv_handle_t*)&a, NULL);
  finish_loop();
}

/* follows libuv test-pipe-getsockname.c: no fd yet is UV_EBADF, size 0 */
static void test_pipe_getsockname_unopened(void** state) {
  uv_pipe_t a;
  char buf[64];
  size_t len = sizeof buf;
  uv_os_fd_t fd;
  (void)state;
  setup_loop();
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  assert_int_equal(uv_pipe_getsockname(&a, buf, &len), UV_EBADF);
  assert_int_equal(len, 0);
  len = sizeof buf;
  assert_int_equal(uv_pipe_getpeername(&a, buf, &len), UV_EBADF);
  assert_int_equal(uv_fileno((uv_handle_t*)&a, &fd), UV_EBADF);
  uv_close((uv_handle_t*)&a, NULL);
  finish_loop();
}

/* follows libuv test-pipe-getsockname.c: a pipe(2) end has no socket name */
static void test_pipe_getsockname_not_socket(void** state) {
  char buf[64];
  size_t len = sizeof buf;
  uv_os_fd_t fd;
  (void)state;
  setup_loop();
  open_pipe2(0);
  assert_int_equal(uv_pipe_getsockname(&rd, buf, &len), UV_ENOTSOCK);
  assert_int_equal(uv_fileno((uv_handle_t*)&rd, &fd), 0);
  assert_true(fd > 2);
  uv_close((uv_handle_t*)&rd, NULL);
  uv_close((uv_handle_t*)&wr, NULL);
  assert_int_equal(uv_fileno((uv_handle_t*)&rd, &fd), UV_EBADF);
  finish_loop();
}

/* follows libuv test-pipe-pending-instances.c pipe_pending_instances: a
 * no-op on Unix, the server works as before */
static void test_pipe_pending_instances(void** state) {
  (void)state;
  setup_loop();
  assert_int_equal(uv_pipe_init(&loop, &server, 0), 0);
  uv_pipe_pending_instances(&server, 8);
  assert_int_equal(uv_pipe_bind(&server, path1), 0);
  uv_pipe_pending_instances(&server, 16);
  assert_int_equal(uv_listen((uv_stream_t*)&server, 128, NULL), 0);
  uv_close((uv_handle_t*)&server, NULL);
  finish_loop();
}

/* follows libuv test-ping-pong.c pipe_ping_pong: ten round trips over a
 * Unix socket */
static struct sink sink_c, sink_p;
static void test_pipe_ping_pong(void** state) {
  uv_write_t w;
  uv_buf_t ping = uv_buf_init("PING", 4);
  uv_buf_t pong = uv_buf_init("PONG", 4);
  (void)state;
  setup_loop();
  make_pair();
  sink_reset(&sink_c);
  sink_reset(&sink_p);
  start_sink(&client, &sink_c);
  start_sink(&peer, &sink_p);
  for (int i = 1; i <= 10; i++) {
    write_cbs = 0;
    assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &ping, 1, on_write), 0);
    run_until_len(&sink_p, (size_t)i * 4);
    run_until(&write_cbs, 1);
    assert_memory_equal(sink_p.data + (i - 1) * 4, "PING", 4);
    write_cbs = 0;
    assert_int_equal(uv_write(&w, (uv_stream_t*)&peer, &pong, 1, on_write), 0);
    run_until_len(&sink_c, (size_t)i * 4);
    run_until(&write_cbs, 1);
    assert_memory_equal(sink_c.data + (i - 1) * 4, "PONG", 4);
  }
  close_pair();
  finish_loop();
  assert_int_equal(closes, 3);
  sink_reset(&sink_c);
  sink_reset(&sink_p);
}

/* follows libuv test-pipe-connect-multiple.c: several clients, one server */
static uv_pipe_t many_peers[4];
static int many_accepted;
static void on_connection_many(uv_stream_t* s, int status) {
  assert_int_equal(status, 0);
  assert_int_equal(uv_pipe_init(&loop, &many_peers[many_accepted], 0), 0);
  assert_int_equal(uv_accept(s, (uv_stream_t*)&many_peers[many_accepted]), 0);
  many_accepted++;
}
static void test_pipe_connect_multiple(void** state) {
  uv_pipe_t clients[4];
  uv_connect_t reqs[4];
  uv_pipe_t srv, extra;
  (void)state;
  setup_loop();
  many_accepted = connect_cbs = 0;
  assert_int_equal(uv_pipe_init(&loop, &srv, 0), 0);
  assert_int_equal(uv_pipe_bind(&srv, path1), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&srv, 16, on_connection_many), 0);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(uv_pipe_init(&loop, &clients[i], 0), 0);
    uv_pipe_connect(&reqs[i], &clients[i], path1, on_connect_count);
  }
  while ((many_accepted < 4 || connect_cbs < 4) && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(connect_cb_status, 0);
  assert_int_equal(many_accepted, 4);
  /* nothing more to accept */
  assert_int_equal(uv_pipe_init(&loop, &extra, 0), 0);
  assert_int_equal(uv_accept((uv_stream_t*)&srv, (uv_stream_t*)&extra), UV_EAGAIN);
  uv_close((uv_handle_t*)&extra, NULL);
  for (int i = 0; i < 4; i++) {
    uv_close((uv_handle_t*)&clients[i], NULL);
    uv_close((uv_handle_t*)&many_peers[i], NULL);
  }
  uv_close((uv_handle_t*)&srv, NULL);
  finish_loop();
}

/* follows libuv test-pipe-connect-prepare.c: writes made before the connect
 * completes go out after it */
static void test_pipe_write_before_connect_cb(void** state) {
  uv_write_t w;
  uv_buf_t b = uv_buf_init("early", 5);
  (void)state;
  setup_loop();
  accepted = connects = 0;
  write_cbs = 0;
  assert_int_equal(uv_pipe_init(&loop, &server, 0), 0);
  assert_int_equal(uv_pipe_bind(&server, path1), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&server, 16, on_connection), 0);
  assert_int_equal(uv_pipe_init(&loop, &client, 0), 0);
  uv_pipe_connect(&connect_req, &client, path1, on_connect);
  assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &b, 1, on_write), 0);
  assert_int_equal(write_cbs, 0);
  run_until(&write_cbs, 1);
  assert_int_equal(connects, 1);
  assert_int_equal(write_last_status, 0);
  run_until(&accepted, 1);
  sink_reset(&sink_p);
  start_sink(&peer, &sink_p);
  run_until_len(&sink_p, 5);
  assert_memory_equal(sink_p.data, "early", 5);
  close_pair();
  finish_loop();
  sink_reset(&sink_p);
}

/* follows libuv test-pipe-close-stdout-read-stdin.c: the writer goes away,
 * the reader of a pipe(2) sees UV_EOF */
static void test_pipe_eof_when_writer_closes(void** state) {
  uv_write_t w;
  uv_buf_t b = uv_buf_init("last words", 10);
  (void)state;
  setup_loop();
  open_pipe2(0);
  sink_reset(&sink_p);
  start_sink(&rd, &sink_p);
  write_cbs = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&wr, &b, 1, on_write), 0);
  run_until(&write_cbs, 1);
  uv_close((uv_handle_t*)&wr, NULL);
  while (!sink_p.eof && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(sink_p.eof, 1);
  assert_int_equal(sink_p.len, 10);
  assert_memory_equal(sink_p.data, "last words", 10);
  /* reading stopped at EOF: the handle is no longer active */
  assert_int_equal(uv_is_active((uv_handle_t*)&rd), 0);
  uv_close((uv_handle_t*)&rd, NULL);
  finish_loop();
  sink_reset(&sink_p);
}

/* follows libuv test-pipe-open.c / uv_pipe_open: readable and writable as
 * the fd's access mode allows, non-blocking afterwards */
static void test_pipe_open_access_mode(void** state) {
  int fds[2];
  uv_write_t w;
  uv_buf_t b = uv_buf_init("x", 1);
  (void)state;
  setup_loop();
  assert_int_equal(pipe(fds), 0);
  assert_int_equal(is_nonblocking(fds[0]), 0);
  assert_int_equal(uv_pipe_init(&loop, &rd, 0), 0);
  assert_int_equal(uv_pipe_init(&loop, &wr, 0), 0);
  assert_int_equal(uv_pipe_open(&rd, fds[0]), 0);
  assert_int_equal(uv_pipe_open(&wr, fds[1]), 0);
  assert_int_equal(is_nonblocking(fds[0]), 1);
  assert_int_equal(is_nonblocking(fds[1]), 1);
  assert_int_equal(uv_is_readable((uv_stream_t*)&rd), 1);
  assert_int_equal(uv_is_writable((uv_stream_t*)&rd), 0);
  assert_int_equal(uv_is_readable((uv_stream_t*)&wr), 0);
  assert_int_equal(uv_is_writable((uv_stream_t*)&wr), 1);
  assert_int_equal(uv_write(&w, (uv_stream_t*)&rd, &b, 1, on_write), UV_EPIPE);
  assert_int_equal(uv_read_start((uv_stream_t*)&wr, sink_alloc, sink_read), UV_ENOTCONN);
  uv_close((uv_handle_t*)&rd, NULL);
  uv_close((uv_handle_t*)&wr, NULL);
  finish_loop();
}

/* follows libuv test-pipe-open.c: a socketpair end is both */
static void test_pipe_open_socketpair(void** state) {
  int sv[2];
  uv_pipe_t a;
  char got[8];
  uv_write_t w;
  uv_buf_t b = uv_buf_init("pair", 4);
  (void)state;
  setup_loop();
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  assert_int_equal(uv_pipe_open(&a, sv[0]), 0);
  assert_int_equal(uv_is_readable((uv_stream_t*)&a), 1);
  assert_int_equal(uv_is_writable((uv_stream_t*)&a), 1);
  write_cbs = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&a, &b, 1, on_write), 0);
  run_until(&write_cbs, 1);
  assert_int_equal(write_last_status, 0);
  assert_int_equal(read(sv[1], got, sizeof got), 4);
  assert_memory_equal(got, "pair", 4);
  uv_close((uv_handle_t*)&a, NULL);
  finish_loop();
  close(sv[1]);
}

/* follows libuv test-tcp-writealot.c in spirit: one uv_write of more
 * buffers than the inline attempt's iovec array holds (200 > 64) on an idle
 * stream, every byte arrives in order (the array was overrun before) */
static void test_pipe_write_many_bufs(void** state) {
  enum { NBUFS = 200 };
  int sv[2];
  uv_pipe_t a;
  uv_write_t w;
  static char bytes[NBUFS];
  uv_buf_t bufs[NBUFS];
  char got[NBUFS];
  size_t have = 0;
  (void)state;
  setup_loop();
  for (int i = 0; i < NBUFS; i++) {
    bytes[i] = (char)('A' + i % 26);
    bufs[i] = uv_buf_init(&bytes[i], 1);
  }
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  assert_int_equal(uv_pipe_open(&a, sv[0]), 0);
  write_cbs = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&a, bufs, NBUFS, on_write), 0);
  run_until(&write_cbs, 1);
  assert_int_equal(write_last_status, 0);
  while (have < NBUFS) {
    ssize_t n = read(sv[1], got + have, NBUFS - have);
    assert_true(n > 0);
    have += (size_t)n;
  }
  assert_memory_equal(got, bytes, NBUFS);
  uv_close((uv_handle_t*)&a, NULL);
  finish_loop();
  close(sv[1]);
}

/* follows libuv test-pipe-open.c: a bad fd is refused */
static void test_pipe_open_bad_fd(void** state) {
  uv_pipe_t a;
  (void)state;
  setup_loop();
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  assert_int_equal(uv_pipe_open(&a, 1000), UV_EBADF);
  uv_close((uv_handle_t*)&a, NULL);
  finish_loop();
}

/* uv_pipe(): close-on-exec always, non-blocking only where asked */
static void test_uv_pipe_flags(void** state) {
  uv_file fds[2];
  (void)state;
  assert_int_equal(uv_pipe(fds, 0, 0), 0);
  assert_int_equal(is_nonblocking(fds[0]), 0);
  assert_int_equal(is_nonblocking(fds[1]), 0);
  assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
  assert_true(fcntl(fds[1], F_GETFD) & FD_CLOEXEC);
  close(fds[0]);
  close(fds[1]);
  assert_int_equal(uv_pipe(fds, UV_NONBLOCK_PIPE, 0), 0);
  assert_int_equal(is_nonblocking(fds[0]), 1);
  assert_int_equal(is_nonblocking(fds[1]), 0);
  close(fds[0]);
  close(fds[1]);
  assert_int_equal(uv_pipe(fds, 0, UV_NONBLOCK_PIPE), 0);
  assert_int_equal(is_nonblocking(fds[0]), 0);
  assert_int_equal(is_nonblocking(fds[1]), 1);
  close(fds[0]);
  close(fds[1]);
  assert_int_equal(uv_pipe(fds, UV_NONBLOCK_PIPE, UV_NONBLOCK_PIPE), 0);
  assert_int_equal(is_nonblocking(fds[0]), 1);
  assert_int_equal(is_nonblocking(fds[1]), 1);
  assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
  assert_int_equal(write(fds[1], "ab", 2), 2);
  {
    char got[2];
    assert_int_equal(read(fds[0], got, 2), 2);
    assert_memory_equal(got, "ab", 2);
  }
  close(fds[0]);
  close(fds[1]);
}

/* follows libuv test-tcp-write-queue-order.c / echo tests: 1 MiB through a
 * pipe(2) in odd-sized buffers, read back in odd-sized chunks */
static void test_pipe_echo_odd_chunks(void** state) {
  enum { kTotal = 1 << 20, kChunk = 4099, kReqs = (kTotal + kChunk - 1) / kChunk };
  static uv_write_t reqs[kReqs];
  char* data = malloc(kTotal);
  (void)state;
  for (int i = 0; i < kTotal; i++) data[i] = (char)(i * 7 + i / 251);
  setup_loop();
  open_pipe2(0);
  sink_reset(&sink_p);
  sink_p.chunk = 1237;
  start_sink(&rd, &sink_p);
  write_cbs = 0;
  for (int i = 0; i < kReqs; i++) {
    size_t off = (size_t)i * kChunk;
    size_t n = off + kChunk > kTotal ? kTotal - off : kChunk;
    uv_buf_t b[2] = {uv_buf_init(data + off, (unsigned)(n / 3)), uv_buf_init(data + off + n / 3, (unsigned)(n - n / 3))};
    reqs[i].data = (void*)(intptr_t)(i % 64);
    assert_int_equal(uv_write(&reqs[i], (uv_stream_t*)&wr, b, 2, on_write), 0);
  }
  run_until_len(&sink_p, kTotal);
  run_until(&write_cbs, kReqs);
  assert_int_equal(sink_p.len, kTotal);
  assert_memory_equal(sink_p.data, data, kTotal);
  assert_int_equal(write_last_status, 0);
  assert_int_equal(wr.write_queue_size, 0);
  uv_close((uv_handle_t*)&rd, NULL);
  uv_close((uv_handle_t*)&wr, NULL);
  finish_loop();
  sink_reset(&sink_p);
  free(data);
}

/* follows libuv test-tcp-write-queue-order.c on a pipe(2): the 64 KiB pipe
 * buffer fills, the rest is queued and counted, write_cbs come in order
 * while a slow reader drains it */
static void test_pipe_write_queue_order(void** state) {
  enum { kReqs = 16, kSize = 64 * 1024 };
  static uv_write_t reqs[kReqs];
  char* data = calloc(1, kSize);
  uv_buf_t b = uv_buf_init(data, kSize);
  (void)state;
  setup_loop();
  open_pipe2(0);
  write_cbs = 0;
  for (int i = 0; i < kReqs; i++) {
    reqs[i].data = (void*)(intptr_t)i;
    assert_int_equal(uv_write(&reqs[i], (uv_stream_t*)&wr, &b, 1, on_write), 0);
  }
  assert_true(wr.write_queue_size >= (size_t)(kReqs - 2) * kSize);
  assert_true(wr.write_queue_size <= (size_t)kReqs * kSize);
  assert_int_equal(uv_stream_get_write_queue_size((uv_stream_t*)&wr), wr.write_queue_size);
  {
    uv_buf_t more = uv_buf_init("x", 1);
    assert_int_equal(uv_try_write((uv_stream_t*)&wr, &more, 1), UV_EAGAIN);
  }
  sink_reset(&sink_p);
  sink_p.chunk = 4096; /* slow reader: small buffers */
  start_sink(&rd, &sink_p);
  run_until(&write_cbs, kReqs);
  for (int i = 0; i < kReqs; i++) assert_int_equal(write_order[i], i);
  assert_int_equal(wr.write_queue_size, 0);
  run_until_len(&sink_p, (size_t)kReqs * kSize);
  assert_int_equal(sink_p.len, (size_t)kReqs * kSize);
  uv_close((uv_handle_t*)&rd, NULL);
  uv_close((uv_handle_t*)&wr, NULL);
  finish_loop();
  sink_reset(&sink_p);
  free(data);
}

/* follows libuv test-tcp-try-write.c on a pipe(2): bytes taken, then
 * UV_EAGAIN once the pipe is full; a read-only end is UV_EPIPE */
static void test_pipe_try_write(void** state) {
  char* data = calloc(1, 1 << 20);
  uv_buf_t b = uv_buf_init(data, 1 << 20);
  uv_buf_t small = uv_buf_init("hi", 2);
  char got[2];
  uv_os_fd_t fd;
  int n;
  (void)state;
  setup_loop();
  open_pipe2(0);
  assert_int_equal(uv_try_write((uv_stream_t*)&wr, &small, 1), 2);
  assert_int_equal(uv_fileno((uv_handle_t*)&rd, &fd), 0);
  assert_int_equal(read(fd, got, 2), 2);
  assert_memory_equal(got, "hi", 2);
  n = uv_try_write((uv_stream_t*)&wr, &b, 1);
  assert_true(n > 0 && n < (1 << 20));
  assert_int_equal(uv_try_write((uv_stream_t*)&wr, &b, 1), UV_EAGAIN);
  assert_int_equal(uv_try_write((uv_stream_t*)&rd, &small, 1), UV_EPIPE);
  uv_close((uv_handle_t*)&rd, NULL);
  uv_close((uv_handle_t*)&wr, NULL);
  finish_loop();
  free(data);
}

static uv_shutdown_t shutdown_req;
static int shutdown_cbs, shutdown_status;
static void on_shutdown(uv_shutdown_t* r, int status) {
  assert_ptr_equal(r, &shutdown_req);
  shutdown_cbs++;
  shutdown_status = status;
}

/* follows libuv test-shutdown-eof.c on a Unix socket: the data, then EOF;
 * a write after shutdown is UV_EPIPE, a second shutdown UV_ENOTCONN */
static void test_pipe_shutdown_eof(void** state) {
  uv_write_t w;
  uv_buf_t b = uv_buf_init("hello", 5);
  (void)state;
  setup_loop();
  make_pair();
  shutdown_cbs = 0;
  write_cbs = 0;
  sink_reset(&sink_p);
  start_sink(&peer, &sink_p);
  assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &b, 1, on_write), 0);
  assert_int_equal(uv_shutdown(&shutdown_req, (uv_stream_t*)&client, on_shutdown), 0);
  assert_int_equal(uv_is_writable((uv_stream_t*)&client), 0);
  assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &b, 1, on_write), UV_EPIPE);
  assert_int_equal(uv_shutdown(&shutdown_req, (uv_stream_t*)&client, on_shutdown), UV_ENOTCONN);
  run_until(&shutdown_cbs, 1);
  assert_int_equal(shutdown_status, 0);
  assert_int_equal(write_cbs, 1);
  while (!sink_p.eof && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(sink_p.len, 5);
  assert_memory_equal(sink_p.data, "hello", 5);
  assert_int_equal(sink_p.eof, 1);
  close_pair();
  finish_loop();
  assert_int_equal(shutdown_cbs, 1);
  sink_reset(&sink_p);
}

/* uv_shutdown on a pipe(2) end: shutdown(2) is for sockets; libuv reports
 * what it answers through shutdown_cb */
static void test_pipe_shutdown_not_socket(void** state) {
  (void)state;
  setup_loop();
  open_pipe2(0);
  shutdown_cbs = 0;
  assert_int_equal(uv_shutdown(&shutdown_req, (uv_stream_t*)&wr, on_shutdown), 0);
  run_until(&shutdown_cbs, 1);
  assert_int_equal(shutdown_status, UV_ENOTSOCK);
  assert_int_equal(uv_shutdown(&shutdown_req, (uv_stream_t*)&rd, on_shutdown), UV_ENOTCONN);
  uv_close((uv_handle_t*)&rd, NULL);
  uv_close((uv_handle_t*)&wr, NULL);
  finish_loop();
}

/* follows libuv test-tcp-close-while-connecting.c / test-pipe-close-...:
 * writes still queued when the handle closes end with UV_ECANCELED, before
 * close_cb */
static int cancel_cbs, cancel_ok, close_seen_before_cancel;
static int pipe_closed;
static void on_write_cancel(uv_write_t* r, int status) {
  (void)r;
  if (status == UV_ECANCELED) cancel_cbs++;
  else if (status == 0) cancel_ok++;
  if (pipe_closed) close_seen_before_cancel++;
}
static void on_pipe_closed(uv_handle_t* h) {
  (void)h;
  pipe_closed++;
}
static void test_pipe_close_while_writing(void** state) {
  enum { kReqs = 8, kSize = 256 * 1024 };
  static uv_write_t reqs[kReqs];
  char* data = calloc(1, kSize);
  uv_buf_t b = uv_buf_init(data, kSize);
  (void)state;
  setup_loop();
  open_pipe2(0);
  cancel_cbs = cancel_ok = close_seen_before_cancel = pipe_closed = 0;
  for (int i = 0; i < kReqs; i++) assert_int_equal(uv_write(&reqs[i], (uv_stream_t*)&wr, &b, 1, on_write_cancel), 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  uv_close((uv_handle_t*)&wr, on_pipe_closed);
  uv_close((uv_handle_t*)&rd, NULL);
  finish_loop();
  assert_int_equal(pipe_closed, 1);
  assert_int_equal(cancel_cbs + cancel_ok, kReqs);
  assert_true(cancel_cbs >= kReqs - 1);
  assert_int_equal(close_seen_before_cancel, 0);
  free(data);
}

/* follows libuv test-pipe-set-non-blocking.c pipe_set_non_blocking: a
 * blocking socketpair end, a thread reading the other end */
struct drain_ctx {
  int fd;
  size_t total;
};
static void* drain_thread(void* arg) {
  struct drain_ctx* c = arg;
  char buf[4096];
  ssize_t n;
  while ((n = read(c->fd, buf, sizeof buf)) > 0) c->total += (size_t)n;
  return NULL;
}
static void test_pipe_set_blocking(void** state) {
  enum { kWrites = 64, kSize = 32 * 1024 };
  int sv[2];
  uv_pipe_t a;
  pthread_t th;
  struct drain_ctx ctx = {0, 0};
  char* data = malloc(kSize);
  uv_buf_t b = uv_buf_init(data, kSize);
  (void)state;
  memset(data, '.', kSize);
  setup_loop();
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  assert_int_equal(uv_pipe_open(&a, sv[1]), 0);
  assert_int_equal(is_nonblocking(sv[1]), 1);
  assert_int_equal(uv_stream_set_blocking((uv_stream_t*)&a, 1), 0);
  assert_int_equal(is_nonblocking(sv[1]), 0);
  ctx.fd = sv[0];
  assert_int_equal(pthread_create(&th, NULL, drain_thread, &ctx), 0);
  write_cbs = 0;
  for (int i = 0; i < kWrites; i++) {
    uv_write_t w;
    assert_int_equal(uv_write(&w, (uv_stream_t*)&a, &b, 1, on_write), 0);
    while (write_cbs < i + 1 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(write_last_status, 0);
  }
  assert_int_equal(uv_stream_set_blocking((uv_stream_t*)&a, 0), 0);
  assert_int_equal(is_nonblocking(sv[1]), 1);
  uv_close((uv_handle_t*)&a, NULL);
  finish_loop();
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(ctx.total, (size_t)kWrites * kSize);
  close(sv[0]);
  free(data);
}

/* uv_stream_set_blocking on a handle without an fd */
static void test_pipe_set_blocking_no_fd(void** state) {
  uv_pipe_t a;
  (void)state;
  setup_loop();
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  assert_int_equal(uv_stream_set_blocking((uv_stream_t*)&a, 1), UV_EBADF);
  uv_close((uv_handle_t*)&a, NULL);
  finish_loop();
}

/* follows libuv test-pipe-set-fchmod.c pipe_set_chmod */
static void test_pipe_set_chmod(void** state) {
  uv_pipe_t a;
  struct stat sb;
  (void)state;
  setup_loop();
  assert_int_equal(uv_pipe_init(&loop, &a, 0), 0);
  assert_int_equal(uv_pipe_chmod(&a, UV_READABLE), UV_EBADF);
  assert_int_equal(uv_pipe_bind(&a, path1), 0);
  assert_int_equal(chmod(path1, 0600), 0);
  assert_int_equal(uv_pipe_chmod(&a, UV_READABLE), 0);
  assert_int_equal(stat(path1, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0644);
  assert_int_equal(uv_pipe_chmod(&a, UV_WRITABLE), 0);
  assert_int_equal(stat(path1, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0666);
  assert_int_equal(chmod(path1, 0400), 0);
  assert_int_equal(uv_pipe_chmod(&a, UV_READABLE | UV_WRITABLE), 0);
  assert_int_equal(stat(path1, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0666);
  assert_int_equal(uv_pipe_chmod(&a, 0), UV_EINVAL);
  assert_int_equal(uv_pipe_chmod(&a, 12345), UV_EINVAL);
  assert_int_equal(uv_pipe_chmod(NULL, UV_READABLE), UV_EBADF);
  uv_close((uv_handle_t*)&a, NULL);
  finish_loop();
}

/* a FIFO opened both ways through uv_pipe_open */
static void test_pipe_fifo(void** state) {
  int rfd, wfd;
  uv_write_t w;
  uv_buf_t b = uv_buf_init("through a fifo", 14);
  (void)state;
  setup_loop();
  assert_int_equal(mkfifo(path2, 0600), 0);
  rfd = open(path2, O_RDONLY | O_NONBLOCK);
  assert_true(rfd >= 0);
  wfd = open(path2, O_WRONLY);
  assert_true(wfd >= 0);
  assert_int_equal(uv_guess_handle(rfd), UV_NAMED_PIPE);
  assert_int_equal(uv_pipe_init(&loop, &rd, 0), 0);
  assert_int_equal(uv_pipe_init(&loop, &wr, 0), 0);
  assert_int_equal(uv_pipe_open(&rd, rfd), 0);
  assert_int_equal(uv_pipe_open(&wr, wfd), 0);
  sink_reset(&sink_p);
  start_sink(&rd, &sink_p);
  write_cbs = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&wr, &b, 1, on_write), 0);
  run_until_len(&sink_p, 14);
  assert_memory_equal(sink_p.data, "through a fifo", 14);
  uv_close((uv_handle_t*)&wr, NULL);
  while (!sink_p.eof && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(sink_p.eof, 1);
  uv_close((uv_handle_t*)&rd, NULL);
  finish_loop();
  sink_reset(&sink_p);
}

/* read_stop keeps unread data for the next read_start (libuv leaves it in
 * the kernel); nothing is lost or reordered */
static void test_pipe_read_stop_resume(void** state) {
  uv_write_t w1, w2;
  uv_buf_t b1 = uv_buf_init("first-", 6);
  uv_buf_t b2 = uv_buf_init("second", 6);
  (void)state;
  setup_loop();
  open_pipe2(0);
  sink_reset(&sink_p);
  start_sink(&rd, &sink_p);
  write_cbs = 0;
  assert_int_equal(uv_write(&w1, (uv_stream_t*)&wr, &b1, 1, on_write), 0);
  run_until_len(&sink_p, 6);
  assert_int_equal(uv_read_stop((uv_stream_t*)&rd), 0);
  assert_int_equal(uv_write(&w2, (uv_stream_t*)&wr, &b2, 1, on_write), 0);
  run_until(&write_cbs, 2);
  for (int i = 0; i < 3; i++) uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(sink_p.len, 6);
  start_sink(&rd, &sink_p);
  run_until_len(&sink_p, 12);
  assert_memory_equal(sink_p.data, "first-second", 12);
  uv_close((uv_handle_t*)&rd, NULL);
  uv_close((uv_handle_t*)&wr, NULL);
  finish_loop();
  sink_reset(&sink_p);
}

/* uv_fileno on pipes; uv_guess_handle on the fds */
static void test_pipe_fileno(void** state) {
  uv_os_fd_t fd;
  (void)state;
  setup_loop();
  make_pair();
  assert_int_equal(uv_fileno((uv_handle_t*)&server, &fd), 0);
  assert_int_equal(uv_guess_handle(fd), UV_NAMED_PIPE);
  assert_int_equal(uv_fileno((uv_handle_t*)&client, &fd), 0);
  assert_int_equal(uv_guess_handle(fd), UV_NAMED_PIPE);
  assert_int_equal(uv_fileno((uv_handle_t*)&peer, &fd), 0);
  assert_true(is_nonblocking(fd));
  close_pair();
  assert_int_equal(uv_fileno((uv_handle_t*)&client, &fd), UV_EBADF);
  finish_loop();
}

/* uv_accept on a pipe without a pending connection, uv_listen twice */
static void test_pipe_accept_eagain(void** state) {
  uv_pipe_t extra;
  (void)state;
  setup_loop();
  make_pair();
  assert_int_equal(uv_pipe_init(&loop, &extra, 0), 0);
  assert_int_equal(uv_accept((uv_stream_t*)&server, (uv_stream_t*)&extra), UV_EAGAIN);
  assert_int_equal(uv_accept((uv_stream_t*)&client, (uv_stream_t*)&extra), UV_EAGAIN);
  uv_close((uv_handle_t*)&extra, NULL);
  close_pair();
  finish_loop();
}

/* a peer that closes: the reader sees EOF, a writer UV_EPIPE */
static void test_pipe_peer_close_epipe(void** state) {
  uv_write_t w;
  uv_buf_t b = uv_buf_init("anyone?", 7);
  (void)state;
  setup_loop();
  make_pair();
  sink_reset(&sink_c);
  start_sink(&client, &sink_c);
  uv_close((uv_handle_t*)&peer, NULL);
  while (!sink_c.eof && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(sink_c.eof, 1);
  write_cbs = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&client, &b, 1, on_write), 0);
  run_until(&write_cbs, 1);
  assert_int_equal(write_last_status, UV_EPIPE);
  uv_close((uv_handle_t*)&server, NULL);
  uv_close((uv_handle_t*)&client, NULL);
  finish_loop();
  sink_reset(&sink_c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pipe_bind_error_addrinuse),
      cmocka_unit_test(test_pipe_bind_error_addrnotavail),
      cmocka_unit_test(test_pipe_bind_error_inval),
      cmocka_unit_test(test_pipe_listen_without_bind),
      cmocka_unit_test(test_pipe_bind_long_path),
      cmocka_unit_test(test_pipe_connect_bad_name),
      cmocka_unit_test(test_pipe_connect_to_file),
      cmocka_unit_test(test_pipe_connect_close_before_cb),
      cmocka_unit_test(test_pipe_getsockname),
      cmocka_unit_test(test_pipe_getsockname_enobufs),
      cmocka_unit_test(test_pipe_getsockname_unopened),
      cmocka_unit_test(test_pipe_getsockname_not_socket),
      cmocka_unit_test(test_pipe_pending_instances),
      cmocka_unit_test(test_pipe_ping_pong),
      cmocka_unit_test(test_pipe_connect_multiple),
      cmocka_unit_test(test_pipe_write_before_connect_cb),
      cmocka_unit_test(test_pipe_eof_when_writer_closes),
      cmocka_unit_test(test_pipe_open_access_mode),
      cmocka_unit_test(test_pipe_open_socketpair),
      cmocka_unit_test(test_pipe_write_many_bufs),
      cmocka_unit_test(test_pipe_open_bad_fd),
      cmocka_unit_test(test_uv_pipe_flags),
      cmocka_unit_test(test_pipe_echo_odd_chunks),
      cmocka_unit_test(test_pipe_write_queue_order),
      cmocka_unit_test(test_pipe_try_write),
      cmocka_unit_test(test_pipe_shutdown_eof),
      cmocka_unit_test(test_pipe_shutdown_not_socket),
      cmocka_unit_test(test_pipe_close_while_writing),
      cmocka_unit_test(test_pipe_set_blocking),
      cmocka_unit_test(test_pipe_set_blocking_no_fd),
      cmocka_unit_test(test_pipe_set_chmod),
      cmocka_unit_test(test_pipe_fifo),
      cmocka_unit_test(test_pipe_read_stop_resume),
      cmocka_unit_test(test_pipe_fileno),
      cmocka_unit_test(test_pipe_accept_eagain),
      cmocka_unit_test(test_pipe_peer_close_epipe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
