/* Stream faults over loopback TCP (and a unix socket where cheap): the fd
 * table full while accepting, thousands of concurrent connections, data that
 * arrives while reading is stopped, a peer that resets while we write.
 * Every run is bounded by a guard timer; nothing depends on tight timing
 * (iteration bounds are orders of magnitude above what a sleeping loop
 * does, and orders below what a spinning one does). */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
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
  assert_int_equal(uv_timer_start(&guard, on_guard, 30000, 0), 0);
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
  struct sockaddr_in a;
  int len = sizeof a;
  assert_int_equal(uv_tcp_getsockname(t, (struct sockaddr*)&a, &len), 0);
  return ntohs(a.sin_port);
}

static int count_fds(void) {
  DIR* d = opendir("/proc/self/fd");
  struct dirent* e;
  int n = 0;
  assert_non_null(d);
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the DIR's own fd */
}

/* A ticking timer: the loop wakes every few ms, so "several loop turns"
 * pass without data; a spinning loop is told apart by its turn count. */
static uv_timer_t ticker;
static int ticks;
static void on_tick(uv_timer_t* t) {
  (void)t;
  ticks++;
}
static uv_prepare_t turns_h;
static int turns;
static void on_turn(uv_prepare_t* p) {
  (void)p;
  turns++;
}
static void start_ticker(void) {
  ticks = turns = 0;
  assert_int_equal(uv_timer_init(&loop, &ticker), 0);
  assert_int_equal(uv_timer_start(&ticker, on_tick, 5, 5), 0);
  assert_int_equal(uv_prepare_init(&loop, &turns_h), 0);
  assert_int_equal(uv_prepare_start(&turns_h, on_turn), 0);
  uv_unref((uv_handle_t*)&turns_h);
}
static void stop_ticker(void) {
  uv_close((uv_handle_t*)&ticker, closed_noop);
  uv_close((uv_handle_t*)&turns_h, closed_noop);
}
/* Run until `n` more ticks have fired. */
static void run_ticks(int n) {
  int until = ticks + n;
  while (ticks < until && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

static void run_until(int* flag, int value) {
  while (*flag < value && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

/* ------------------------------------------------- fd table full (EMFILE) */

/* follows libuv test-emfile.c emfile: with the fd table full, a connection
 * the server cannot accept is accepted and closed at once with libuv's
 * reserve fd (uv__emfile_trick): connection_cb never runs, the client sees
 * its connection end, the loop sleeps instead of spinning, and once fds are
 * free again new connections are accepted as usual. Shared by TCP and unix
 * sockets. */
enum { kEmfileClients = 4 };
static uv_stream_t* em_server;
static uv_tcp_t em_tcp;
static uv_pipe_t em_pipe;
static char em_path[64];
static int em_calls, em_errors, em_accepted;
static union {
  uv_tcp_t tcp;
  uv_pipe_t pipe;
} em_peers[kEmfileClients];

static void em_connection(uv_stream_t* s, int status) {
  em_calls++;
  if (status != 0) {
    em_errors++;
    return;
  }
  assert_true(em_accepted < kEmfileClients);
  if (s == (uv_stream_t*)&em_tcp) assert_int_equal(uv_tcp_init(&loop, &em_peers[em_accepted].tcp), 0);
  else assert_int_equal(uv_pipe_init(&loop, &em_peers[em_accepted].pipe, 0), 0);
  assert_int_equal(uv_accept(s, (uv_stream_t*)&em_peers[em_accepted]), 0);
  em_accepted++;
}

static int raw_client(int unix_sock) {
  int fd = socket(unix_sock ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  return fd;
}

static void raw_connect(int fd, int unix_sock, int port) {
  if (unix_sock) {
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, em_path);
    assert_int_equal(connect(fd, (struct sockaddr*)&a, sizeof a), 0);
  } else {
    struct sockaddr_in a = addr4(port);
    assert_int_equal(connect(fd, (struct sockaddr*)&a, sizeof a), 0);
  }
}

/* 1 once the server ended the connection (EOF or reset), 0 while open. */
static int raw_ended(int fd) {
  char c;
  ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
  if (n == 0) return 1;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
  assert_true(n < 0); /* the server never writes */
  return 1;
}

/* The fd table and the soft limit come back even when a case fails. */
static int fill[256], nfill;
static struct rlimit saved_nofile;
static int saved_nofile_set;
static int restore_fds(void** state) {
  (void)state;
  while (nfill > 0) close(fill[--nfill]);
  if (saved_nofile_set) setrlimit(RLIMIT_NOFILE, &saved_nofile);
  saved_nofile_set = 0;
  return 0;
}

static void emfile_case(int unix_sock) {
  int clients[kEmfileClients], later[kEmfileClients];
  int port = 0, ended, i, probe;
  struct rlimit low;
  setup_loop();
  em_calls = em_errors = em_accepted = 0;
  if (unix_sock) {
    snprintf(em_path, sizeof em_path, "/tmp/veloq-emfile-%d.sock", (int)getpid());
    unlink(em_path);
    assert_int_equal(uv_pipe_init(&loop, &em_pipe, 0), 0);
    assert_int_equal(uv_pipe_bind(&em_pipe, em_path), 0);
    em_server = (uv_stream_t*)&em_pipe;
  } else {
    struct sockaddr_in a = addr4(0);
    assert_int_equal(uv_tcp_init(&loop, &em_tcp), 0);
    assert_int_equal(uv_tcp_bind(&em_tcp, (const struct sockaddr*)&a, 0), 0);
    em_server = (uv_stream_t*)&em_tcp;
  }
  assert_int_equal(uv_listen(em_server, 16, em_connection), 0);
  if (!unix_sock) port = port_of(&em_tcp);
  start_ticker();
  for (i = 0; i < kEmfileClients; i++) clients[i] = raw_client(unix_sock);

  /* Lower the soft limit a little above the lowest free fd and fill the
   * table up to it (the hard limit stays, so the soft one comes back). */
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
  saved_nofile_set = 1;
  nfill = 0;
  probe = dup(0);
  assert_true(probe >= 0);
  close(probe);
  low = saved_nofile;
  low.rlim_cur = (rlim_t)probe + 64;
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
  for (;;) {
    int fd = dup(0);
    if (fd < 0) {
      assert_int_equal(errno, EMFILE);
      break;
    }
    assert_true(nfill < 256);
    fill[nfill++] = fd;
  }

  /* Clients connect (the kernel completes them into the backlog) while the
   * server cannot get an fd for any of them. */
  for (i = 0; i < kEmfileClients; i++) raw_connect(clients[i], unix_sock, port);
  turns = 0;
  for (;;) {
    ended = 0;
    for (i = 0; i < kEmfileClients; i++) ended += raw_ended(clients[i]);
    if (ended == kEmfileClients || guard_fired) break;
    uv_run(&loop, UV_RUN_ONCE);
  }
  assert_int_equal(guard_fired, 0);
  /* Some more turns with the table still full: the loop sleeps. */
  run_ticks(10);
  assert_int_equal(em_calls, 0); /* libuv's reserve fd: no EMFILE surfaces */
  if (turns >= 2000) fail_msg("%d loop turns: the accept spins", turns); /* a sleeping loop: ~20 */

  /* Free the table: new connections are accepted as usual. */
  restore_fds(NULL);
  for (i = 0; i < kEmfileClients; i++) {
    later[i] = raw_client(unix_sock);
    raw_connect(later[i], unix_sock, port);
  }
  run_until(&em_accepted, kEmfileClients);
  assert_int_equal(em_errors, 0);
  assert_int_equal(em_calls, kEmfileClients);
  for (i = 0; i < kEmfileClients; i++) {
    assert_int_equal(raw_ended(later[i]), 0); /* accepted and kept */
    close(clients[i]);
    close(later[i]);
    uv_close((uv_handle_t*)&em_peers[i], closed_noop);
  }
  uv_close((uv_handle_t*)em_server, closed_noop);
  stop_ticker();
  finish_loop();
  if (unix_sock) unlink(em_path);
}

static void test_tcp_emfile_accept(void** state) {
  (void)state;
  emfile_case(0);
}

static void test_pipe_emfile_accept(void** state) {
  (void)state;
  emfile_case(1);
}

/* Without the spare (the table was already full when the loop's first
 * stream was initialised) libuv has nothing to accept with: connection_cb
 * gets UV_EMFILE, and a server closed in that callback reports nothing
 * more (libuv would call it again at once otherwise). */
static int nospare_calls, nospare_status;
static void nospare_connection(uv_stream_t* s, int status) {
  nospare_calls++;
  nospare_status = status;
  uv_close((uv_handle_t*)s, closed_noop);
}
static void test_tcp_emfile_no_spare_fd(void** state) {
  struct sockaddr_in a = addr4(0);
  struct sockaddr_in bound;
  socklen_t len = sizeof bound;
  int lfd, cfd, probe;
  struct rlimit low;
  (void)state;
  setup_loop(); /* no stream yet: the loop has no spare fd */
  start_ticker();
  lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(lfd >= 0 && cfd >= 0);
  assert_int_equal(bind(lfd, (struct sockaddr*)&a, sizeof a), 0);
  assert_int_equal(getsockname(lfd, (struct sockaddr*)&bound, &len), 0);
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
  saved_nofile_set = 1;
  nfill = 0;
  probe = dup(0);
  assert_true(probe >= 0);
  close(probe);
  low = saved_nofile;
  low.rlim_cur = (rlim_t)probe + 64;
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
  for (;;) {
    int fd = dup(0);
    if (fd < 0) break;
    assert_true(nfill < 256);
    fill[nfill++] = fd;
  }
  nospare_calls = 0;
  nospare_status = 0;
  assert_int_equal(uv_tcp_init(&loop, &em_tcp), 0);
  assert_int_equal(uv_tcp_open(&em_tcp, lfd), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&em_tcp, 16, nospare_connection), 0);
  assert_int_equal(connect(cfd, (struct sockaddr*)&bound, sizeof bound), 0);
  run_until(&nospare_calls, 1);
  run_ticks(5);
  assert_int_equal(nospare_calls, 1);
  assert_int_equal(nospare_status, UV_EMFILE);
  restore_fds(NULL);
  close(cfd);
  stop_ticker();
  finish_loop();
}

/* -------------------------------------------- 5,000 concurrent connections */

/* One server loop on this thread echoes; 5,000 clients on a second loop in
 * a second thread each connect, write their id, read it back; all stay open
 * until every echo is verified, then all close; both loops end and no fd is
 * left behind. Connects go out in waves of at most 500 in flight so the
 * listen backlog never drops a SYN. */
enum { kConns = 5000, kInFlight = 500, kMsg = 16 };

struct echo_peer {
  uv_tcp_t tcp;
  uv_write_t w;
  char buf[kMsg];
  size_t len;
};
static struct echo_peer* srv_peers;
static uv_tcp_t srv;
static int srv_accepted, srv_closed, srv_fail;

static void srv_alloc(uv_handle_t* h, size_t sz, uv_buf_t* b) {
  (void)sz;
  b->base = malloc(kMsg);
  b->len = kMsg;
  (void)h;
}
static void srv_peer_closed(uv_handle_t* h) {
  (void)h;
  if (++srv_closed == kConns) uv_close((uv_handle_t*)&srv, closed_noop);
}
static void srv_written(uv_write_t* w, int status) {
  (void)w;
  if (status != 0) srv_fail++;
}
static void srv_read(uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
  struct echo_peer* p = s->data;
  if (n > 0) {
    if (p->len + (size_t)n > kMsg) {
      srv_fail++;
    } else {
      memcpy(p->buf + p->len, b->base, (size_t)n);
      p->len += (size_t)n;
      if (p->len == kMsg) {
        uv_buf_t out = uv_buf_init(p->buf, kMsg);
        if (uv_write(&p->w, s, &out, 1, srv_written) != 0) srv_fail++;
      }
    }
  } else if (n < 0) {
    if (n != UV_EOF) srv_fail++;
    uv_close((uv_handle_t*)s, srv_peer_closed);
  }
  free(b->base);
}
static void srv_connection(uv_stream_t* s, int status) {
  struct echo_peer* p;
  if (status != 0 || srv_accepted >= kConns) {
    srv_fail++;
    return;
  }
  p = &srv_peers[srv_accepted++];
  p->tcp.data = p;
  if (uv_tcp_init(&loop, &p->tcp) != 0 || uv_accept(s, (uv_stream_t*)&p->tcp) != 0 ||
      uv_read_start((uv_stream_t*)&p->tcp, srv_alloc, srv_read) != 0)
    srv_fail++;
  p->tcp.data = p;
}

struct echo_client {
  uv_tcp_t tcp;
  uv_connect_t c;
  uv_write_t w;
  char out[kMsg];
  char in[kMsg];
  size_t len;
};
static struct echo_client* cli;
static uv_loop_t cli_loop;
static uv_timer_t cli_guard;
static int cli_port, cli_started, cli_connected, cli_verified, cli_fail, cli_closed;

static void cli_closed_cb(uv_handle_t* h) {
  (void)h;
  if (++cli_closed == kConns) uv_close((uv_handle_t*)&cli_guard, closed_noop);
}
static void cli_start_next(void);
static void cli_read(uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
  struct echo_client* c = s->data;
  if (n > 0 && c->len + (size_t)n <= kMsg) {
    memcpy(c->in + c->len, b->base, (size_t)n);
    c->len += (size_t)n;
    if (c->len == kMsg) {
      if (memcmp(c->in, c->out, kMsg) != 0) cli_fail++;
      uv_read_stop(s);
      if (++cli_verified == kConns) {
        /* Every connection is open and verified: now close them all. */
        for (int i = 0; i < kConns; i++) uv_close((uv_handle_t*)&cli[i].tcp, cli_closed_cb);
      }
    }
  } else if (n != 0) {
    cli_fail++;
  }
  free(b->base);
}
static void cli_written(uv_write_t* w, int status) {
  (void)w;
  if (status != 0) cli_fail++;
}
static void cli_connect_cb(uv_connect_t* r, int status) {
  struct echo_client* c = r->data;
  uv_buf_t b = uv_buf_init(c->out, kMsg);
  cli_connected++;
  if (status != 0 || uv_write(&c->w, (uv_stream_t*)&c->tcp, &b, 1, cli_written) != 0 ||
      uv_read_start((uv_stream_t*)&c->tcp, srv_alloc, cli_read) != 0) {
    cli_fail++;
    return;
  }
  cli_start_next();
}
static void cli_start_next(void) {
  while (cli_started < kConns && cli_started - cli_connected < kInFlight) {
    struct echo_client* c = &cli[cli_started];
    struct sockaddr_in a = addr4(cli_port);
    snprintf(c->out, kMsg, "client %08d", cli_started);
    c->tcp.data = c;
    c->c.data = c;
    cli_started++;
    if (uv_tcp_init(&cli_loop, &c->tcp) != 0 ||
        uv_tcp_connect(&c->c, &c->tcp, (const struct sockaddr*)&a, cli_connect_cb) != 0) {
      cli_fail++;
      return;
    }
    c->tcp.data = c;
  }
}
static void cli_on_guard(uv_timer_t* t) {
  (void)t;
  cli_fail++;
  uv_stop(&cli_loop);
}
static void cli_thread(void* arg) {
  (void)arg;
  uv_timer_start(&cli_guard, cli_on_guard, 60000, 0);
  cli_start_next();
  uv_run(&cli_loop, UV_RUN_DEFAULT);
}

static void test_tcp_5000_connections(void** state) {
  struct rlimit high;
  struct sockaddr_in a = addr4(0);
  uv_thread_t th;
  int fds_before;
  (void)state;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
  if (saved_nofile.rlim_max < 11000) skip();
  saved_nofile_set = 1;
  high = saved_nofile;
  high.rlim_cur = saved_nofile.rlim_max;
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &high), 0);
  fds_before = count_fds();
  srv_peers = calloc(kConns, sizeof *srv_peers);
  cli = calloc(kConns, sizeof *cli);
  assert_non_null(srv_peers);
  assert_non_null(cli);
  srv_accepted = srv_closed = srv_fail = 0;
  cli_started = cli_connected = cli_verified = cli_fail = cli_closed = 0;

  setup_loop();
  uv_timer_stop(&guard);
  assert_int_equal(uv_timer_start(&guard, on_guard, 60000, 0), 0);
  assert_int_equal(uv_tcp_init(&loop, &srv), 0);
  assert_int_equal(uv_tcp_bind(&srv, (const struct sockaddr*)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&srv, 1024, srv_connection), 0);
  cli_port = port_of(&srv);
  assert_int_equal(uv_loop_init(&cli_loop), 0);
  assert_int_equal(uv_timer_init(&cli_loop, &cli_guard), 0);
  assert_int_equal(uv_thread_create(&th, cli_thread, NULL), 0);

  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* ends once every peer closed */
  assert_int_equal(uv_thread_join(&th), 0);
  assert_int_equal(cli_fail, 0);
  assert_int_equal(cli_verified, kConns);
  assert_int_equal(cli_closed, kConns);
  assert_int_equal(srv_fail, 0);
  assert_int_equal(srv_accepted, kConns);
  assert_int_equal(srv_closed, kConns);
  if (guard_fired) fail_msg("server loop timed out");
  finish_loop();
  assert_int_equal(uv_run(&cli_loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_loop_close(&cli_loop), 0);
  assert_int_equal(count_fds(), fds_before);
  free(srv_peers);
  free(cli);
  restore_fds(NULL);
}

/* ------------------------------------------------ reading after read_stop */

static uv_tcp_t server, peer, client;
static int accepted, connects, connect_status;
static uv_connect_t connect_req;

static void on_connection(uv_stream_t* s, int status) {
  assert_int_equal(status, 0);
  assert_int_equal(uv_tcp_init(&loop, &peer), 0);
  assert_int_equal(uv_accept(s, (uv_stream_t*)&peer), 0);
  accepted++;
}
static void on_connect(uv_connect_t* r, int status) {
  (void)r;
  connect_status = status;
  connects++;
}
static void make_pair(void) {
  struct sockaddr_in a = addr4(0);
  accepted = connects = 0;
  assert_int_equal(uv_tcp_init(&loop, &server), 0);
  assert_int_equal(uv_tcp_bind(&server, (const struct sockaddr*)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&server, 16, on_connection), 0);
  a = addr4(port_of(&server));
  assert_int_equal(uv_tcp_init(&loop, &client), 0);
  assert_int_equal(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*)&a, on_connect), 0);
  run_until(&connects, 1);
  run_until(&accepted, 1);
  assert_int_equal(connect_status, 0);
}
static void close_pair(void) {
  uv_close((uv_handle_t*)&server, closed_noop);
  uv_close((uv_handle_t*)&peer, closed_noop);
  uv_close((uv_handle_t*)&client, closed_noop);
}

struct sink {
  char* data;
  size_t len, cap;
  int reads, eof, err;
  size_t chunk;    /* alloc size handed out */
  int stop_each;   /* read_stop inside every read_cb */
  int stopped;     /* read_stop was called inside read_cb */
  size_t stop_at;  /* read_stop inside read_cb once this many bytes came */
};
static struct sink sk;

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
    if (k->stop_each || (k->stop_at && k->len >= k->stop_at)) {
      assert_int_equal(uv_read_stop(s), 0);
      k->stopped = 1;
    }
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
static void start_sink(uv_tcp_t* t, struct sink* k) {
  t->data = k;
  assert_int_equal(uv_read_start((uv_stream_t*)t, sink_alloc, sink_read), 0);
}
static void run_until_len(struct sink* k, size_t len) {
  while (k->len < len && !k->eof && !k->err && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

static void fill_pattern(char* p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) p[i] = (char)((i * 131u + seed) ^ (i >> 9));
}

static int writes_done, write_status;
static void on_write(uv_write_t* r, int status) {
  (void)r;
  writes_done++;
  if (status != 0) write_status = status;
}

/* follows libuv test-tcp-read-stop.c tcp_read_stop (data sent after the
 * stop): the peer writes four chunks, one per timer tick, while the client
 * is stopped; no read_cb runs over many turns; after uv_read_start the four
 * arrive in order, exactly once. */
static void test_tcp_read_stop_then_data(void** state) {
  enum { kChunk = 3000, kChunks = 4 };
  static char data[1 + kChunk * kChunks];
  static uv_write_t w[1 + kChunks];
  uv_buf_t b;
  int i, reads_before;
  (void)state;
  fill_pattern(data, sizeof data, 7);
  setup_loop();
  make_pair();
  start_ticker();
  sink_reset(&sk);
  start_sink(&client, &sk);
  writes_done = write_status = 0;
  b = uv_buf_init(data, 1);
  assert_int_equal(uv_write(&w[0], (uv_stream_t*)&peer, &b, 1, on_write), 0);
  run_until_len(&sk, 1);
  assert_int_equal(uv_read_stop((uv_stream_t*)&client), 0);
  assert_int_equal(uv_read_stop((uv_stream_t*)&client), 0); /* twice: harmless */
  reads_before = sk.reads;
  for (i = 0; i < kChunks; i++) {
    b = uv_buf_init(data + 1 + i * kChunk, kChunk);
    assert_int_equal(uv_write(&w[1 + i], (uv_stream_t*)&peer, &b, 1, on_write), 0);
    run_ticks(2);
  }
  run_until(&writes_done, 1 + kChunks);
  assert_int_equal(write_status, 0);
  run_ticks(10);
  assert_int_equal(sk.reads, reads_before);
  assert_int_equal(sk.len, 1);
  start_sink(&client, &sk);
  run_until_len(&sk, sizeof data);
  run_ticks(5);
  assert_int_equal(sk.len, sizeof data);
  assert_int_equal(memcmp(sk.data, data, sizeof data), 0);
  assert_int_equal(sk.err, 0);
  assert_int_equal(sk.eof, 0);
  stop_ticker();
  close_pair();
  finish_loop();
  sink_reset(&sk);
}

/* read_stop inside read_cb with much more already received (in the kernel,
 * in Veloq's provided buffers): no further read_cb until restarted, then the
 * rest in order, exactly once, the peer's EOF last. */
static void test_tcp_read_stop_in_read_cb_with_queued_data(void** state) {
  enum { kTotal = 300 * 1000 };
  char* data = malloc(kTotal);
  static uv_write_t w;
  static uv_shutdown_t sh;
  uv_buf_t b = uv_buf_init(data, kTotal);
  (void)state;
  fill_pattern(data, kTotal, 3);
  setup_loop();
  make_pair();
  start_ticker();
  writes_done = write_status = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&peer, &b, 1, on_write), 0);
  assert_int_equal(uv_shutdown(&sh, (uv_stream_t*)&peer, NULL), 0);
  run_until(&writes_done, 1);
  assert_int_equal(write_status, 0);
  run_ticks(3); /* it is all in the client's socket now */
  sink_reset(&sk);
  sk.chunk = 1000;
  sk.stop_at = 1;
  start_sink(&client, &sk);
  run_until(&sk.reads, 1);
  run_ticks(10);
  assert_int_equal(sk.reads, 1);
  assert_int_equal(sk.len, 1000);
  assert_int_equal(sk.eof, 0);
  sk.stop_at = 0;
  start_sink(&client, &sk);
  while (!sk.eof && !sk.err && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(sk.err, 0);
  assert_int_equal(sk.eof, 1);
  /* libuv 1.44 keeps both flags after EOF (only a read error clears them). */
  assert_int_equal(uv_is_readable((uv_stream_t*)&client), 1);
  assert_int_equal(uv_is_writable((uv_stream_t*)&client), 1);
  assert_int_equal(sk.len, kTotal);
  assert_int_equal(memcmp(sk.data, data, kTotal), 0);
  stop_ticker();
  close_pair();
  finish_loop();
  sink_reset(&sk);
  free(data);
}

/* read_stop in every read_cb, read_start again from a timer: every byte
 * once, in order, with the stream stopped between each delivery. */
static struct sink* restart_sink;
static uv_stream_t* restart_stream;
static uv_timer_t restarter;
static int restarts;
static void on_restart(uv_timer_t* t) {
  (void)t;
  if (restart_sink->eof || !restart_sink->stopped) return;
  restarts++;
  restart_sink->stopped = 0;
  restart_stream->data = restart_sink;
  assert_int_equal(uv_read_start(restart_stream, sink_alloc, sink_read), 0);
}
static void test_tcp_read_stop_each_read_cb(void** state) {
  enum { kTotal = 200 * 1000 };
  char* data = malloc(kTotal);
  static uv_write_t w;
  static uv_shutdown_t sh;
  uv_buf_t b = uv_buf_init(data, kTotal);
  (void)state;
  fill_pattern(data, kTotal, 11);
  setup_loop();
  make_pair();
  sink_reset(&sk);
  sk.chunk = 7919;
  sk.stop_each = 1;
  restart_sink = &sk;
  restart_stream = (uv_stream_t*)&client;
  restarts = 0;
  start_sink(&client, &sk);
  assert_int_equal(uv_timer_init(&loop, &restarter), 0);
  assert_int_equal(uv_timer_start(&restarter, on_restart, 1, 1), 0);
  writes_done = write_status = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&peer, &b, 1, on_write), 0);
  assert_int_equal(uv_shutdown(&sh, (uv_stream_t*)&peer, NULL), 0);
  while (!sk.eof && !sk.err && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(sk.err, 0);
  assert_int_equal(sk.len, kTotal);
  assert_int_equal(memcmp(sk.data, data, kTotal), 0);
  /* One read_cb per start: never a second before the timer restarted it. */
  assert_true(sk.reads <= restarts + 1);
  uv_close((uv_handle_t*)&restarter, closed_noop);
  close_pair();
  finish_loop();
  sink_reset(&sk);
  free(data);
}

/* The same on a pipe(2), whose reads are plain reads, not recv: read_stop
 * inside read_cb while the pipe holds more, no read_cb over many turns, then
 * read_stop in every read_cb with restarts from a timer; every byte once, in
 * order, then EOF when the writer closes. */
static void test_pipe_read_stop_in_read_cb(void** state) {
  enum { kTotal = 200 * 1000 };
  char* data = malloc(kTotal);
  static uv_pipe_t rd, wr;
  static uv_write_t w;
  uv_file fds[2];
  uv_buf_t b = uv_buf_init(data, kTotal);
  (void)state;
  fill_pattern(data, kTotal, 5);
  setup_loop();
  start_ticker();
  assert_int_equal(uv_pipe(fds, 0, 0), 0);
  assert_int_equal(uv_pipe_init(&loop, &rd, 0), 0);
  assert_int_equal(uv_pipe_init(&loop, &wr, 0), 0);
  assert_int_equal(uv_pipe_open(&rd, fds[0]), 0);
  assert_int_equal(uv_pipe_open(&wr, fds[1]), 0);
  writes_done = write_status = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&wr, &b, 1, on_write), 0);
  run_ticks(2);
  sink_reset(&sk);
  sk.chunk = 1000;
  sk.stop_at = 1;
  rd.data = &sk;
  assert_int_equal(uv_read_start((uv_stream_t*)&rd, sink_alloc, sink_read), 0);
  run_until(&sk.reads, 1);
  run_ticks(10);
  assert_int_equal(sk.reads, 1);
  assert_int_equal(sk.len, 1000);
  sk.stop_at = 0;
  sk.stop_each = 1;
  restart_sink = &sk;
  restart_stream = (uv_stream_t*)&rd;
  restarts = 0;
  assert_int_equal(uv_timer_init(&loop, &restarter), 0);
  assert_int_equal(uv_timer_start(&restarter, on_restart, 1, 1), 0);
  run_until_len(&sk, kTotal);
  run_until(&writes_done, 1);
  assert_int_equal(write_status, 0);
  uv_close((uv_handle_t*)&wr, closed_noop);
  while (!sk.eof && !sk.err && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(sk.err, 0);
  assert_int_equal(sk.eof, 1);
  assert_int_equal(sk.len, kTotal);
  assert_int_equal(memcmp(sk.data, data, kTotal), 0);
  assert_true(sk.reads <= restarts + 2);
  uv_close((uv_handle_t*)&restarter, closed_noop);
  uv_close((uv_handle_t*)&rd, closed_noop);
  stop_ticker();
  finish_loop();
  sink_reset(&sk);
  free(data);
}

/* ------------------------------------------------------ peer reset mid-write */

/* follows libuv test-tcp-write-to-half-open-connection.c and
 * test-tcp-close-reset.c: the client has 8 MiB queued that the peer does not
 * read; the peer closes with SO_LINGER 0 (uv_tcp_close_reset). The pending
 * write fails with UV_ECONNRESET (as libuv, whose write(2) returns the
 * reset), no crash, no SIGPIPE death; a write after that fails with
 * UV_EPIPE. */
static int reset_status;
static void on_reset_write(uv_write_t* r, int status) {
  (void)r;
  writes_done++;
  reset_status = status;
}
static void test_tcp_peer_reset_mid_write(void** state) {
  enum { kBig = 8 << 20 };
  char* data = calloc(1, kBig);
  static uv_write_t w1, w2;
  uv_buf_t b = uv_buf_init(data, kBig);
  (void)state;
  setup_loop();
  make_pair();
  start_ticker();
  writes_done = 0;
  reset_status = 1;
  assert_int_equal(uv_write(&w1, (uv_stream_t*)&client, &b, 1, on_reset_write), 0);
  run_ticks(3);
  assert_int_equal(writes_done, 0); /* the peer reads nothing: still queued */
  assert_true(client.write_queue_size > 0);
  assert_int_equal(uv_tcp_close_reset(&peer, closed_noop), 0);
  run_until(&writes_done, 1);
  assert_int_equal(reset_status, UV_ECONNRESET);
  assert_int_equal(client.write_queue_size, 0);
  b = uv_buf_init(data, 1000);
  assert_int_equal(uv_write(&w2, (uv_stream_t*)&client, &b, 1, on_reset_write), 0);
  run_until(&writes_done, 2);
  assert_int_equal(reset_status, UV_EPIPE);
  stop_ticker();
  uv_close((uv_handle_t*)&server, closed_noop);
  uv_close((uv_handle_t*)&client, closed_noop);
  finish_loop();
  free(data);
}

/* The same reset seen by a client that reads as well: read_cb gets
 * UV_ECONNRESET (never EOF), the pending write fails (UV_ECONNRESET or
 * UV_EPIPE, whichever of the two the kernel reports to the write that
 * runs after the read consumed the error), and after the read error the
 * stream is neither readable nor writable: uv_write says UV_EPIPE at once,
 * as libuv 1.44's uv__read clears both flags. */
static void test_tcp_peer_reset_while_reading(void** state) {
  enum { kBig = 8 << 20 };
  char* data = calloc(1, kBig);
  static uv_write_t w1, w2;
  uv_buf_t b = uv_buf_init(data, kBig);
  (void)state;
  setup_loop();
  make_pair();
  start_ticker();
  sink_reset(&sk);
  start_sink(&client, &sk);
  writes_done = 0;
  reset_status = 1;
  assert_int_equal(uv_write(&w1, (uv_stream_t*)&client, &b, 1, on_reset_write), 0);
  run_ticks(3);
  assert_int_equal(writes_done, 0);
  assert_int_equal(uv_tcp_close_reset(&peer, closed_noop), 0);
  while ((writes_done < 1 || sk.err == 0) && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  if (guard_fired) fail_msg("writes_done %d reset_status %d sk.err %d eof %d len %zu wqs %zu", writes_done, reset_status, sk.err, sk.eof, sk.len, client.write_queue_size);
  assert_int_equal(sk.err, UV_ECONNRESET);
  assert_int_equal(sk.eof, 0);
  assert_int_equal(sk.len, 0);
  assert_true(reset_status == UV_ECONNRESET || reset_status == UV_EPIPE);
  assert_int_equal(uv_is_readable((uv_stream_t*)&client), 0);
  assert_int_equal(uv_is_writable((uv_stream_t*)&client), 0);
  b = uv_buf_init(data, 1000);
  assert_int_equal(uv_write(&w2, (uv_stream_t*)&client, &b, 1, on_reset_write), UV_EPIPE);
  run_ticks(3);
  assert_int_equal(writes_done, 1);
  stop_ticker();
  uv_close((uv_handle_t*)&server, closed_noop);
  uv_close((uv_handle_t*)&client, closed_noop);
  finish_loop();
  sink_reset(&sk);
  free(data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_tcp_emfile_accept, restore_fds),
      cmocka_unit_test_teardown(test_pipe_emfile_accept, restore_fds),
      cmocka_unit_test_teardown(test_tcp_emfile_no_spare_fd, restore_fds),
      cmocka_unit_test_teardown(test_tcp_5000_connections, restore_fds),
      cmocka_unit_test(test_tcp_read_stop_then_data),
      cmocka_unit_test(test_tcp_read_stop_in_read_cb_with_queued_data),
      cmocka_unit_test(test_tcp_read_stop_each_read_cb),
      cmocka_unit_test(test_pipe_read_stop_in_read_cb),
      cmocka_unit_test(test_tcp_peer_reset_mid_write),
      cmocka_unit_test(test_tcp_peer_reset_while_reading),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
