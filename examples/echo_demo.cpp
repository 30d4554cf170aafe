// echo_demo: an echo server task and a bounded client in one process.
//
// The client does 1,000 round trips of 64 bytes over 127.0.0.1 and checks
// every echo byte for byte. Prints the backend and round trips per second;
// exits 0 on success, 1 on any failure (a watchdog alarm ends a hang).
//
//   build/release/echo_demo [round_trips]
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "veloq/net.hpp"
#include "core/runtime/worker.hpp"

using namespace veloq;
using namespace veloq::net;

namespace {

Task<void> echo_connection(TcpStream s) {
  FixedBuf buf = FixedBuf::allocate(4096);
  for (;;) {
    auto [n, back] = co_await s.read(std::move(buf));
    if (!n || *n == 0) co_return;
    auto [w, back2] = co_await s.write_all(std::move(back));
    if (!w) co_return;
    buf = std::move(back2);
  }
}

Task<void> serve(TcpListener* l) {
  for (;;) {
    auto a = co_await l->accept();
    if (!a) {
      std::fprintf(stderr, "accept: %s\n", a.error().message().c_str());
      co_return;
    }
    (void)spawn_local(echo_connection(std::move(a->stream)), "echo");
  }
}

Task<bool> client(SocketAddr addr, int trips) {
  auto c = co_await TcpStream::connect(addr);
  if (!c) {
    std::fprintf(stderr, "connect %s: %s\n", addr.to_string().c_str(), c.error().message().c_str());
    co_return false;
  }
  (void)c->set_nodelay(true);
  FixedBuf out = FixedBuf::allocate(64);
  FixedBuf in = FixedBuf::allocate(4096);
  for (int t = 0; t < trips; ++t) {
    for (size_t i = 0; i < 64; ++i) out.data()[i] = std::byte(uint8_t(t * 31 + i));
    out.set_len(64);
    auto [w, wb] = co_await c->write_all(std::move(out));
    out = std::move(wb);
    if (!w) {
      std::fprintf(stderr, "write: %s\n", w.error().message().c_str());
      co_return false;
    }
    size_t got = 0;
    while (got < 64) {
      auto [n, rb] = co_await c->read(std::move(in));
      in = std::move(rb);
      if (!n || *n == 0) {
        std::fprintf(stderr, "read: %s\n", n ? "unexpected EOF" : n.error().message().c_str());
        co_return false;
      }
      if (got + *n > 64 || std::memcmp(in.data(), out.data() + got, *n) != 0) {
        std::fprintf(stderr, "echo mismatch at round trip %d\n", t);
        co_return false;
      }
      got += *n;
    }
  }
  co_return (co_await c->close()).has_value();
}

Task<int> run(int trips) {
  auto l = TcpListener::bind(SocketAddr::ipv4_loopback(0));
  if (!l) {
    std::fprintf(stderr, "bind: %s\n", l.error().message().c_str());
    co_return 1;
  }
  auto addr = l->local_addr();
  if (!addr) co_return 1;
  const char* backend = backend_name(Worker::current()->backend());
  std::printf("veloq echo server on %s backend=%s\n", addr->to_string().c_str(), backend);
  auto server = spawn_local(serve(&*l), "server");
  auto t0 = std::chrono::steady_clock::now();
  bool ok = co_await client(*addr, trips);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  server.abort();
  if (!ok) {
    std::printf("echo_demo FAILED backend=%s\n", backend);
    co_return 1;
  }
  std::printf("echo_demo ok: %d round trips of 64 bytes in %.3f s = %.0f round trips/s backend=%s\n",
              trips, secs, trips / secs, backend);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int trips = argc > 1 ? std::atoi(argv[1]) : 1000;
  if (trips <= 0) {
    std::fprintf(stderr, "usage: %s [round_trips > 0]\n", argv[0]);
    return 2;
  }
  ::alarm(60);  // watchdog: a hang ends the process with SIGALRM (nonzero)
  try {
    Worker w;
    return w.block_on(run(trips));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo_demo: %s\n", e.what());
    return 1;
  }
}
