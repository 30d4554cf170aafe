// asio tcp_pump: bench/uv/tcp_pump.c through Asio (io_uring backend).
//
// One connection; the main io_context writes 64 KiB chunks (async_write, one
// at a time) for --secs seconds, a sink server on a second thread counts.
// MB/s (10^6 bytes) as the receiver saw it; every byte sent must arrive.
// --one-loop: the sink on the sender's io_context.
//
//   bench_asio_tcp_pump [--secs S] [--one-loop] [--smoke]
#include <vector>

#include "asio_util.hpp"

using namespace abench;

namespace {

const char* const W = "tcp_pump";

awaitable<int> run(const bench_args* a, asio::io_context* ctx) {
  Server srv(W, Server::sink, 1, a->one_loop ? ctx : nullptr);
  const char* cc = "?";
  tcp::socket c = co_await connect_to(srv.port(), &cc);
  std::vector<char> chunk(BENCH_PUMP_CHUNK, 'x');
  uint64_t sent = 0;
  uint64_t deadline = bench_now_ns() + uint64_t(a->secs * 1e9);
  while (bench_now_ns() < deadline) {
    co_await asio::async_write(c, asio::buffer(chunk), use_awaitable);
    sent += chunk.size();
  }
  c.shutdown(tcp::socket::shutdown_send);
  if (a->one_loop) {
    asio::steady_timer poll(*ctx);
    while (srv.bytes < sent) {  // let the sink on this context drain
      poll.expires_after(std::chrono::milliseconds(1));
      co_await poll.async_wait(use_awaitable);
    }
  } else {
    srv.join();
  }
  c.close();
  if (srv.bytes != sent || sent == 0 || srv.last_ns <= srv.first_ns)
    bench_fail(W, "sent %llu bytes, received %llu", (unsigned long long)sent, (unsigned long long)srv.bytes);
  bench_result(W, double(srv.bytes) / (double(srv.last_ns - srv.first_ns) / 1e9) / 1e6, "MB/s",
               "bytes=%llu loops=%d cc=%s impl=asio", (unsigned long long)srv.bytes, a->one_loop ? 1 : 2, cc);
  co_return BENCH_OK;
}

}  // namespace

int main(int argc, char** argv) {
  bench_args a{.secs = 5.0, .conns = 1, .depth = 1};
  const bench_args smoke{.smoke = 1, .secs = 0.1, .conns = 1, .depth = 1};
  bench_parse(argc, argv, &a, &smoke);
  asio::io_context ctx(1);
  return run_main(W, ctx, run(&a, &ctx));
}
