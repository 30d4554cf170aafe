#include "core/op/sync_exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace veloq {

namespace {
constexpr uint64_t kCurrentPos = ~uint64_t{0};

int32_t ret(long r) { return r < 0 ? -errno : static_cast<int32_t>(r); }
}  // namespace

int32_t execute_sync(Op& op) {
  OpArgs& a = op.args;
  switch (op.code) {
    case OpCode::Nop:
      return 0;
    case OpCode::Read:
      return a.off == kCurrentPos ? ret(::read(a.fd, a.addr, a.len))
                                  : ret(::pread(a.fd, a.addr, a.len, off_t(a.off)));
    case OpCode::Write:
      return a.off == kCurrentPos ? ret(::write(a.fd, a.addr, a.len))
                                  : ret(::pwrite(a.fd, a.addr, a.len, off_t(a.off)));
    case OpCode::Readv:
      return a.off == kCurrentPos
                 ? ret(::readv(a.fd, static_cast<iovec*>(a.addr), int(a.len)))
                 : ret(::preadv(a.fd, static_cast<iovec*>(a.addr), int(a.len), off_t(a.off)));
    case OpCode::Writev:
      return a.off == kCurrentPos
                 ? ret(::writev(a.fd, static_cast<iovec*>(a.addr), int(a.len)))
                 : ret(::pwritev(a.fd, static_cast<iovec*>(a.addr), int(a.len), off_t(a.off)));
    case OpCode::Recv:
      return ret(::recv(a.fd, a.addr, a.len, int(a.flags)));
    case OpCode::Send:
      return ret(::send(a.fd, a.addr, a.len, int(a.flags) | MSG_NOSIGNAL));
    case OpCode::RecvMsg:
      return ret(::recvmsg(a.fd, static_cast<msghdr*>(a.addr), int(a.flags)));
    case OpCode::SendMsg:
      return ret(::sendmsg(a.fd, static_cast<msghdr*>(a.addr), int(a.flags) | MSG_NOSIGNAL));
    case OpCode::Accept:
      return ret(::accept4(a.fd, static_cast<sockaddr*>(a.addr),
                           static_cast<socklen_t*>(a.addr2), int(a.flags)));
    case OpCode::Connect:
      return ret(::connect(a.fd, static_cast<sockaddr*>(a.addr), socklen_t(a.len)));
    case OpCode::Shutdown:
      return ret(::shutdown(a.fd, int(a.len)));
    case OpCode::Close:
      return ret(::close(a.fd));
    case OpCode::OpenAt:
      return ret(::openat(a.fd2, static_cast<const char*>(a.addr), int(a.flags), mode_t(a.mode)));
    case OpCode::Statx:
      return ret(::statx(a.fd2, static_cast<const char*>(a.addr), int(a.flags), a.mask,
                         static_cast<struct statx*>(a.addr2)));
    case OpCode::Fsync:
      return (a.flags & 1u) ? ret(::fdatasync(a.fd)) : ret(::fsync(a.fd));
    case OpCode::SyncFileRange:
      return ret(::sync_file_range(a.fd, off_t(a.off), off_t(a.len), a.flags));
    case OpCode::Fallocate:
      return ret(::fallocate(a.fd, int(a.mode), off_t(a.off), off_t(a.len)));
    case OpCode::Ftruncate:
      return ret(::ftruncate(a.fd, off_t(a.off)));
    case OpCode::UnlinkAt:
      return ret(::unlinkat(a.fd2, static_cast<const char*>(a.addr), int(a.flags)));
    case OpCode::RenameAt:
      return ret(::syscall(SYS_renameat2, a.fd2, static_cast<const char*>(a.addr), a.fd,
                           static_cast<const char*>(a.addr2), a.flags));
    case OpCode::MkdirAt:
      return ret(::mkdirat(a.fd2, static_cast<const char*>(a.addr), mode_t(a.mode)));
    case OpCode::LinkAt:
      return ret(::linkat(a.fd2, static_cast<const char*>(a.addr), a.fd,
                          static_cast<const char*>(a.addr2), int(a.flags)));
    case OpCode::SymlinkAt:
      return ret(::symlinkat(static_cast<const char*>(a.addr), a.fd,
                             static_cast<const char*>(a.addr2)));
    case OpCode::PollAdd: {
      pollfd p{a.fd, short(a.mask), 0};
      int r = ::poll(&p, 1, 0);
      if (r < 0) return -errno;
      return r == 0 ? -EAGAIN : p.revents;
    }
    case OpCode::Timeout: {
      auto* ts = static_cast<const timespec*>(a.addr);
      timespec rem{};
      timespec req = ts ? *ts : timespec{};
      while (::nanosleep(&req, &rem) < 0 && errno == EINTR) req = rem;
      return -ETIME;
    }
    case OpCode::Getdents:
      return ret(::syscall(SYS_getdents64, a.fd, a.addr, a.len));
    case OpCode::Custom:
      return op.custom_fn ? op.custom_fn(&op) : -EINVAL;
    case OpCode::kCount:
      break;
  }
  return -EINVAL;
}

bool op_waits_for_readiness(const Op& op) {
  switch (op.code) {
    case OpCode::Recv:
    case OpCode::Send:
    case OpCode::RecvMsg:
    case OpCode::SendMsg:
    case OpCode::Accept:
    case OpCode::Connect:
    case OpCode::PollAdd:
      return true;
    default:
      return false;
  }
}

uint32_t op_readiness_events(const Op& op) {
  switch (op.code) {
    case OpCode::Read:  // on a pipe, socket or tty (see fd_is_pollable)
    case OpCode::Readv:
    case OpCode::Recv:
    case OpCode::RecvMsg:
    case OpCode::Accept:
      return EPOLLIN;
    case OpCode::Write:
    case OpCode::Writev:
    case OpCode::Send:
    case OpCode::SendMsg:
    case OpCode::Connect:
      return EPOLLOUT;
    case OpCode::PollAdd:
      return op.args.mask;
    default:
      return 0;
  }
}

bool fd_nonblocking(int fd) {
  int fl = ::fcntl(fd, F_GETFL);
  return fl >= 0 && (fl & O_NONBLOCK) != 0;
}

bool op_uses_dontwait(OpCode c) {
  return c == OpCode::Recv || c == OpCode::Send || c == OpCode::RecvMsg || c == OpCode::SendMsg;
}

bool op_is_reader(const Op& op) {
  switch (op.code) {
    case OpCode::Read:
    case OpCode::Readv:
    case OpCode::Recv:
    case OpCode::RecvMsg:
    case OpCode::Accept:
      return true;
    default:
      return false;
  }
}

int fd_is_pollable(int fd) {
  struct stat sb {};
  if (::fstat(fd, &sb) < 0) return -errno;
  return S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode) || S_ISCHR(sb.st_mode) ? 1 : 0;
}

int32_t try_nonblocking(Op& op) {
  OpArgs& a = op.args;
  int32_t r = 0;
  switch (op.code) {
    case OpCode::Recv:
      r = ret(::recv(a.fd, a.addr, a.len, int(a.flags) | MSG_DONTWAIT));
      break;
    case OpCode::Send:
      r = ret(::send(a.fd, a.addr, a.len, int(a.flags) | MSG_DONTWAIT | MSG_NOSIGNAL));
      break;
    case OpCode::RecvMsg:
      r = ret(::recvmsg(a.fd, static_cast<msghdr*>(a.addr), int(a.flags) | MSG_DONTWAIT));
      break;
    case OpCode::SendMsg:
      r = ret(::sendmsg(a.fd, static_cast<msghdr*>(a.addr),
                        int(a.flags) | MSG_DONTWAIT | MSG_NOSIGNAL));
      break;
    case OpCode::Accept:
      r = ret(::accept4(a.fd, static_cast<sockaddr*>(a.addr), static_cast<socklen_t*>(a.addr2),
                        int(a.flags)));
      break;
    case OpCode::Connect: {
      // Only reached once an EINPROGRESS connect's fd became writable.
      int so_error = 0;
      socklen_t n = sizeof so_error;
      if (::getsockopt(a.fd, SOL_SOCKET, SO_ERROR, &so_error, &n) < 0) return -errno;
      r = -so_error;
      break;
    }
    // Stream fds have no position: the ring ignores the offset there too.
    case OpCode::Read:
      r = ret(::read(a.fd, a.addr, a.len));
      break;
    case OpCode::Write:
      r = ret(::write(a.fd, a.addr, a.len));
      break;
    case OpCode::Readv:
      r = ret(::readv(a.fd, static_cast<iovec*>(a.addr), int(a.len)));
      break;
    case OpCode::Writev:
      r = ret(::writev(a.fd, static_cast<iovec*>(a.addr), int(a.len)));
      break;
    case OpCode::PollAdd: {
      pollfd p{a.fd, short(a.mask), 0};
      int n = ::poll(&p, 1, 0);
      if (n < 0) return -errno;
      if (n == 0) return -EAGAIN;
      if (p.revents & POLLNVAL) return -EBADF;
      return p.revents;
    }
    default:
      return execute_sync(op);
  }
  if (r == -EWOULDBLOCK || r == -EINTR) r = -EAGAIN;
  return r;
}

int32_t try_without_blocking(Op& op) {
  if (!op_uses_dontwait(op.code) && op.code != OpCode::Connect && !fd_nonblocking(op.args.fd)) {
    pollfd p{op.args.fd, short(op_readiness_events(op)), 0};
    int n = ::poll(&p, 1, 0);
    if (n < 0) return errno == EINTR ? -EAGAIN : -errno;
    if (n == 0) return -EAGAIN;
    if (p.revents & POLLNVAL) return -EBADF;
  }
  return try_nonblocking(op);
}

}  // namespace veloq
