// uv_pipe_t (libuv 1.44 src/unix/pipe.c): Unix domain sockets by path, any
// stream fd by uv_pipe_open (pipe(2) ends, FIFOs, socketpairs), and ipc
// pipes that pass handles (uv_write2 / uv_accept). Reads, writes and accept
// are the stream machinery's (stream.cpp).
//
// The pipe's 8 bytes of private storage hold a PipeState pointer, allocated
// on first need: the bound path (unlinked by uv_close, as libuv) and the fds
// an ipc read received behind the one in accepted_fd (libuv's queued_fds).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>

#include "compat_uv/stream.hpp"

using namespace veloq;
using namespace veloq::uvc;

namespace {

struct PipeState {
  char* fname = nullptr;   // bound path (strdup), unlinked on close
  std::deque<int> queued;  // received fds behind accepted_fd
};

PipeState*& pipe_state_ptr(uv_pipe_t* p) {
  static_assert(sizeof(PipeState*) <= sizeof(p->veloq_pipe));
  return *reinterpret_cast<PipeState**>(p->veloq_pipe.storage);
}
PipeState* pipe_state(const uv_pipe_t* p) { return *reinterpret_cast<PipeState* const*>(p->veloq_pipe.storage); }
PipeState* pipe_state_get(uv_pipe_t* p) {
  PipeState*& ps = pipe_state_ptr(p);
  if (ps == nullptr) ps = new PipeState();
  return ps;
}

uv_stream_t* as_stream(uv_pipe_t* p) { return reinterpret_cast<uv_stream_t*>(p); }

// 1.44 copies the name into sun_path with uv__strscpy: a longer name is
// truncated, not refused.
sockaddr_un unix_addr(const char* name) {
  sockaddr_un sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, name, sizeof sa.sun_path - 1);
  return sa;
}

// libuv's uv__pipe_getsockpeername: the path without its NUL, or the
// abstract name; UV_ENOBUFS with the size needed (NUL included).
int sock_or_peer_name(const uv_pipe_t* p, bool peer, char* buffer, size_t* size) {
  uv_os_fd_t fd;
  int err = uv_fileno(reinterpret_cast<const uv_handle_t*>(p), &fd);
  sockaddr_un sa;
  socklen_t len = sizeof sa;
  std::memset(&sa, 0, sizeof sa);
  if (err == 0 && (peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len)
                        : ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len)) != 0) {
    err = -errno;
  }
  if (err < 0) {
    *size = 0;
    return err;
  }
  size_t n;
  if (sa.sun_path[0] == '\0') {
    n = len - offsetof(sockaddr_un, sun_path);  // Linux abstract namespace (or unnamed: 0)
  } else {
    n = strnlen(sa.sun_path, sizeof sa.sun_path);
  }
  if (n >= *size) {
    *size = n + 1;
    return UV_ENOBUFS;
  }
  std::memcpy(buffer, sa.sun_path, n);
  *size = n;
  if (buffer[0] != '\0') buffer[n] = '\0';
  return 0;
}

}  // namespace

namespace veloq::uvc {

int pipe_listen(uv_pipe_t* p, int backlog, uv_connection_cb cb) {
  StreamState* st = sstate(as_stream(p));
  if (st->fd == -1) return UV_EINVAL;
  if (p->ipc) return UV_EINVAL;
  if (::listen(st->fd, backlog) != 0) return -errno;
  stream_listen_start(as_stream(p), cb);
  return 0;
}

void pipe_queue_fd(uv_pipe_t* p, int fd) {
  StreamState* st = sstate(as_stream(p));
  if (st->accepted_fd == -1) {
    st->accepted_fd = fd;
  } else {
    pipe_state_get(p)->queued.push_back(fd);
  }
}

int pipe_next_fd(uv_pipe_t* p) {
  PipeState* ps = pipe_state(p);
  if (ps == nullptr || ps->queued.empty()) return -1;
  const int fd = ps->queued.front();
  ps->queued.pop_front();
  return fd;
}

// uv__pipe_close: unlink the bound path before the fd closes (the other
// order could unlink a socket another process just bound), drop received fds.
void pipe_close(uv_pipe_t* p) {
  if (PipeState* ps = pipe_state(p)) {
    if (ps->fname != nullptr) {
      ::unlink(ps->fname);
      std::free(ps->fname);
      ps->fname = nullptr;
    }
    for (int fd : ps->queued) ::close(fd);
    ps->queued.clear();
  }
  stream_close(as_stream(p));
}

void pipe_destroy(uv_pipe_t* p) {
  PipeState*& ps = pipe_state_ptr(p);
  if (ps == nullptr) return;
  std::free(ps->fname);
  for (int fd : ps->queued) ::close(fd);
  delete ps;
  ps = nullptr;
}

}  // namespace veloq::uvc

extern "C" {

int uv_pipe_init(uv_loop_t* loop, uv_pipe_t* handle, int ipc) {
  if (loop == nullptr || handle == nullptr) return UV_EINVAL;
  stream_init(loop, as_stream(handle), UV_NAMED_PIPE);
  pipe_state_ptr(handle) = nullptr;
  handle->ipc = ipc;
  return 0;
}

// Any stream fd: non-blocking from now on; readable/writable as its access
// mode allows (libuv).
int uv_pipe_open(uv_pipe_t* handle, uv_file fd) {
  if (loop_state(handle->loop)->fd_watchers.count(fd) != 0) return UV_EEXIST;
  int mode;
  do mode = ::fcntl(fd, F_GETFL);
  while (mode == -1 && errno == EINTR);
  if (mode == -1) return -errno;
  if (int err = set_nonblock(fd); err != 0) return err;
  uint32_t flags = 0;
  mode &= O_ACCMODE;
  if (mode != O_WRONLY) flags |= kReadable;
  if (mode != O_RDONLY) flags |= kWritable;
  return stream_open(as_stream(handle), fd, flags);
}

int uv_pipe_bind(uv_pipe_t* handle, const char* name) {
  if (handle == nullptr || name == nullptr) return UV_EINVAL;
  StreamState* st = sstate(as_stream(handle));
  if (st->fd >= 0) return UV_EINVAL;  // already bound
  if (is_closing(reinterpret_cast<uv_handle_t*>(handle))) return UV_EINVAL;
  char* fname = strdup(name);
  if (fname == nullptr) return UV_ENOMEM;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int err = -errno;
    std::free(fname);
    return err;
  }
  const sockaddr_un sa = unix_addr(fname);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    int err = -errno;
    if (err == UV_ENOENT) err = UV_EACCES;  // libuv: as on Windows
    ::close(fd);
    std::free(fname);
    return err;
  }
  PipeState* ps = pipe_state_get(handle);
  std::free(ps->fname);
  ps->fname = fname;
  st->flags |= kBound;
  st->fd = fd;
  return 0;
}

// libuv connects at once (a Unix socket never answers EINPROGRESS on Linux)
// and reports the outcome, success or error, through connect_cb one loop
// turn later (the stream's pending work, stream.cpp).
void uv_pipe_connect(uv_connect_t* req, uv_pipe_t* handle, const char* name, uv_connect_cb cb) {
  uv_stream_t* s = as_stream(handle);
  StreamState* st = sstate(s);
  const bool new_sock = st->fd == -1;
  int err = 0;
  if (new_sock) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) err = -errno;
    else st->fd = fd;
  }
  if (err == 0) {
    const sockaddr_un sa = unix_addr(name != nullptr ? name : "");
    int r;
    do r = ::connect(st->fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    while (r == -1 && errno == EINTR);
    if (r == -1 && errno != EINPROGRESS) err = -errno;
  }
  if (err == 0 && new_sock) {
    const int fd = st->fd;
    st->fd = -1;  // stream_open adopts it
    err = stream_open(s, fd, kReadable | kWritable);
    if (err != 0) st->fd = fd;
  }
  st->delayed_error = err;
  st->connect_req = req;
  req->type = UV_CONNECT;
  req->handle = s;
  req->cb = cb;
  req_register(handle->loop);
  stream_schedule(s);
}

int uv_pipe_getsockname(const uv_pipe_t* handle, char* buffer, size_t* size) {
  return sock_or_peer_name(handle, false, buffer, size);
}

int uv_pipe_getpeername(const uv_pipe_t* handle, char* buffer, size_t* size) {
  return sock_or_peer_name(handle, true, buffer, size);
}

// Windows only: libuv on Unix ignores it.
void uv_pipe_pending_instances(uv_pipe_t*, int) {}

int uv_pipe_pending_count(uv_pipe_t* handle) {
  if (!handle->ipc) return 0;
  const StreamState* st = sstate(as_stream(handle));
  if (st->accepted_fd == -1) return 0;
  const PipeState* ps = pipe_state(handle);
  return 1 + (ps != nullptr ? int(ps->queued.size()) : 0);
}

// libuv 1.44: uv_guess_handle of the next received fd (a pipe(2) end is
// UV_NAMED_PIPE, the oracle says).
uv_handle_type uv_pipe_pending_type(uv_pipe_t* handle) {
  if (!handle->ipc) return UV_UNKNOWN_HANDLE;
  const int fd = sstate(as_stream(handle))->accepted_fd;
  if (fd == -1) return UV_UNKNOWN_HANDLE;
  return uv_guess_handle(fd);
}

// libuv: chmod(2) of the bound path, adding read and/or write for everyone.
int uv_pipe_chmod(uv_pipe_t* handle, int mode) {
  if (handle == nullptr || sstate(as_stream(handle))->fd == -1) return UV_EBADF;
  if (mode != UV_READABLE && mode != UV_WRITABLE && mode != (UV_WRITABLE | UV_READABLE)) return UV_EINVAL;
  size_t len = 0;
  int r = uv_pipe_getsockname(handle, nullptr, &len);
  if (r != UV_ENOBUFS) return r;
  char* name = static_cast<char*>(std::malloc(len));
  if (name == nullptr) return UV_ENOMEM;
  r = uv_pipe_getsockname(handle, name, &len);
  if (r != 0) {
    std::free(name);
    return r;
  }
  struct stat sb;
  if (::stat(name, &sb) == -1) {
    r = -errno;
    std::free(name);
    return r;
  }
  mode_t want = 0;
  if (mode & UV_READABLE) want |= S_IRUSR | S_IRGRP | S_IROTH;
  if (mode & UV_WRITABLE) want |= S_IWUSR | S_IWGRP | S_IWOTH;
  if ((sb.st_mode & want) == want) {
    std::free(name);
    return 0;
  }
  r = ::chmod(name, sb.st_mode | want) == -1 ? -errno : 0;
  std::free(name);
  return r;
}

// libuv 1.44: pipe2(O_CLOEXEC), non-blocking ends as asked.
int uv_pipe(uv_file fds[2], int read_flags, int write_flags) {
  int temp[2];
  int flags = O_CLOEXEC;
  if ((read_flags & UV_NONBLOCK_PIPE) && (write_flags & UV_NONBLOCK_PIPE)) flags |= O_NONBLOCK;
  if (::pipe2(temp, flags) != 0) return -errno;
  if (!(flags & O_NONBLOCK)) {
    const bool nb0 = read_flags & UV_NONBLOCK_PIPE, nb1 = write_flags & UV_NONBLOCK_PIPE;
    if (int err = pair_set_nonblock(temp, nb0, nb1); err != 0) return err;
  }
  fds[0] = temp[0];
  fds[1] = temp[1];
  return 0;
}

}  // extern "C"
