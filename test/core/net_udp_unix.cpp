// UDP datagrams (unconnected and connected) and Unix stream sockets.
#include <criterion/criterion.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "core/net/udp.hpp"
#include "core/net/unix.hpp"
#include "core/runtime/worker.hpp"
#include "support/net_helpers.hpp"

using namespace veloq;
using namespace veloq::net;

namespace {

Task<void> udp_send_recv() {
  auto a = UdpSocket::bind(SocketAddr::ipv4_loopback(0));
  auto b = UdpSocket::bind(SocketAddr::ipv4_loopback(0));
  cr_assert(a && b);
  auto a_addr = *a->local_addr();
  auto b_addr = *b->local_addr();
  cr_assert_neq(a_addr.port(), b_addr.port());
  for (int i = 0; i < 20; ++i) {
    std::string msg = "datagram " + std::to_string(i);
    auto [s, sb] = co_await a->send_to(FixedBuf::copy_of(msg), b_addr);
    cr_assert(s && *s == msg.size());
    auto [r, rb] = co_await b->recv_from(FixedBuf::allocate(2048));
    cr_assert(r.has_value());
    cr_assert_eq(r->len, msg.size());
    cr_assert_eq(rb.view(), msg);
    cr_assert(r->from == a_addr, "from %s", r->from.to_string().c_str());
  }
  // Connected: send/recv without addresses; the peer is fixed.
  cr_assert(b->connect(a_addr).has_value());
  cr_assert(a->connect(b_addr).has_value());
  cr_assert(*b->peer_addr() == a_addr);
  auto [s2, sb2] = co_await b->send(FixedBuf::copy_of("pong"));
  cr_assert(s2 && *s2 == 4);
  auto [r2, rb2] = co_await a->recv(FixedBuf::allocate(64));
  cr_assert(r2 && *r2 == 4);
  cr_assert_eq(rb2.view(), "pong");
  // A datagram from a third socket is filtered by the connected `a`.
  auto c = UdpSocket::bind(SocketAddr::ipv4_loopback(0));
  auto [s3, sb3] = co_await c->send_to(FixedBuf::copy_of("intruder"), *a->local_addr());
  cr_assert(s3.has_value());
  auto [s4, sb4] = co_await b->send(FixedBuf::copy_of("legit"));
  auto [r4, rb4] = co_await a->recv(FixedBuf::allocate(64));
  cr_assert_eq(rb4.view(), "legit");
  // Errors are Results.
  auto [e, eb] = co_await a->send_to(FixedBuf::copy_of("x"), SocketAddr{});
  cr_assert(!e && e.error().value() == EINVAL);
  cr_assert((co_await a->close()).has_value());
}

Task<void> unix_echo(SocketAddr addr) {
  auto l = UnixListener::bind(addr);
  cr_assert(l.has_value(), "bind %s: %s", addr.to_string().c_str(),
            l ? "" : l.error().message().c_str());
  cr_assert(*l->local_addr() == addr);
  // Second bind of the same name: EADDRINUSE.
  auto l2 = UnixListener::bind(addr);
  cr_assert(!l2 && l2.error().value() == EADDRINUSE);
  auto c = co_await UnixStream::connect(addr);
  cr_assert(c.has_value());
  auto a = co_await l->accept();
  cr_assert(a.has_value());
  auto echo = spawn_local(test::echo_stream(std::move(a->stream)));
  std::string all;
  for (int i = 0; i < 50; ++i) {
    std::string msg = "unix " + std::to_string(i) + ";";
    auto [w, wb] = co_await c->write_all(FixedBuf::copy_of(msg));
    cr_assert(w.has_value());
    size_t got = 0;
    while (got < msg.size()) {
      auto [n, rb] = co_await c->read(FixedBuf::allocate(256));
      cr_assert(n && *n > 0);
      all.append(rb.view());
      got += *n;
    }
  }
  cr_assert((co_await c->shutdown(SHUT_WR)).has_value());
  auto echoed = co_await echo;
  cr_assert(echoed.has_value());
  cr_assert_eq(*echoed, all.size());
  cr_assert_eq(all.substr(0, 14), "unix 0;unix 1;");
}

Task<void> unix_pair_and_errors() {
  auto p = UnixStream::pair();
  cr_assert(p.has_value());
  auto [w, wb] = co_await p->first.write_all(FixedBuf::copy_of("pair"));
  cr_assert(w.has_value());
  auto [n, rb] = co_await p->second.read(FixedBuf::allocate(16));
  cr_assert(n && *n == 4);
  auto nobody = co_await UnixStream::connect(*SocketAddr::unix_abstract("veloq-nobody-" + std::to_string(getpid())));
  cr_assert(!nobody && nobody.error().value() == ECONNREFUSED, "%s",
            nobody ? "connected" : nobody.error().message().c_str());
  auto ip = co_await UnixStream::connect(SocketAddr::ipv4_loopback(1));
  cr_assert(!ip && ip.error().value() == EINVAL);
}

}  // namespace

Test(net_udp, send_recv_and_connect) {
  Worker w;
  w.block_on(udp_send_recv());
}

Test(net_unix, path_echo) {
  char dir[] = "/tmp/veloq-net-XXXXXX";
  cr_assert_not_null(::mkdtemp(dir));
  std::string path = std::string(dir) + "/echo.sock";
  {
    Worker w;
    w.block_on(unix_echo(*SocketAddr::unix_path(path)));
  }
  ::unlink(path.c_str());
  ::rmdir(dir);
}

Test(net_unix, abstract_echo) {
  Worker w;
  w.block_on(unix_echo(*SocketAddr::unix_abstract("veloq-echo-" + std::to_string(getpid()))));
}

Test(net_unix, pair_and_errors) {
  Worker w;
  w.block_on(unix_pair_and_errors());
}
