#include "core/net/tcp.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace veloq::net {

namespace {
bool is_ip(const SocketAddr& a) { return a.is_ipv4() || a.is_ipv6(); }

Task<Result<TcpAccepted>> accept_tcp(int fd) {
  auto a = co_await sock::accept(fd);
  if (!a) co_return std::unexpected(a.error());
  co_return TcpAccepted{TcpStream(std::move(a->fd)), a->peer};
}

Task<Result<TcpStream>> connect_tcp(SocketAddr addr) {
  if (!is_ip(addr)) co_return err<TcpStream>(EINVAL);
  auto fd = sock::open(addr.family(), SOCK_STREAM);
  if (!fd) co_return std::unexpected(fd.error());
  auto r = co_await sock::connect(fd->get(), addr);
  if (!r) co_return std::unexpected(r.error());
  co_return TcpStream(std::move(*fd));
}
}  // namespace

Task<Result<TcpStream>> TcpStream::connect(SocketAddr addr) { return connect_tcp(addr); }

Result<bool> TcpStream::nodelay() const {
  auto v = sock::get_int_opt(fd(), IPPROTO_TCP, TCP_NODELAY);
  if (!v) return std::unexpected(v.error());
  return *v != 0;
}

Result<void> TcpStream::set_ttl(int ttl) {
  auto local = local_addr();
  if (local && local->is_ipv6()) return sock::set_int_opt(fd(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
  return sock::set_int_opt(fd(), IPPROTO_IP, IP_TTL, ttl);
}

Result<int> TcpStream::ttl() const {
  auto local = local_addr();
  if (local && local->is_ipv6()) return sock::get_int_opt(fd(), IPPROTO_IPV6, IPV6_UNICAST_HOPS);
  return sock::get_int_opt(fd(), IPPROTO_IP, IP_TTL);
}

Result<void> TcpStream::set_linger(bool on, int seconds) {
  linger l{on ? 1 : 0, seconds};
  if (::setsockopt(fd(), SOL_SOCKET, SO_LINGER, &l, sizeof l) < 0) return err<void>(errno);
  return {};
}

Result<TcpListener> TcpListener::bind(SocketAddr addr, ListenOptions opts) {
  if (!is_ip(addr) || opts.backlog < 0) return err<TcpListener>(EINVAL);
  auto fd = sock::open(addr.family(), SOCK_STREAM);
  if (!fd) return std::unexpected(fd.error());
  int s = fd->get();
  if (opts.reuse_addr) {
    if (auto r = sock::set_int_opt(s, SOL_SOCKET, SO_REUSEADDR, 1); !r) return std::unexpected(r.error());
  }
  if (opts.reuse_port) {
    if (auto r = sock::set_int_opt(s, SOL_SOCKET, SO_REUSEPORT, 1); !r) return std::unexpected(r.error());
  }
  if (addr.is_ipv6()) {
    if (auto r = sock::set_int_opt(s, IPPROTO_IPV6, IPV6_V6ONLY, opts.ipv6_only ? 1 : 0); !r) {
      return std::unexpected(r.error());
    }
  }
  if (::bind(s, addr.as_sockaddr(), addr.len()) < 0) return err<TcpListener>(errno);
  if (::listen(s, opts.backlog) < 0) return err<TcpListener>(errno);
  return TcpListener(std::move(*fd));
}

Task<Result<TcpAccepted>> TcpListener::accept() { return accept_tcp(fd_.get()); }

}  // namespace veloq::net
