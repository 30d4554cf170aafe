#include "core/net/udp.hpp"

#include <poll.h>
#include <sys/uio.h>

#include <cstring>

namespace veloq::net {

namespace {
constexpr size_t align16(size_t n) { return (n + 15) & ~size_t{15}; }

// One op-owned block: msghdr | iovec | sockaddr_storage.
struct MsgParts {
  msghdr* msg;
  iovec* iov;
  sockaddr_storage* name;
};
MsgParts own_msg_parts(Op& op) {
  const size_t a = align16(sizeof(msghdr)), b = align16(sizeof(iovec));
  std::byte* p = op.own_bytes(a + b + sizeof(sockaddr_storage));
  std::memset(p, 0, a + b + sizeof(sockaddr_storage));
  MsgParts m{reinterpret_cast<msghdr*>(p), reinterpret_cast<iovec*>(p + a),
             reinterpret_cast<sockaddr_storage*>(p + a + b)};
  m.msg->msg_iov = m.iov;
  m.msg->msg_iovlen = 1;
  m.msg->msg_name = m.name;
  return m;
}

Task<WriteResult> send_to_impl(int fd, FixedBuf buf, SocketAddr to) {
  if (to.len() == 0) co_return WriteResult{err<size_t>(EINVAL), std::move(buf)};
  IoOp op(OpCode::SendMsg);
  MsgParts m = own_msg_parts(*op);
  std::memcpy(m.name, to.as_sockaddr(), to.len());
  m.msg->msg_namelen = to.len();
  *m.iov = {buf.data(), buf.len()};
  op->buf = std::move(buf);
  op->args.fd = fd;
  op->args.addr = m.msg;
  op->args.flags = MSG_NOSIGNAL;
  int32_t res = co_await sock::await_io(op, POLLOUT);
  co_return WriteResult{from_res<size_t>(res), std::move(op->buf)};
}

Task<RecvFromResult> recv_from_impl(int fd, FixedBuf buf) {
  if (!buf) co_return RecvFromResult{err<Datagram>(EINVAL), std::move(buf)};
  IoOp op(OpCode::RecvMsg);
  MsgParts m = own_msg_parts(*op);
  m.msg->msg_namelen = sizeof(sockaddr_storage);
  *m.iov = {buf.data(), buf.capacity()};
  op->buf = std::move(buf);
  op->args.fd = fd;
  op->args.addr = m.msg;
  int32_t res = co_await sock::await_io(op, POLLIN);
  FixedBuf back = std::move(op->buf);
  if (res < 0) co_return RecvFromResult{err<Datagram>(res), std::move(back)};
  back.set_len(size_t(res));
  Datagram d{size_t(res), SocketAddr{}};
  if (auto from = SocketAddr::from_storage(*m.name, m.msg->msg_namelen)) d.from = *from;
  co_return RecvFromResult{d, std::move(back)};
}
}  // namespace

Result<UdpSocket> UdpSocket::bind(SocketAddr addr) {
  if (!addr.is_ipv4() && !addr.is_ipv6()) return err<UdpSocket>(EINVAL);
  auto fd = sock::open(addr.family(), SOCK_DGRAM);
  if (!fd) return std::unexpected(fd.error());
  if (::bind(fd->get(), addr.as_sockaddr(), addr.len()) < 0) return err<UdpSocket>(errno);
  return UdpSocket(std::move(*fd));
}

Result<void> UdpSocket::connect(SocketAddr addr) {
  if (addr.len() == 0) return err<void>(EINVAL);
  if (::connect(fd(), addr.as_sockaddr(), addr.len()) < 0) return err<void>(errno);
  return {};
}

Task<WriteResult> UdpSocket::send_to(FixedBuf buf, SocketAddr to) {
  return send_to_impl(fd(), std::move(buf), to);
}

Task<RecvFromResult> UdpSocket::recv_from(FixedBuf buf) { return recv_from_impl(fd(), std::move(buf)); }

}  // namespace veloq::net
