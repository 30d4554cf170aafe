// core tcp_pump: bench/uv/tcp_pump.c through Veloq's C++ API.
//
// One connection; the main Worker writes 64 KiB chunks (write_all, one at a
// time: a stream has one writer) for --secs seconds, a sink server on a
// second thread's Worker counts. Prints MB/s (10^6 bytes) as the receiver
// saw it; checks every byte sent arrived.
//
// --one-loop runs the sink as a task on the sender's Worker.
//
//   bench_core_tcp_pump [--secs S] [--one-loop] [--smoke]
#include <cstring>

#include "bench_util.hpp"

using namespace bench;

namespace {

const char* const W = "tcp_pump";

Task<int> run(const bench_args* a) {
  Server srv(W, ServerMode::sink, 1, a->one_loop);
  TcpStream c = check(W, co_await TcpStream::connect(srv.addr()), "connect");
  const char* cc = tune(W, c);
  FixedBuf chunk = FixedBuf::allocate(BENCH_PUMP_CHUNK);
  std::memset(chunk.data(), 'x', BENCH_PUMP_CHUNK);
  uint64_t sent = 0;
  uint64_t deadline = bench_now_ns() + uint64_t(a->secs * 1e9);
  while (bench_now_ns() < deadline) {
    chunk.set_len(BENCH_PUMP_CHUNK);
    auto [w, back] = co_await c.write_all(std::move(chunk));
    chunk = std::move(back);
    check(W, std::move(w), "write_all");
    sent += BENCH_PUMP_CHUNK;
  }
  check(W, co_await c.close(), "close");
  const ServerStats& st = *co_await srv.join();
  if (st.bytes != sent || sent == 0 || st.last_ns <= st.first_ns)
    bench_fail(W, "sent %llu bytes, received %llu", (unsigned long long)sent, (unsigned long long)st.bytes);
  bench_result(W, double(st.bytes) / (double(st.last_ns - st.first_ns) / 1e9) / 1e6, "MB/s",
               "bytes=%llu loops=%d cc=%s impl=core backend=%s", (unsigned long long)st.bytes, a->one_loop ? 1 : 2, cc,
               backend());
  co_return BENCH_OK;
}

}  // namespace

int main(int argc, char** argv) {
  return main_with(argc, argv, bench_args{.secs = 5.0, .conns = 1, .depth = 1}, bench_args{.smoke = 1, .secs = 0.1, .conns = 1, .depth = 1}, run);
}
