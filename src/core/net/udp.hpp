// UdpSocket: datagrams over IPv4/IPv6.
//
// send_to/recv_from go through SENDMSG/RECVMSG with the msghdr, iovec and
// sockaddr owned by the op; send/recv are for a connected socket.
#pragma once

#include <utility>

#include "core/net/socket.hpp"

namespace veloq::net {

struct Datagram {
  size_t len = 0;
  SocketAddr from;
};
using RecvFromResult = std::pair<Result<Datagram>, FixedBuf>;

class UdpSocket {
 public:
  UdpSocket() = default;

  static Result<UdpSocket> bind(SocketAddr addr);
  // Fix the default peer (send/recv); datagrams from others are filtered.
  // Synchronous: a UDP connect never waits.
  Result<void> connect(SocketAddr addr);

  Task<WriteResult> send_to(FixedBuf buf, SocketAddr to);
  // Receive one datagram into buf.whole(); excess bytes are dropped
  // (MSG_TRUNC semantics of the socket).
  Task<RecvFromResult> recv_from(FixedBuf buf);
  Task<WriteResult> send(FixedBuf buf) { return sock::send(fd(), std::move(buf)); }
  Task<ReadResult> recv(FixedBuf buf) { return sock::recv(fd(), std::move(buf)); }

  Result<SocketAddr> local_addr() const { return sock::local_addr(fd()); }
  Result<SocketAddr> peer_addr() const { return sock::peer_addr(fd()); }
  Result<void> set_broadcast(bool on) { return sock::set_int_opt(fd(), SOL_SOCKET, SO_BROADCAST, on); }
  int fd() const { return fd_.get(); }
  bool is_open() const { return fd_.valid(); }
  Task<Result<void>> close() { return sock::close(std::move(fd_)); }

 private:
  explicit UdpSocket(OwnedFd fd) : fd_(std::move(fd)) {}
  OwnedFd fd_;
};

}  // namespace veloq::net
