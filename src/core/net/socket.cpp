#include "core/net/socket.hpp"

#include <limits.h>
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace veloq::net {

void OwnedFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

namespace sock {

namespace {
thread_local uint64_t t_eagain_retries = 0;

constexpr size_t align16(size_t n) { return (n + 15) & ~size_t{15}; }

// msghdr + iovec[n] (+ sockaddr_storage) carved from one op-owned block, so
// everything the kernel reads or writes lives exactly as long as the op.
struct MsgBlock {
  msghdr* msg;
  iovec* iov;
  sockaddr_storage* name;  // null unless asked for
};
MsgBlock own_msg(Op& op, size_t iovcnt, bool with_name) {
  size_t msg_sz = align16(sizeof(msghdr));
  size_t iov_sz = align16(sizeof(iovec) * iovcnt);
  size_t name_sz = with_name ? sizeof(sockaddr_storage) : 0;
  std::byte* p = op.own_bytes(msg_sz + iov_sz + name_sz);
  std::memset(p, 0, msg_sz + iov_sz + name_sz);
  MsgBlock b{reinterpret_cast<msghdr*>(p), reinterpret_cast<iovec*>(p + msg_sz),
             with_name ? reinterpret_cast<sockaddr_storage*>(p + msg_sz + iov_sz) : nullptr};
  b.msg->msg_iov = b.iov;
  b.msg->msg_iovlen = iovcnt;
  if (b.name != nullptr) {
    b.msg->msg_name = b.name;
    b.msg->msg_namelen = sizeof(sockaddr_storage);
  }
  return b;
}
}  // namespace

uint64_t eagain_retries() { return t_eagain_retries; }

Result<OwnedFd> open(int family, int type, int protocol) {
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return err<OwnedFd>(errno);
  return OwnedFd(fd);
}

Task<int32_t> await_io(IoOp& op, uint32_t poll_events) {
  for (;;) {
    int32_t res = co_await op;
    if (res == -EINTR) continue;
    if (res != -EAGAIN) co_return res;
    // The backend returned instead of waiting: wait for readiness ourselves.
    ++t_eagain_retries;
    IoOp poll(OpCode::PollAdd);
    poll->args.fd = op->args.fd;
    poll->args.mask = poll_events;
    int32_t pr = co_await poll;
    if (pr < 0 && pr != -EINTR) co_return pr;
  }
}

Task<ReadResult> recv(int fd, FixedBuf buf) {
  if (!buf) co_return ReadResult{err<size_t>(EINVAL), std::move(buf)};
  IoOp op(OpCode::Recv);
  op->args.fd = fd;
  op->args.addr = buf.data();
  op->args.len = buf.capacity();
  op->buf = std::move(buf);
  int32_t res = co_await await_io(op, POLLIN);
  FixedBuf back = std::move(op->buf);
  if (res >= 0) back.set_len(size_t(res));
  co_return ReadResult{from_res<size_t>(res), std::move(back)};
}

Task<WriteResult> send(int fd, FixedBuf buf) {
  IoOp op(OpCode::Send);
  op->args.fd = fd;
  op->args.addr = buf.data();
  op->args.len = buf.len();
  op->args.flags = MSG_NOSIGNAL;  // a reset peer gives EPIPE, never SIGPIPE
  op->buf = std::move(buf);
  int32_t res = co_await await_io(op, POLLOUT);
  co_return WriteResult{from_res<size_t>(res), std::move(op->buf)};
}

Task<WriteAllResult> send_all(int fd, FixedBuf buf) {
  const size_t total = buf.len();
  size_t done = 0;
  IoOp op(OpCode::Send);
  op->buf = std::move(buf);
  while (done < total) {
    op->args.fd = fd;
    op->args.addr = op->buf.data() + done;
    op->args.len = total - done;
    op->args.flags = MSG_NOSIGNAL;
    int32_t res = co_await await_io(op, POLLOUT);
    if (res < 0) co_return WriteAllResult{err<void>(res), std::move(op->buf)};
    if (res == 0) co_return WriteAllResult{err<void>(EPIPE), std::move(op->buf)};
    done += size_t(res);
  }
  co_return WriteAllResult{Result<void>{}, std::move(op->buf)};
}

Task<VecResult> recvv(int fd, std::vector<FixedBuf> bufs) {
  if (bufs.empty() || bufs.size() > IOV_MAX) co_return VecResult{err<size_t>(EINVAL), std::move(bufs)};
  for (const FixedBuf& b : bufs) {
    if (!b) co_return VecResult{err<size_t>(EINVAL), std::move(bufs)};
  }
  IoOp op(OpCode::RecvMsg);
  MsgBlock m = own_msg(*op, bufs.size(), false);
  for (size_t i = 0; i < bufs.size(); ++i) m.iov[i] = {bufs[i].data(), bufs[i].capacity()};
  op->bufs = std::move(bufs);
  op->args.fd = fd;
  op->args.addr = m.msg;
  int32_t res = co_await await_io(op, POLLIN);
  std::vector<FixedBuf> back = std::move(op->bufs);
  if (res >= 0) {
    size_t left = size_t(res);
    for (FixedBuf& b : back) {
      size_t n = std::min(left, b.capacity());
      b.set_len(n);
      left -= n;
    }
  }
  co_return VecResult{from_res<size_t>(res), std::move(back)};
}

Task<VecResult> sendv(int fd, std::vector<FixedBuf> bufs) {
  if (bufs.empty() || bufs.size() > IOV_MAX) co_return VecResult{err<size_t>(EINVAL), std::move(bufs)};
  IoOp op(OpCode::SendMsg);
  MsgBlock m = own_msg(*op, bufs.size(), false);
  for (size_t i = 0; i < bufs.size(); ++i) m.iov[i] = {bufs[i].data(), bufs[i].len()};
  op->bufs = std::move(bufs);
  op->args.fd = fd;
  op->args.addr = m.msg;
  op->args.flags = MSG_NOSIGNAL;
  int32_t res = co_await await_io(op, POLLOUT);
  co_return VecResult{from_res<size_t>(res), std::move(op->bufs)};
}

Task<Result<void>> connect(int fd, SocketAddr addr) {
  if (addr.len() == 0) co_return err<void>(EINVAL);
  IoOp op(OpCode::Connect);
  std::byte* sa = op->own_bytes(sizeof(sockaddr_storage));
  std::memcpy(sa, addr.as_sockaddr(), addr.len());
  op->args.fd = fd;
  op->args.addr = sa;
  op->args.len = addr.len();
  for (;;) {
    int32_t res = co_await op;
    if (res == 0 || res == -EISCONN) co_return Result<void>{};
    if (res == -EINTR) continue;
    if (res != -EINPROGRESS && res != -EALREADY && res != -EAGAIN) co_return err<void>(res);
    // Nonblocking connect in progress (a backend without an internal wait):
    // wait for writability, then read the outcome from SO_ERROR.
    ++t_eagain_retries;
    IoOp poll(OpCode::PollAdd);
    poll->args.fd = fd;
    poll->args.mask = POLLOUT;
    int32_t pr = co_await poll;
    if (pr < 0) co_return err<void>(pr);
    if (res == -EAGAIN) continue;  // unix: listener backlog was full, try again
    auto so = get_int_opt(fd, SOL_SOCKET, SO_ERROR);
    if (!so) co_return err<void>(so.error().value());
    if (*so != 0) co_return err<void>(*so);
    co_return Result<void>{};
  }
}

Task<Result<Accepted>> accept(int fd) {
  // An fd produced after this task was aborted is closed by op_dispatch
  // (detached op) or ~IoOp (completed, never taken): no guard needed here.
  IoOp op(OpCode::Accept);
  // Peer address storage owned by the op: the kernel writes it at completion.
  std::byte* mem = op->own_bytes(sizeof(sockaddr_storage) + sizeof(socklen_t));
  auto* ss = reinterpret_cast<sockaddr_storage*>(mem);
  auto* len = reinterpret_cast<socklen_t*>(mem + sizeof(sockaddr_storage));
  for (;;) {
    *len = sizeof(sockaddr_storage);
    op->args.fd = fd;
    op->args.addr = ss;
    op->args.addr2 = len;
    op->args.flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
    int32_t res = co_await await_io(op, POLLIN);
    // A connection reset while queued is the peer's problem, not the listener's.
    if (res == -ECONNABORTED) continue;
    if (res < 0) co_return err<Accepted>(res);
    Accepted a{OwnedFd(res), SocketAddr{}};
    if (auto peer = SocketAddr::from_storage(*ss, *len)) a.peer = *peer;
    co_return a;
  }
}

Task<Result<void>> shutdown(int fd, int how) {
  IoOp op(OpCode::Shutdown);
  op->args.fd = fd;
  op->args.len = uint64_t(how);
  int32_t res = co_await op;
  co_return void_from_res(res);
}

Task<Result<void>> close(OwnedFd fd) {
  if (!fd.valid()) co_return err<void>(EBADF);
  IoOp op(OpCode::Close);
  op->args.fd = fd.release();
  int32_t res = co_await op;
  // A close the driver cancelled before running must still close the fd.
  if (res == -ECANCELED) res = ::close(op->args.fd) < 0 ? -errno : 0;
  co_return void_from_res(res);
}

Result<SocketAddr> local_addr(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return err<SocketAddr>(errno);
  return SocketAddr::from_storage(ss, len);
}

Result<SocketAddr> peer_addr(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return err<SocketAddr>(errno);
  return SocketAddr::from_storage(ss, len);
}

Result<void> set_int_opt(int fd, int level, int name, int value) {
  if (::setsockopt(fd, level, name, &value, sizeof value) < 0) return err<void>(errno);
  return {};
}

Result<int> get_int_opt(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) < 0) return err<int>(errno);
  return value;
}

}  // namespace sock
}  // namespace veloq::net
