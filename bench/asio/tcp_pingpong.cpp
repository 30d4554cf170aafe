// asio tcp_pingpong: bench/uv/tcp_pingpong.c through Asio (io_uring backend).
//
// N connections, each a coroutine doing sequential 64-byte round trips
// (async_write, then async_read of exactly 64 bytes, checked) against an echo
// server on a second thread's io_context, for --secs seconds after every
// connection is up. --one-loop: server on the client's io_context.
//
//   bench_asio_tcp_pingpong [--secs S] [--conns N] [--one-loop] [--smoke]
#include <vector>

#include "asio_util.hpp"

using namespace abench;

namespace {

const char* const W = "tcp_pingpong";

struct Totals {
  bench_hist hist{};
  uint64_t trips = 0;
  long running = 0;
};

awaitable<void> pingpong_conn(tcp::socket c, long id, uint64_t deadline, Totals* tot) {
  unsigned char out[BENCH_MSG], in[BENCH_MSG];
  for (uint64_t trip = 1;; ++trip) {
    uint64_t t0 = bench_now_ns();
    if (t0 >= deadline) break;
    bench_fill_msg(out, id, trip);
    co_await asio::async_write(c, asio::buffer(out), use_awaitable);
    co_await asio::async_read(c, asio::buffer(in), use_awaitable);
    if (std::memcmp(in, out, BENCH_MSG) != 0) bench_fail(W, "conn %ld: wrong echo at trip %llu", id,
                                                         (unsigned long long)trip);
    bench_hist_add(&tot->hist, bench_now_ns() - t0);
    tot->trips++;
  }
  c.shutdown(tcp::socket::shutdown_send);
  c.close();
  tot->running--;
}

awaitable<int> run(const bench_args* a, asio::io_context* ctx) {
  Server srv(W, Server::echo, a->conns, a->one_loop ? ctx : nullptr);
  const char* cc = "?";
  std::vector<tcp::socket> conns;
  for (long i = 0; i < a->conns; ++i) conns.push_back(co_await connect_to(srv.port(), &cc));
  Totals tot;
  uint64_t t_start = bench_now_ns();
  uint64_t deadline = t_start + uint64_t(a->secs * 1e9);
  tot.running = a->conns;
  for (long i = 0; i < a->conns; ++i)
    asio::co_spawn(*ctx, pingpong_conn(std::move(conns[i]), i, deadline, &tot), asio::detached);
  asio::steady_timer poll(*ctx);
  while (tot.running > 0) {  // wait for the connections, a millisecond at a time
    poll.expires_after(std::chrono::milliseconds(1));
    co_await poll.async_wait(use_awaitable);
  }
  double secs = double(bench_now_ns() - t_start) / 1e9;
  if (!a->one_loop) srv.join();
  if (tot.trips == 0) bench_fail(W, "no round trip completed");
  bench_result(W, double(tot.trips) / secs, "trips/s", "conns=%ld loops=%d p50_us=%.1f p99_us=%.1f cc=%s impl=asio",
               a->conns, a->one_loop ? 1 : 2, bench_hist_quantile(&tot.hist, 0.50) / 1e3,
               bench_hist_quantile(&tot.hist, 0.99) / 1e3, cc);
  co_return BENCH_OK;
}

}  // namespace

int main(int argc, char** argv) {
  bench_args a{.secs = 5.0, .conns = 1};
  const bench_args smoke{.smoke = 1, .secs = 0.1, .conns = 2};
  bench_parse(argc, argv, &a, &smoke);
  asio::io_context ctx(1);
  return run_main(W, ctx, run(&a, &ctx));
}
