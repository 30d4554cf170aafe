// core tcp_pingpong: bench/uv/tcp_pingpong.c through Veloq's C++ API.
//
// N connections, each a task doing sequential 64-byte round trips (write_all,
// then read until the 64 bytes are back, checked) against an echo server on
// a second thread's Worker, for --secs seconds after every connection is up.
// Prints round trips/s and p50/p99 latency.
//
// --one-loop runs the echo server as a task on the client's Worker.
//
//   bench_core_tcp_pingpong [--secs S] [--conns N] [--one-loop] [--smoke]
#include <cstring>

#include "bench_util.hpp"

using namespace bench;

namespace {

const char* const W = "tcp_pingpong";

struct Totals {
  bench_hist hist{};
  uint64_t trips = 0;
};

Task<void> pingpong_conn(TcpStream c, long id, uint64_t deadline_ns, Totals* tot) {
  FixedBuf out = FixedBuf::allocate(BENCH_MSG);
  FixedBuf in = FixedBuf::allocate(BENCH_ECHO_BUF);
  unsigned char want[BENCH_MSG];
  for (uint64_t trip = 1;; ++trip) {
    uint64_t t0 = bench_now_ns();
    if (t0 >= deadline_ns) break;
    bench_fill_msg(want, id, trip);
    std::memcpy(out.data(), want, BENCH_MSG);
    out.set_len(BENCH_MSG);
    auto [w, wb] = co_await c.write_all(std::move(out));
    out = std::move(wb);
    check(W, std::move(w), "write_all");
    size_t got = 0;
    while (got < BENCH_MSG) {
      auto [n, rb] = co_await c.read(std::move(in));
      in = std::move(rb);
      size_t k = check(W, std::move(n), "read");
      if (k == 0 || got + k > BENCH_MSG || std::memcmp(in.data(), want + got, k) != 0)
        bench_fail(W, "conn %ld: wrong echo at trip %llu", id, (unsigned long long)trip);
      got += k;
    }
    bench_hist_add(&tot->hist, bench_now_ns() - t0);
    tot->trips++;
  }
  check(W, co_await c.close(), "close");
}

Task<int> run(const bench_args* a) {
  Server srv(W, ServerMode::echo, a->conns, a->one_loop);
  std::vector<TcpStream> conns;
  const char* cc = "?";
  for (long i = 0; i < a->conns; ++i) {
    conns.push_back(check(W, co_await TcpStream::connect(srv.addr()), "connect"));
    cc = tune(W, conns.back());
  }
  Totals tot;
  uint64_t t_start = bench_now_ns();
  uint64_t deadline = t_start + uint64_t(a->secs * 1e9);
  std::vector<JoinHandle<void>> tasks;
  for (long i = 0; i < a->conns; ++i) tasks.push_back(spawn_local(pingpong_conn(std::move(conns[i]), i, deadline, &tot)));
  for (auto& t : tasks) check(W, co_await t, "join");
  double secs = double(bench_now_ns() - t_start) / 1e9;
  co_await srv.join();
  if (tot.trips == 0) bench_fail(W, "no round trip completed");
  bench_result(W, double(tot.trips) / secs, "trips/s", "conns=%ld loops=%d p50_us=%.1f p99_us=%.1f cc=%s impl=core backend=%s",
               a->conns, a->one_loop ? 1 : 2, bench_hist_quantile(&tot.hist, 0.50) / 1e3, bench_hist_quantile(&tot.hist, 0.99) / 1e3,
               cc, backend());
  co_return BENCH_OK;
}

}  // namespace

int main(int argc, char** argv) {
  return main_with(argc, argv, bench_args{.secs = 5.0, .conns = 1}, bench_args{.smoke = 1, .secs = 0.1, .conns = 2}, run);
}
