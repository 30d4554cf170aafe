// Socket helpers shared by every socket handle type (libuv 1.44
// src/unix/tcp.c uv_socketpair, src/unix/core.c uv__socket_sockopt).
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "compat_uv/internal.hpp"

namespace veloq::uvc {

int set_nonblock(int fd, bool on) {
  int value = on ? 1 : 0;
  int r;
  do r = ::ioctl(fd, FIONBIO, &value);
  while (r == -1 && errno == EINTR);
  return r == 0 ? 0 : -errno;
}

int pair_set_nonblock(int fds[2], bool nonblock0, bool nonblock1) {
  int err = 0;
  if (nonblock0) err = set_nonblock(fds[0]);
  if (err == 0 && nonblock1) err = set_nonblock(fds[1]);
  if (err != 0) {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  return err;
}

}  // namespace veloq::uvc

using namespace veloq::uvc;

namespace {

// libuv's uv__socket_sockopt: *value 0 reads the option, anything else sets
// it. Linux doubles what is set; the read returns the kernel's value. The fd
// comes from uv_fileno, which every socket handle type answers.
int socket_sockopt(uv_handle_t* handle, int optname, int* value) {
  if (handle == nullptr || value == nullptr) return UV_EINVAL;
  if (handle->type != UV_TCP && handle->type != UV_NAMED_PIPE && handle->type != UV_UDP) return UV_ENOTSUP;
  uv_os_fd_t fd;
  if (int err = uv_fileno(handle, &fd); err != 0) return err;
  socklen_t len = sizeof *value;
  const int r = *value == 0 ? ::getsockopt(fd, SOL_SOCKET, optname, value, &len)
                            : ::setsockopt(fd, SOL_SOCKET, optname, value, len);
  return r != 0 ? -errno : 0;
}

}  // namespace

extern "C" {

// AF_UNIX socketpair, always close-on-exec; UV_NONBLOCK_PIPE per end.
int uv_socketpair(int type, int protocol, uv_os_sock_t fds[2], int flags0, int flags1) {
  if (fds == nullptr) return UV_EINVAL;
  int flags = type | SOCK_CLOEXEC;
  const bool both = (flags0 & UV_NONBLOCK_PIPE) && (flags1 & UV_NONBLOCK_PIPE);
  if (both) flags |= SOCK_NONBLOCK;
  int temp[2];
  if (::socketpair(AF_UNIX, flags, protocol, temp) != 0) return -errno;
  if (!both) {
    if (int err = pair_set_nonblock(temp, flags0 & UV_NONBLOCK_PIPE, flags1 & UV_NONBLOCK_PIPE); err != 0) return err;
  }
  fds[0] = temp[0];
  fds[1] = temp[1];
  return 0;
}

int uv_send_buffer_size(uv_handle_t* handle, int* value) { return socket_sockopt(handle, SO_SNDBUF, value); }
int uv_recv_buffer_size(uv_handle_t* handle, int* value) { return socket_sockopt(handle, SO_RCVBUF, value); }

}  // extern "C"
