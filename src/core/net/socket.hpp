// Socket building blocks shared by TCP, UDP and Unix sockets.
//
// OwnedFd   an fd that is closed (synchronously, ::close) when dropped
//           unless it was closed asynchronously first: no path leaks it.
// sock::*   fd-level coroutine operations on top of IoOp. Every buffer the
//           kernel may touch (data FixedBufs, iovec arrays, msghdr,
//           sockaddrs) is moved into the Op, so a task aborted mid-operation
//           never leaves the kernel writing into freed memory; the buffers
//           come back to the caller with the result.
// StreamSocket / ReadHalf / WriteHalf   the byte-stream face of TcpStream
//           and UnixStream.
//
// Sockets are created SOCK_NONBLOCK|SOCK_CLOEXEC (the epoll driver needs
// nonblocking fds). On io_uring, RECV/SEND/ACCEPT/CONNECT on a nonblocking
// socket still wait for readiness internally (checked on kernel 6.18, see
// test/core/net_tcp.cpp nonblocking_recv_waits); should any backend hand back -EAGAIN
// anyway, the operation awaits a PollAdd for readiness and retries
// (counted in sock::eagain_retries()).
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/mem/fixed_buf.hpp"
#include "core/net/socket_addr.hpp"
#include "core/runtime/io.hpp"
#include "core/runtime/result.hpp"
#include "core/runtime/task.hpp"

namespace veloq::net {

// read(): bytes received (0 = EOF) and the buffer back (len() == bytes).
using ReadResult = std::pair<Result<size_t>, FixedBuf>;
// write(): bytes sent (may be fewer than buf.len()) and the buffer back.
using WriteResult = std::pair<Result<size_t>, FixedBuf>;
// write_all(): success only when every byte of buf.len() was sent.
using WriteAllResult = std::pair<Result<void>, FixedBuf>;
// readv/writev: total bytes and the buffers back (readv sets each len()).
using VecResult = std::pair<Result<size_t>, std::vector<FixedBuf>>;

class OwnedFd {
 public:
  OwnedFd() = default;
  explicit OwnedFd(int fd) : fd_(fd) {}
  OwnedFd(OwnedFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  OwnedFd& operator=(OwnedFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset();  // ::close now

 private:
  int fd_ = -1;
};

namespace sock {

// socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol).
Result<OwnedFd> open(int family, int type, int protocol = 0);

// Await `op`; on -EAGAIN wait for `poll_events` readiness and resubmit, on
// -EINTR resubmit. Returns the final result.
Task<int32_t> await_io(IoOp& op, uint32_t poll_events);
// How many times await_io had to fall back to PollAdd on this thread.
uint64_t eagain_retries();

Task<ReadResult> recv(int fd, FixedBuf buf);
Task<WriteResult> send(int fd, FixedBuf buf);
Task<WriteAllResult> send_all(int fd, FixedBuf buf);
// Vectored I/O via RECVMSG/SENDMSG: socket ops, which the epoll driver waits
// on for readiness (op_waits_for_readiness), unlike READV/WRITEV. (On io_uring
// 6.18 a raw READV on a nonblocking socket waits too; checked by hand.)
// At most IOV_MAX buffers, else EINVAL.
Task<VecResult> recvv(int fd, std::vector<FixedBuf> bufs);
Task<VecResult> sendv(int fd, std::vector<FixedBuf> bufs);

Task<Result<void>> connect(int fd, SocketAddr addr);

struct Accepted {
  OwnedFd fd;
  SocketAddr peer;
};
Task<Result<Accepted>> accept(int fd);

Task<Result<void>> shutdown(int fd, int how);
// Close through the driver. `fd` is closed even if the returned task is
// dropped without being awaited (OwnedFd destructor).
Task<Result<void>> close(OwnedFd fd);

Result<SocketAddr> local_addr(int fd);
Result<SocketAddr> peer_addr(int fd);
Result<void> set_int_opt(int fd, int level, int name, int value);
Result<int> get_int_opt(int fd, int level, int name);

}  // namespace sock

// The read side of a split stream. Shares the fd with its WriteHalf; the fd
// is closed when both halves are gone.
class ReadHalf {
 public:
  ReadHalf() = default;
  explicit ReadHalf(std::shared_ptr<OwnedFd> fd) : fd_(std::move(fd)) {}
  int fd() const { return fd_ ? fd_->get() : -1; }
  Task<ReadResult> read(FixedBuf buf) { return sock::recv(fd(), std::move(buf)); }
  Task<VecResult> readv(std::vector<FixedBuf> bufs) { return sock::recvv(fd(), std::move(bufs)); }
  Result<SocketAddr> peer_addr() const { return sock::peer_addr(fd()); }

 private:
  std::shared_ptr<OwnedFd> fd_;
};

class WriteHalf {
 public:
  WriteHalf() = default;
  explicit WriteHalf(std::shared_ptr<OwnedFd> fd) : fd_(std::move(fd)) {}
  int fd() const { return fd_ ? fd_->get() : -1; }
  Task<WriteResult> write(FixedBuf buf) { return sock::send(fd(), std::move(buf)); }
  Task<WriteAllResult> write_all(FixedBuf buf) { return sock::send_all(fd(), std::move(buf)); }
  Task<VecResult> writev(std::vector<FixedBuf> bufs) { return sock::sendv(fd(), std::move(bufs)); }
  // Half-close: the peer reads EOF, this side may still read.
  Task<Result<void>> shutdown() { return sock::shutdown(fd(), SHUT_WR); }
  Result<SocketAddr> local_addr() const { return sock::local_addr(fd()); }

 private:
  std::shared_ptr<OwnedFd> fd_;
};

// A connected byte stream (TcpStream, UnixStream derive from it).
class StreamSocket {
 public:
  StreamSocket() = default;
  explicit StreamSocket(OwnedFd fd) : fd_(std::move(fd)) {}

  int fd() const { return fd_.get(); }
  bool is_open() const { return fd_.valid(); }

  // Read into buf.whole(); the returned buffer's len() is the byte count.
  Task<ReadResult> read(FixedBuf buf) { return sock::recv(fd(), std::move(buf)); }
  // Send buf.filled() once; may be partial.
  Task<WriteResult> write(FixedBuf buf) { return sock::send(fd(), std::move(buf)); }
  // Send all of buf.filled(), looping over partial sends.
  Task<WriteAllResult> write_all(FixedBuf buf) { return sock::send_all(fd(), std::move(buf)); }
  Task<VecResult> readv(std::vector<FixedBuf> bufs) { return sock::recvv(fd(), std::move(bufs)); }
  Task<VecResult> writev(std::vector<FixedBuf> bufs) { return sock::sendv(fd(), std::move(bufs)); }
  // SHUT_RD, SHUT_WR or SHUT_RDWR.
  Task<Result<void>> shutdown(int how) { return sock::shutdown(fd(), how); }
  // Close through the driver; the stream is closed from this call on.
  Task<Result<void>> close() { return sock::close(std::move(fd_)); }

  Result<SocketAddr> local_addr() const { return sock::local_addr(fd()); }
  Result<SocketAddr> peer_addr() const { return sock::peer_addr(fd()); }

  // Split into halves usable from two tasks at once (full duplex).
  std::pair<ReadHalf, WriteHalf> into_split() && {
    auto shared = std::make_shared<OwnedFd>(std::move(fd_));
    return {ReadHalf(shared), WriteHalf(shared)};
  }

 protected:
  OwnedFd fd_;
};

}  // namespace veloq::net
