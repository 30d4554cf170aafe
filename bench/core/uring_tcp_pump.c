/* raw liburing tcp_pump: the floor for bench/uv/tcp_pump.c.
 *
 * One connection; 64 KiB SENDs, one in flight (a partial send continues
 * from where it stopped), for --secs seconds, to a sink server thread that
 * RECVs and counts. MB/s (10^6 bytes) as the receiver saw it.
 *
 * --one-loop serves the sink on the same ring and thread.
 *
 *   bench_raw_tcp_pump [--secs S] [--one-loop] [--smoke]
 */
#include "uring_util.h"

static const char* const W = "tcp_pump";

static struct io_uring ring;
static struct uring_server srv;
static char chunk[BENCH_PUMP_CHUNK];
static int fd;
static size_t chunk_sent;
static uint64_t sent, deadline;
static int done;

static void on_cqe(void* ctx, uint64_t user_data, int res) {
  (void)ctx;
  if (uring_is_server(user_data)) { /* --one-loop: the sink shares the ring */
    uring_server_cqe(&srv, user_data, res);
    return;
  }
  if (res <= 0) bench_fail(W, "send: %s", res ? strerror(-res) : "0 bytes");
  sent += (uint64_t)res;
  chunk_sent += (size_t)res;
  if (chunk_sent == sizeof chunk) {
    chunk_sent = 0;
    if (bench_now_ns() >= deadline) {
      done = 1;
      return;
    }
  }
  uring_send(W, &ring, fd, chunk + chunk_sent, sizeof chunk - chunk_sent, 0);
}

int main(int argc, char** argv) {
  struct bench_args a = {.secs = 5.0, .conns = 1, .depth = 1};
  const struct bench_args smoke = {.smoke = 1, .secs = 0.1, .conns = 1, .depth = 1};
  bench_parse(argc, argv, &a, &smoke);
  const char* flags = uring_init(W, &ring);
  int port = uring_server_start(&srv, W, 0, 1, a.one_loop ? &ring : NULL);
  fd = uring_connect(W, port);
  if (a.one_loop) uring_server_accept(&srv);
  const char* cc = bench_tcp_tune(fd); /* already tuned: reads back what it got */
  memset(chunk, 'x', sizeof chunk);
  deadline = bench_now_ns() + (uint64_t)(a.secs * 1e9);
  uring_send(W, &ring, fd, chunk, sizeof chunk, 0);
  while (!done) uring_reap(W, &ring, on_cqe, NULL);
  close(fd);
  uring_server_join(&srv);
  io_uring_queue_exit(&ring);
  if (srv.bytes != sent || sent == 0 || srv.last_ns <= srv.first_ns)
    bench_fail(W, "sent %llu bytes, received %llu", (unsigned long long)sent, (unsigned long long)srv.bytes);
  bench_result(W, (double)srv.bytes / ((double)(srv.last_ns - srv.first_ns) / 1e9) / 1e6, "MB/s",
               "bytes=%llu loops=%d cc=%s impl=raw ring=%s", (unsigned long long)srv.bytes, a.one_loop ? 1 : 2,
               cc, flags);
  return BENCH_OK;
}
