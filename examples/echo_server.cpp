// echo_server: echoes every TCP connection on 127.0.0.1 until killed.
//
//   build/release/echo_server [port]      (default 0: the kernel picks one)
#include <cstdio>
#include <cstdlib>

#include "veloq/net.hpp"
#include "core/runtime/worker.hpp"

using namespace veloq;
using namespace veloq::net;

namespace {

Task<void> echo_connection(TcpStream s) {
  FixedBuf buf = FixedBuf::allocate(16 * 1024);
  for (;;) {
    auto [n, back] = co_await s.read(std::move(buf));
    if (!n || *n == 0) co_return;
    auto [w, back2] = co_await s.write_all(std::move(back));
    if (!w) co_return;
    buf = std::move(back2);
  }
}

Task<int> serve(uint16_t port) {
  auto l = TcpListener::bind(SocketAddr::ipv4_loopback(port));
  if (!l) {
    std::fprintf(stderr, "bind 127.0.0.1:%u: %s\n", port, l.error().message().c_str());
    co_return 1;
  }
  std::printf("veloq echo server on %s backend=%s\n", l->local_addr()->to_string().c_str(),
              backend_name(Worker::current()->backend()));
  std::fflush(stdout);
  for (;;) {
    auto a = co_await l->accept();
    if (!a) {
      // EMFILE and friends: report and keep serving the connections we have.
      std::fprintf(stderr, "accept: %s\n", a.error().message().c_str());
      continue;
    }
    (void)spawn_local(echo_connection(std::move(a->stream)), "echo");
  }
}

}  // namespace

int main(int argc, char** argv) {
  long port = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 0;
  if (port < 0 || port > 65535) {
    std::fprintf(stderr, "usage: %s [port]\n", argv[0]);
    return 2;
  }
  Worker w;
  return w.block_on(serve(uint16_t(port)));
}
