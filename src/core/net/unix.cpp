#include "core/net/unix.hpp"

#include <sys/socket.h>

namespace veloq::net {

namespace {
Task<Result<UnixStream>> connect_unix(SocketAddr addr) {
  if (!addr.is_unix()) co_return err<UnixStream>(EINVAL);
  auto fd = sock::open(AF_UNIX, SOCK_STREAM);
  if (!fd) co_return std::unexpected(fd.error());
  auto r = co_await sock::connect(fd->get(), addr);
  if (!r) co_return std::unexpected(r.error());
  co_return UnixStream(std::move(*fd));
}

Task<Result<UnixAccepted>> accept_unix(int fd) {
  auto a = co_await sock::accept(fd);
  if (!a) co_return std::unexpected(a.error());
  co_return UnixAccepted{UnixStream(std::move(a->fd)), a->peer};
}
}  // namespace

Task<Result<UnixStream>> UnixStream::connect(SocketAddr addr) { return connect_unix(addr); }

Result<std::pair<UnixStream, UnixStream>> UnixStream::pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
    return std::unexpected(errno_code(errno));
  }
  return std::pair<UnixStream, UnixStream>{UnixStream(OwnedFd(sv[0])), UnixStream(OwnedFd(sv[1]))};
}

Result<UnixListener> UnixListener::bind(SocketAddr addr, int backlog) {
  if (!addr.is_unix() || backlog < 0) return err<UnixListener>(EINVAL);
  auto fd = sock::open(AF_UNIX, SOCK_STREAM);
  if (!fd) return std::unexpected(fd.error());
  if (::bind(fd->get(), addr.as_sockaddr(), addr.len()) < 0) return err<UnixListener>(errno);
  if (::listen(fd->get(), backlog) < 0) return err<UnixListener>(errno);
  return UnixListener(std::move(*fd));
}

Task<Result<UnixAccepted>> UnixListener::accept() { return accept_unix(fd_.get()); }

}  // namespace veloq::net
