/* Stream reads of bulk data over loopback TCP: megabytes in 64 KiB writes,
 * read in alloc_cb's buffers, mixed with small messages, read_stop,
 * UV_ENOBUFS and EOF in the middle of the flow. Veloq reads a stream that
 * moves big chunks differently from one that moves small messages
 * (docs/ARCHITECTURE.md, bulk reads); these cases pin that the callbacks
 * keep libuv's rules across the switches: every read_cb with data, 0 or
 * UV_ENOBUFS gets the buffer of the alloc_cb just before it, bytes arrive
 * intact and in order, nothing arrives while stopped, EOF comes once, last.
 * One loop, one thread; a timer bounds each run. */
#include <signal.h>
#include <stdlib.h>

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

static void setup_loop(void) {
  signal(SIGPIPE, SIG_IGN);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_timer_init(&loop, &guard), 0);
  assert_int_equal(uv_timer_start(&guard, on_guard, 20000, 0), 0);
  uv_unref((uv_handle_t*)&guard);
  guard_fired = 0;
}

static void finish_loop(void) {
  uv_close((uv_handle_t*)&guard, closed_noop);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* --- a connected pair on 127.0.0.1 ---------------------------------------------- */

static uv_tcp_t server, peer, client;
static int accepted, connected;
static uv_connect_t connect_req;

static void on_connection(uv_stream_t* s, int status) {
  assert_int_equal(status, 0);
  assert_int_equal(uv_tcp_init(&loop, &peer), 0);
  assert_int_equal(uv_accept(s, (uv_stream_t*)&peer), 0);
  accepted++;
}

static void on_connect(uv_connect_t* r, int status) {
  (void)r;
  assert_int_equal(status, 0);
  connected++;
}

static void make_pair(void) {
  struct sockaddr_in a;
  struct sockaddr_storage ss;
  int len = sizeof ss;
  accepted = connected = 0;
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &a), 0);
  assert_int_equal(uv_tcp_init(&loop, &server), 0);
  assert_int_equal(uv_tcp_bind(&server, (const struct sockaddr*)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t*)&server, 8, on_connection), 0);
  assert_int_equal(uv_tcp_getsockname(&server, (struct sockaddr*)&ss, &len), 0);
  a.sin_port = ((struct sockaddr_in*)&ss)->sin_port;
  assert_int_equal(uv_tcp_init(&loop, &client), 0);
  assert_int_equal(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*)&a, on_connect), 0);
  while ((accepted == 0 || connected == 0) && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

static void close_pair(void) {
  uv_close((uv_handle_t*)&server, closed_noop);
  uv_close((uv_handle_t*)&peer, closed_noop);
  uv_close((uv_handle_t*)&client, closed_noop);
}

/* --- the reader: checks the alloc_cb / read_cb pairing and the bytes ------------ */

static struct reader {
  char* out;           /* the buffer handed out by alloc_cb, not yet returned */
  size_t got;          /* bytes received */
  size_t stop_at;      /* uv_read_stop once this many bytes arrived (0: never) */
  size_t enobufs_at;   /* from this many bytes on, hand out empty buffers ... */
  int empty_left;      /* ... this many times */
  int enobufs;         /* UV_ENOBUFS seen */
  int eofs;            /* UV_EOF seen */
  int zero_reads;      /* read_cb(0): libuv's "nothing after all" */
  int after_eof;       /* callbacks after UV_EOF (must stay 0) */
  int err;
} rd;

/* The byte at stream offset `i`: a pattern that catches a reordered or
 * repeated chunk (period 251, not a divisor of any buffer size used). */
static char pattern(size_t i) { return (char)(i % 251); }

static void rd_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  if (rd.eofs > 0) rd.after_eof++;
  assert_null(rd.out); /* one alloc_cb, then its read_cb */
  if (rd.empty_left > 0 && rd.got >= rd.enobufs_at) {
    rd.empty_left--;
    *buf = uv_buf_init(NULL, 0);
    return;
  }
  rd.out = malloc(suggested);
  assert_non_null(rd.out);
  *buf = uv_buf_init(rd.out, (unsigned)suggested);
}

static void rd_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (rd.eofs > 0) rd.after_eof++;
  if (nread == UV_EOF) {
    rd.eofs++;
    /* libuv hands back the buffer of the read that found the end, if any */
    if (buf->base != NULL) assert_ptr_equal(buf->base, rd.out);
    free(rd.out);
    rd.out = NULL;
    return;
  }
  if (nread == UV_ENOBUFS) {
    rd.enobufs++;
    assert_null(buf->base);
    assert_null(rd.out);
    return;
  }
  if (nread < 0) {
    rd.err = (int)nread;
    free(rd.out);
    rd.out = NULL;
    return;
  }
  assert_non_null(rd.out);
  assert_ptr_equal(buf->base, rd.out);
  if (nread == 0) rd.zero_reads++;
  for (ssize_t i = 0; i < nread; i++) {
    if (buf->base[i] != pattern(rd.got + (size_t)i)) fail_msg("wrong byte at offset %zu", rd.got + (size_t)i);
  }
  rd.got += (size_t)nread;
  free(rd.out);
  rd.out = NULL;
  if (rd.stop_at != 0 && rd.got >= rd.stop_at) {
    rd.stop_at = 0;
    assert_int_equal(uv_read_stop(s), 0);
  }
}

static void rd_start(void) {
  assert_int_equal(uv_read_start((uv_stream_t*)&peer, rd_alloc, rd_read), 0);
}

/* --- the writer: `total` bytes of the pattern in 64 KiB writes, 4 queued ---------- */

enum { kChunk = 64 * 1024, kDepth = 4 };
static struct writer {
  uv_write_t reqs[kDepth];
  char bufs[kDepth][kChunk];
  size_t off, total;
  int in_flight, done;
} wr;

static void wr_next(uv_write_t* req);

static void wr_written(uv_write_t* req, int status) {
  assert_int_equal(status, 0);
  wr.in_flight--;
  wr_next(req);
  if (wr.in_flight == 0 && wr.off == wr.total) wr.done = 1;
}

static void wr_next(uv_write_t* req) {
  if (wr.off == wr.total) return;
  char* b = wr.bufs[req - wr.reqs];
  size_t n = wr.total - wr.off < kChunk ? wr.total - wr.off : kChunk;
  for (size_t i = 0; i < n; i++) b[i] = pattern(wr.off + i);
  uv_buf_t ub = uv_buf_init(b, (unsigned)n);
  assert_int_equal(uv_write(req, (uv_stream_t*)&client, &ub, 1, wr_written), 0);
  wr.off += n;
  wr.in_flight++;
}

/* Send `bytes` more (continuing the pattern) and run until written and read. */
static void pump(size_t bytes) {
  wr.total = wr.off + bytes;
  wr.done = 0;
  for (int i = 0; i < kDepth; i++) wr_next(&wr.reqs[i]);
  while ((!wr.done || rd.got < wr.total) && rd.err == 0 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(rd.err, 0);
  assert_int_equal(rd.got, wr.total);
}

static void reset(void) {
  memset(&rd, 0, sizeof rd);
  wr.off = wr.total = 0;
  wr.in_flight = wr.done = 0;
}

/* ---------------------------------------------------------------------- cases */

/* follows libuv test-tcp-writealot.c (bulk one way) and test-ping-pong.c
 * (small messages): 4 MiB, then small writes each read alone, then 4 MiB
 * again, on one connection; every read paired with its alloc_cb. */
static void test_tcp_bulk_then_small(void** state) {
  (void)state;
  setup_loop();
  reset();
  make_pair();
  rd_start();
  pump(4u << 20);
  for (int i = 0; i < 20; i++) {
    size_t before = rd.got;
    pump(1 + (size_t)i * 7);
    assert_int_equal(rd.got, before + 1 + (size_t)i * 7);
  }
  pump(4u << 20);
  assert_int_equal(rd.eofs, 0);
  assert_null(rd.out);
  close_pair();
  finish_loop();
}

/* follows libuv test-tcp-read-stop.c: uv_read_stop inside read_cb in the
 * middle of a bulk flow; nothing is delivered while stopped, then the rest
 * arrives intact after uv_read_start. */
static void test_tcp_bulk_read_stop(void** state) {
  (void)state;
  setup_loop();
  reset();
  make_pair();
  rd.stop_at = 1u << 20;
  rd_start();
  wr.total = 3u << 20;
  for (int i = 0; i < kDepth; i++) wr_next(&wr.reqs[i]);
  while (rd.got < (1u << 20) && rd.err == 0 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&peer), 0);
  size_t at_stop = rd.got;
  /* turns with data waiting (and writes still going): nothing is read */
  for (int i = 0; i < 20; i++) uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(rd.got, at_stop);
  assert_null(rd.out);
  rd_start();
  while ((!wr.done || rd.got < wr.total) && rd.err == 0 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(rd.got, 3u << 20);
  close_pair();
  finish_loop();
}

/* follows libuv test-tcp-alloc-cb-fail.c and test-shutdown-eof.c: alloc_cb
 * gives no buffer in the middle of a bulk flow (read_cb gets UV_ENOBUFS
 * each time, no data lost), then the writer shuts down: all bytes, then
 * UV_EOF once, nothing after it. */
static uv_shutdown_t shutdown_req;
static int shutdown_cbs;
static void on_shutdown(uv_shutdown_t* r, int status) {
  (void)r;
  assert_int_equal(status, 0);
  shutdown_cbs++;
}

static void test_tcp_bulk_enobufs_eof(void** state) {
  (void)state;
  setup_loop();
  reset();
  shutdown_cbs = 0;
  make_pair();
  rd.enobufs_at = 1u << 20;
  rd.empty_left = 3;
  rd_start();
  pump(2u << 20);
  assert_int_equal(rd.enobufs, 3);
  assert_int_equal(uv_shutdown(&shutdown_req, (uv_stream_t*)&client, on_shutdown), 0);
  while ((rd.eofs == 0 || shutdown_cbs == 0) && rd.err == 0 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(rd.err, 0);
  assert_int_equal(rd.eofs, 1);
  assert_int_equal(rd.got, 2u << 20);
  for (int i = 0; i < 5; i++) uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(rd.after_eof, 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&peer), 0);
  assert_null(rd.out);
  close_pair();
  finish_loop();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tcp_bulk_then_small),
      cmocka_unit_test(test_tcp_bulk_read_stop),
      cmocka_unit_test(test_tcp_bulk_enobufs_eof),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
