/* tcp_pump: one-direction TCP throughput over 127.0.0.1 through uv.h.
 *
 * The main loop writes 64 KiB chunks on --conns connections (default 1),
 * keeping --depth writes queued on each, for --secs seconds; a sink server
 * loop on a second thread reads and counts. Prints MB/s (10^6 bytes) as the
 * receiver saw it, from its first byte to its last; checks every byte sent
 * arrived.
 *
 * --one-loop puts the sink on the sender's loop (no second thread).
 *
 *   tcp_pump [--secs S] [--conns N] [--depth N] [--one-loop] [--smoke]
 */
#include "bench_uv.h"

static const char* const W = "tcp_pump";

struct pump {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_shutdown_t sreq;
  uv_write_t* wreqs;
  long in_flight;
};

static struct bench_args args = {.secs = 5.0, .conns = 1, .depth = 4};
static const struct bench_args smoke = {.smoke = 1, .secs = 0.1, .conns = 1, .depth = 2};
static char chunk[BENCH_PUMP_CHUNK];
static struct pump* pumps;
static long connected;
static uint64_t t_start, sent;
static const char* cc = "?";

static void closed(uv_handle_t* h) { (void)h; }

static void shut(uv_shutdown_t* req, int status) {
  if (status < 0) bench_fail(W, "shutdown: %s", uv_err_name(status));
  uv_close((uv_handle_t*)req->handle, closed);
}

static void written(uv_write_t* req, int status);

static void write_chunk(struct pump* p, uv_write_t* req) {
  uv_buf_t b = uv_buf_init(chunk, sizeof chunk);
  req->data = p;
  BENCH_UV(W, uv_write(req, (uv_stream_t*)&p->tcp, &b, 1, written));
  p->in_flight++;
}

static void written(uv_write_t* req, int status) {
  struct pump* p = (struct pump*)req->data;
  if (status < 0) bench_fail(W, "write: %s", uv_err_name(status));
  p->in_flight--;
  sent += sizeof chunk;
  if (bench_now_ns() - t_start < (uint64_t)(args.secs * 1e9)) write_chunk(p, req);
  else if (p->in_flight == 0) BENCH_UV(W, uv_shutdown(&p->sreq, (uv_stream_t*)&p->tcp, shut));
}

static void on_connect(uv_connect_t* req, int status) {
  struct pump* p = BENCH_CONTAINER(req, struct pump, creq);
  if (status < 0) bench_fail(W, "connect: %s", uv_err_name(status));
  cc = bench_uv_tune(W, &p->tcp);
  if (++connected < args.conns) return;
  t_start = bench_now_ns(); /* every connection is up: start them together */
  for (long c = 0; c < args.conns; ++c)
    for (long i = 0; i < args.depth; ++i) write_chunk(&pumps[c], &pumps[c].wreqs[i]);
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  bench_require_tcp(W);
  static struct bench_server srv;
  pumps = (struct pump*)calloc((size_t)args.conns, sizeof *pumps);
  if (pumps == NULL) bench_fail(W, "out of memory");
  memset(chunk, 'x', sizeof chunk);
  uv_loop_t loop;
  BENCH_UV(W, uv_loop_init(&loop));
  int port = bench_server_start(&srv, W, BENCH_SINK, args.conns, args.one_loop ? &loop : NULL);
  for (long c = 0; c < args.conns; ++c) {
    pumps[c].wreqs = (uv_write_t*)calloc((size_t)args.depth, sizeof *pumps[c].wreqs);
    if (pumps[c].wreqs == NULL) bench_fail(W, "out of memory");
    BENCH_UV(W, uv_tcp_init(&loop, &pumps[c].tcp));
    bench_connect(W, &pumps[c].tcp, &pumps[c].creq, port, on_connect);
  }
  bench_uv_finish(W, &loop);
  bench_server_join(&srv);
  if (srv.bytes != sent || sent == 0 || srv.last_ns <= srv.first_ns)
    bench_fail(W, "sent %llu bytes, received %llu", (unsigned long long)sent, (unsigned long long)srv.bytes);
  double secs = (double)(srv.last_ns - srv.first_ns) / 1e9;
  bench_result(W, (double)srv.bytes / secs / 1e6, "MB/s", "bytes=%llu conns=%ld depth=%ld loops=%d cpu_s=%.2f cc=%s impl=%s",
               (unsigned long long)srv.bytes, args.conns, args.depth, args.one_loop ? 1 : 2, bench_cpu_secs(), cc,
               bench_uv_impl());
  for (long c = 0; c < args.conns; ++c) free(pumps[c].wreqs);
  free(pumps);
  return BENCH_OK;
}
