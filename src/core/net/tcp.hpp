// TcpListener / TcpStream: TCP over IPv4 and IPv6 on the current Worker.
//
//   auto l = TcpListener::bind(SocketAddr::ipv4_loopback(0));   // Result
//   auto acc = co_await l->accept();          // Result<TcpAccepted>
//   auto [n, buf] = co_await acc->stream.read(FixedBuf::allocate(4096));
//
// Dropping an open stream or listener closes its fd synchronously.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <utility>

#include "core/net/socket.hpp"

namespace veloq::net {

struct ListenOptions {
  int backlog = 1024;
  bool reuse_addr = true;   // SO_REUSEADDR: rebind while old conns are in TIME_WAIT
  bool reuse_port = false;  // SO_REUSEPORT: several listeners share the port
  bool ipv6_only = false;   // IPV6_V6ONLY on an IPv6 listener
};

class TcpStream : public StreamSocket {
 public:
  TcpStream() = default;
  explicit TcpStream(OwnedFd fd) : StreamSocket(std::move(fd)) {}

  // Connect to an IPv4/IPv6 address (EINVAL for other families).
  static Task<Result<TcpStream>> connect(SocketAddr addr);

  Result<void> set_nodelay(bool on) { return sock::set_int_opt(fd(), IPPROTO_TCP, TCP_NODELAY, on); }
  Result<bool> nodelay() const;
  Result<void> set_keepalive(bool on) { return sock::set_int_opt(fd(), SOL_SOCKET, SO_KEEPALIVE, on); }
  Result<void> set_ttl(int ttl);
  Result<int> ttl() const;
  // SO_LINGER. on && seconds == 0: close() sends RST instead of FIN.
  Result<void> set_linger(bool on, int seconds);
};

struct TcpAccepted {
  TcpStream stream;
  SocketAddr peer;
};

class TcpListener {
 public:
  TcpListener() = default;

  // socket + options + bind + listen (synchronous: none of these wait).
  static Result<TcpListener> bind(SocketAddr addr, ListenOptions opts = {});

  Task<Result<TcpAccepted>> accept();
  Result<SocketAddr> local_addr() const { return sock::local_addr(fd_.get()); }
  int fd() const { return fd_.get(); }
  bool is_open() const { return fd_.valid(); }
  Task<Result<void>> close() { return sock::close(std::move(fd_)); }

 private:
  explicit TcpListener(OwnedFd fd) : fd_(std::move(fd)) {}
  OwnedFd fd_;
};

}  // namespace veloq::net
