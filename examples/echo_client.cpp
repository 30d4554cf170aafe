// echo_client: round trips of 64 bytes against an echo server.
//
//   build/release/echo_client ADDR [round_trips]   e.g. 127.0.0.1:7000 1000
// Exits 0 when every echo matched.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "veloq/net.hpp"
#include "core/runtime/worker.hpp"

using namespace veloq;
using namespace veloq::net;

namespace {

Task<int> run(SocketAddr addr, int trips) {
  auto c = co_await TcpStream::connect(addr);
  if (!c) {
    std::fprintf(stderr, "connect %s: %s\n", addr.to_string().c_str(), c.error().message().c_str());
    co_return 1;
  }
  (void)c->set_nodelay(true);
  FixedBuf out = FixedBuf::allocate(64);
  FixedBuf in = FixedBuf::allocate(4096);
  auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < trips; ++t) {
    for (size_t i = 0; i < 64; ++i) out.data()[i] = std::byte(uint8_t(t + i));
    out.set_len(64);
    auto [w, wb] = co_await c->write_all(std::move(out));
    out = std::move(wb);
    if (!w) co_return 1;
    size_t got = 0;
    while (got < 64) {
      auto [n, rb] = co_await c->read(std::move(in));
      in = std::move(rb);
      if (!n || *n == 0 || got + *n > 64 || std::memcmp(in.data(), out.data() + got, *n) != 0) {
        std::fprintf(stderr, "bad echo at round trip %d\n", t);
        co_return 1;
      }
      got += *n;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%d round trips in %.3f s = %.0f/s backend=%s\n", trips, secs, trips / secs,
              backend_name(Worker::current()->backend()));
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s ADDR [round_trips]\n", argv[0]);
    return 2;
  }
  auto addr = SocketAddr::parse(argv[1]);
  int trips = argc > 2 ? std::atoi(argv[2]) : 1000;
  if (!addr || trips <= 0) {
    std::fprintf(stderr, "bad address or count\n");
    return 2;
  }
  Worker w;
  return w.block_on(run(*addr, trips));
}
