// uv_tcp_t (libuv 1.44 src/unix/tcp.c): sockets, bind, connect, options.
// The stream machinery (reads, writes, accept, close) is in stream.cpp.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "compat_uv/stream.hpp"

using namespace veloq;
using namespace veloq::uvc;

namespace {

uv_stream_t* as_stream(uv_tcp_t* t) { return reinterpret_cast<uv_stream_t*>(t); }
const uv_stream_t* as_stream(const uv_tcp_t* t) { return reinterpret_cast<const uv_stream_t*>(t); }

// 1: bound to a port, 0: not (`ss` is then its address with port 0), <0: -errno.
int port_bound(int fd, sockaddr_storage* ss, socklen_t* len) {
  *len = sizeof *ss;
  std::memset(ss, 0, sizeof *ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(ss), len) != 0) return -errno;
  if (ss->ss_family == AF_INET6) return reinterpret_cast<sockaddr_in6*>(ss)->sin6_port != 0;
  if (ss->ss_family == AF_INET) return reinterpret_cast<sockaddr_in*>(ss)->sin_port != 0;
  return 0;
}

// libuv's new_socket: a nonblocking, close-on-exec socket adopted by the
// handle; with kBound, bound to an arbitrary port.
int new_socket(uv_tcp_t* t, int domain, uint32_t flags) {
  const int fd = ::socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (int err = stream_open(as_stream(t), fd, flags); err != 0) {
    ::close(fd);
    return err;
  }
  if (flags & kBound) {
    sockaddr_storage ss;
    socklen_t len;
    int r = port_bound(fd, &ss, &len);
    if (r < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      const int err = r < 0 ? r : -errno;
      ::close(fd);
      sstate(as_stream(t))->fd = -1;
      return err;
    }
  }
  return 0;
}

// libuv's maybe_new_socket.
int maybe_new_socket(uv_tcp_t* t, int domain, uint32_t flags) {
  StreamState* st = sstate(as_stream(t));
  if (domain == AF_UNSPEC) {
    st->flags |= flags;
    return 0;
  }
  if (st->fd == -1) return new_socket(t, domain, flags);
  if ((flags & kBound) && !(st->flags & kBound)) {
    sockaddr_storage ss;
    socklen_t len;
    const int r = port_bound(st->fd, &ss, &len);
    if (r < 0) return r;
    if (r == 0 && ::bind(st->fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return -errno;
  }
  st->flags |= flags;
  return 0;
}

int keepalive(int fd, int on, unsigned delay) {
  if (::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0) return -errno;
  if (on && ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &delay, sizeof delay) != 0) return -errno;
  return 0;
}

socklen_t addr_len(const sockaddr* addr) {
  if (addr == nullptr) return 0;
  if (addr->sa_family == AF_INET) return sizeof(sockaddr_in);
  if (addr->sa_family == AF_INET6) return sizeof(sockaddr_in6);
  return 0;
}

void on_connect(Op* op, int32_t res, uint32_t flags) {
  uv_stream_t* s = stream_of(op);
  StreamState* st = sstate(s);
  if (st->write_op == op) st->write_op = nullptr;
  handle_op_done(op, flags);
  if (is_closing(as_handle(s)) || st->connect_req == nullptr) return;  // stream_destroy: UV_ECANCELED
  uv_connect_t* req = st->connect_req;
  st->connect_req = nullptr;
  req_unregister(s->loop);
  if (req->cb != nullptr) req->cb(req, res);
  if (is_closing(as_handle(s))) return;
  if (res < 0) {
    stream_flush_writes(s, UV_ECANCELED);  // as libuv: writes queued behind a failed connect
  } else {
    stream_write_resume(s);
  }
}

int getname(const uv_tcp_t* t, bool peer, sockaddr* name, int* namelen) {
  const StreamState* st = sstate(as_stream(t));
  if (st->delayed_error != 0) return st->delayed_error;
  if (is_closing(reinterpret_cast<const uv_handle_t*>(t)) || st->fd == -1) return UV_EBADF;
  if (name == nullptr || namelen == nullptr || *namelen < 0) return UV_EINVAL;
  socklen_t len = socklen_t(*namelen);
  const int r = peer ? ::getpeername(st->fd, name, &len) : ::getsockname(st->fd, name, &len);
  if (r != 0) return -errno;
  *namelen = int(len);
  return 0;
}

}  // namespace

namespace veloq::uvc {

int tcp_listen(uv_tcp_t* t, int backlog, uv_connection_cb cb) {
  StreamState* st = sstate(as_stream(t));
  if (st->delayed_error != 0) return st->delayed_error;
  if (int err = maybe_new_socket(t, AF_INET, kBound); err != 0) return err;
  if (::listen(st->fd, backlog) != 0) return -errno;
  st->flags |= kBound;
  stream_listen_start(as_stream(t), cb);
  return 0;
}

}  // namespace veloq::uvc

extern "C" {

int uv_tcp_init_ex(uv_loop_t* loop, uv_tcp_t* tcp, unsigned int flags) {
  if (loop == nullptr || tcp == nullptr) return UV_EINVAL;
  const int domain = int(flags & 0xFF);
  if (domain != AF_INET && domain != AF_INET6 && domain != AF_UNSPEC) return UV_EINVAL;
  if (flags & ~0xFFu) return UV_EINVAL;
  stream_init(loop, as_stream(tcp), UV_TCP);
  if (domain != AF_UNSPEC) {
    if (int err = new_socket(tcp, domain, 0); err != 0) {
      handle_queue_node(reinterpret_cast<uv_handle_t*>(tcp))->remove();  // as libuv: never initialised
      return err;
    }
  }
  return 0;
}

int uv_tcp_init(uv_loop_t* loop, uv_tcp_t* tcp) { return uv_tcp_init_ex(loop, tcp, AF_UNSPEC); }

int uv_tcp_open(uv_tcp_t* handle, uv_os_sock_t sock) {
  if (handle == nullptr || sock < 0) return UV_EBADF;
  if (loop_state(handle->loop)->fd_watchers.count(sock) != 0) return UV_EEXIST;
  const int fl = ::fcntl(sock, F_GETFL);
  if (fl < 0 || ::fcntl(sock, F_SETFL, fl | O_NONBLOCK) < 0) return -errno;
  return stream_open(as_stream(handle), sock, kReadable | kWritable);
}

int uv_tcp_bind(uv_tcp_t* handle, const struct sockaddr* addr, unsigned int flags) {
  if (handle == nullptr || handle->type != UV_TCP) return UV_EINVAL;
  const socklen_t len = addr_len(addr);
  if (len == 0) return UV_EINVAL;
  if ((flags & UV_TCP_IPV6ONLY) && addr->sa_family != AF_INET6) return UV_EINVAL;
  if (int err = maybe_new_socket(handle, addr->sa_family, 0); err != 0) return err;
  StreamState* st = sstate(as_stream(handle));
  int on = 1;
  if (::setsockopt(st->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) return -errno;
  if (addr->sa_family == AF_INET6) {
    on = (flags & UV_TCP_IPV6ONLY) != 0;
    if (::setsockopt(st->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) return -errno;
  }
  errno = 0;
  if (::bind(st->fd, addr, len) != 0 && errno != EADDRINUSE) {
    return errno == EAFNOSUPPORT ? UV_EINVAL : -errno;
  }
  // libuv defers EADDRINUSE to uv_listen / uv_tcp_connect.
  st->delayed_error = errno == EADDRINUSE ? UV_EADDRINUSE : 0;
  st->flags |= kBound;
  if (addr->sa_family == AF_INET6) st->flags |= kIpv6;
  return 0;
}

int uv_tcp_connect(uv_connect_t* req, uv_tcp_t* handle, const struct sockaddr* addr, uv_connect_cb cb) {
  if (req == nullptr || handle == nullptr || handle->type != UV_TCP) return UV_EINVAL;
  const socklen_t len = addr_len(addr);
  if (len == 0) return UV_EINVAL;
  uv_stream_t* s = as_stream(handle);
  StreamState* st = sstate(s);
  if (st->connect_req != nullptr) return UV_EALREADY;
  if (is_closing(reinterpret_cast<uv_handle_t*>(handle))) return UV_EINVAL;
  if (st->delayed_error == 0) {
    if (int err = maybe_new_socket(handle, addr->sa_family, kReadable | kWritable); err != 0) return err;
  }
  req->type = UV_CONNECT;
  req->cb = cb;
  req->handle = s;
  req_register(s->loop);
  st->connect_req = req;
  if (st->delayed_error != 0) {
    stream_schedule(s);  // reported from the next pending phase, as libuv
    return 0;
  }
  // Connect op: libuv connects inline and reports synchronous failures
  // (ENETUNREACH ...) as the return value; here every outcome after the
  // argument checks arrives through connect_cb.
  Op* op = handle_op(reinterpret_cast<uv_handle_t*>(handle), OpCode::Connect, &on_connect);
  auto* sa = op->own_bytes(len);
  std::memcpy(sa, addr, len);
  op->args.fd = st->fd;
  op->args.addr = sa;
  op->args.len = len;
  st->write_op = op;
  loop_state(s->loop)->driver->prepare(op);
  return 0;
}

int uv_tcp_getsockname(const uv_tcp_t* handle, struct sockaddr* name, int* namelen) {
  return getname(handle, false, name, namelen);
}

int uv_tcp_getpeername(const uv_tcp_t* handle, struct sockaddr* name, int* namelen) {
  return getname(handle, true, name, namelen);
}

int uv_tcp_nodelay(uv_tcp_t* handle, int enable) {
  StreamState* st = sstate(as_stream(handle));
  if (st->fd != -1) {
    int on = enable != 0;
    if (::setsockopt(st->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) return -errno;
  }
  if (enable) st->flags |= kNodelay;
  else st->flags &= ~kNodelay;
  return 0;
}

int uv_tcp_keepalive(uv_tcp_t* handle, int enable, unsigned int delay) {
  StreamState* st = sstate(as_stream(handle));
  if (st->fd != -1) {
    if (int err = keepalive(st->fd, enable != 0, delay); err != 0) return err;
  }
  if (enable) st->flags |= kKeepalive;
  else st->flags &= ~kKeepalive;
  return 0;
}

// Linux libuv ignores the setting and returns 0 (src/unix/tcp.c).
int uv_tcp_simultaneous_accepts(uv_tcp_t*, int) { return 0; }

int uv_tcp_close_reset(uv_tcp_t* handle, uv_close_cb close_cb) {
  StreamState* st = sstate(as_stream(handle));
  if (st->flags & kShutting) return UV_EINVAL;
  linger l{1, 0};
  if (::setsockopt(st->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0 && errno != EINVAL) return -errno;
  uv_close(reinterpret_cast<uv_handle_t*>(handle), close_cb);
  return 0;
}

}  // extern "C"
