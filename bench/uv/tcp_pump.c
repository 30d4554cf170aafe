/* tcp_pump: one-direction TCP throughput over 127.0.0.1 through uv.h.
 *
 * The main loop writes 64 KiB chunks on one connection, keeping --depth
 * writes queued, for --secs seconds; a sink server loop on a second thread
 * reads and counts. Prints MB/s (10^6 bytes) as the receiver saw it, from
 * its first byte to its last; checks every byte sent arrived.
 *
 * --one-loop puts the sink on the sender's loop (no second thread).
 *
 *   tcp_pump [--secs S] [--depth N] [--one-loop] [--smoke]
 */
#include "bench_uv.h"

static const char* const W = "tcp_pump";

static struct bench_args args = {.secs = 5.0, .conns = 1, .depth = 4};
static const struct bench_args smoke = {.smoke = 1, .secs = 0.1, .conns = 1, .depth = 2};
static char chunk[BENCH_PUMP_CHUNK];
static uv_tcp_t tcp;
static uv_connect_t creq;
static uv_shutdown_t sreq;
static uv_write_t* wreqs;
static long in_flight;
static uint64_t t_start, sent;
static const char* cc = "?";

static void closed(uv_handle_t* h) { (void)h; }

static void shut(uv_shutdown_t* req, int status) {
  if (status < 0) bench_fail(W, "shutdown: %s", uv_err_name(status));
  uv_close((uv_handle_t*)req->handle, closed);
}

static void written(uv_write_t* req, int status);

static void write_chunk(uv_write_t* req) {
  uv_buf_t b = uv_buf_init(chunk, sizeof chunk);
  BENCH_UV(W, uv_write(req, (uv_stream_t*)&tcp, &b, 1, written));
  in_flight++;
}

static void written(uv_write_t* req, int status) {
  if (status < 0) bench_fail(W, "write: %s", uv_err_name(status));
  in_flight--;
  sent += sizeof chunk;
  if (bench_now_ns() - t_start < (uint64_t)(args.secs * 1e9)) write_chunk(req);
  else if (in_flight == 0) BENCH_UV(W, uv_shutdown(&sreq, (uv_stream_t*)&tcp, shut));
}

static void on_connect(uv_connect_t* req, int status) {
  (void)req;
  if (status < 0) bench_fail(W, "connect: %s", uv_err_name(status));
  cc = bench_uv_tune(W, &tcp);
  t_start = bench_now_ns();
  for (long i = 0; i < args.depth; ++i) write_chunk(&wreqs[i]);
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  bench_require_tcp(W);
  static struct bench_server srv;
  wreqs = (uv_write_t*)calloc((size_t)args.depth, sizeof *wreqs);
  if (wreqs == NULL) bench_fail(W, "out of memory");
  memset(chunk, 'x', sizeof chunk);
  uv_loop_t loop;
  BENCH_UV(W, uv_loop_init(&loop));
  int port = bench_server_start(&srv, W, BENCH_SINK, 1, args.one_loop ? &loop : NULL);
  BENCH_UV(W, uv_tcp_init(&loop, &tcp));
  bench_connect(W, &tcp, &creq, port, on_connect);
  bench_uv_finish(W, &loop);
  bench_server_join(&srv);
  if (srv.bytes != sent || sent == 0 || srv.last_ns <= srv.first_ns)
    bench_fail(W, "sent %llu bytes, received %llu", (unsigned long long)sent, (unsigned long long)srv.bytes);
  double secs = (double)(srv.last_ns - srv.first_ns) / 1e9;
  bench_result(W, (double)srv.bytes / secs / 1e6, "MB/s", "bytes=%llu depth=%ld loops=%d cc=%s impl=%s",
               (unsigned long long)srv.bytes, args.depth, args.one_loop ? 1 : 2, cc, bench_uv_impl());
  free(wreqs);
  return BENCH_OK;
}
