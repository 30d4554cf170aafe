// UnixStream / UnixListener: SOCK_STREAM Unix-domain sockets, filesystem
// paths or Linux abstract names (SocketAddr::unix_path / unix_abstract).
//
// UnixListener does not unlink its path: like bind(2), binding an existing
// path fails with EADDRINUSE; the owner removes the file.
#pragma once

#include <string_view>
#include <utility>

#include "core/net/socket.hpp"
#include "core/net/tcp.hpp"  // ListenOptions

namespace veloq::net {

class UnixStream : public StreamSocket {
 public:
  UnixStream() = default;
  explicit UnixStream(OwnedFd fd) : StreamSocket(std::move(fd)) {}

  static Task<Result<UnixStream>> connect(SocketAddr addr);
  // A connected pair (socketpair), e.g. for tests and parent/child links.
  static Result<std::pair<UnixStream, UnixStream>> pair();
};

struct UnixAccepted {
  UnixStream stream;
  SocketAddr peer;  // usually "(unnamed)"
};

class UnixListener {
 public:
  UnixListener() = default;

  static Result<UnixListener> bind(SocketAddr addr, int backlog = 1024);

  Task<Result<UnixAccepted>> accept();
  Result<SocketAddr> local_addr() const { return sock::local_addr(fd_.get()); }
  int fd() const { return fd_.get(); }
  bool is_open() const { return fd_.valid(); }
  Task<Result<void>> close() { return sock::close(std::move(fd_)); }

 private:
  explicit UnixListener(OwnedFd fd) : fd_(std::move(fd)) {}
  OwnedFd fd_;
};

}  // namespace veloq::net
