// uv_poll_t (libuv 1.44 src/unix/poll.c) on the driver's PollAdd.
//
// libuv's epoll is level-triggered: while the fd stays ready, the callback
// runs every loop turn. Veloq gets that from single-shot polls re-armed after
// each callback (a poll armed on a ready fd completes at once), not from
// multishot polls, which only report new wake-ups.
//
// A stop or restart cancels the op in flight and bumps `gen`; a completion
// whose generation is stale is dropped. The handle's close_cb waits for the
// cancelled op's last completion (handle_op_done).
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <unistd.h>

#include "compat_uv/internal.hpp"

using namespace veloq;
using namespace veloq::uvc;

namespace {

struct PollState {  // fits UV_POLL_PRIVATE_FIELDS (56 bytes)
  uv_poll_cb cb;
  Op* op;        // the poll in flight for the current generation, or null
  int fd;
  int events;    // UV_READABLE | UV_WRITABLE | UV_DISCONNECT | UV_PRIORITIZED
  uint32_t gen;
};
static_assert(sizeof(PollState) <= sizeof(((uv_poll_t*)nullptr)->veloq_poll));

PollState* pstate(const uv_poll_t* h) {
  return reinterpret_cast<PollState*>(const_cast<unsigned char*>(h->veloq_poll.storage));
}

constexpr int kAllEvents = UV_READABLE | UV_WRITABLE | UV_DISCONNECT | UV_PRIORITIZED;

uint32_t kernel_mask(int events) {
  uint32_t m = 0;
  if (events & UV_READABLE) m |= POLLIN;
  if (events & UV_WRITABLE) m |= POLLOUT;
  if (events & UV_DISCONNECT) m |= POLLRDHUP;
  if (events & UV_PRIORITIZED) m |= POLLPRI;
  return m;
}

// libuv refuses fds epoll cannot watch (regular files, directories: EPERM;
// closed fds: EBADF) by adding them to its epoll set and removing them
// again. Veloq asks the same question of one scratch epoll set.
int check_pollable(int fd) {
  static const int scratch = ::epoll_create1(EPOLL_CLOEXEC);
  if (scratch < 0) return 0;  // cannot ask: let the first poll report it
  epoll_event e{};
  e.events = EPOLLIN;
  if (::epoll_ctl(scratch, EPOLL_CTL_ADD, fd, &e) != 0) {
    if (errno != EEXIST) return -errno;  // EEXIST: another loop is asking right now
    return 0;
  }
  ::epoll_ctl(scratch, EPOLL_CTL_DEL, fd, &e);
  return 0;
}

int set_nonblocking(int fd) {
  int on = 1;
  if (::ioctl(fd, FIONBIO, &on) == 0) return 0;
  if (errno != ENOTTY) return -errno;
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -errno;
  return 0;
}

void on_poll_complete(Op* op, int32_t res, uint32_t flags);

void arm(uv_poll_t* h) {
  PollState* ps = pstate(h);
  Op* op = handle_op(reinterpret_cast<uv_handle_t*>(h), OpCode::PollAdd, &on_poll_complete);
  op->args.fd = ps->fd;
  op->args.mask = kernel_mask(ps->events);
  op->custom_arg = reinterpret_cast<void*>(uintptr_t{ps->gen});
  ps->op = op;
  loop_state(h->loop)->driver->prepare(op);
}

// Stop watching: the op in flight (if any) is cancelled and its result dropped.
void disarm(uv_poll_t* h) {
  PollState* ps = pstate(h);
  ps->gen++;
  if (ps->op != nullptr) {
    loop_state(h->loop)->driver->cancel(ps->op);
    ps->op = nullptr;
  }
  auto& watchers = loop_state(h->loop)->fd_watchers;
  auto it = watchers.find(ps->fd);
  if (it != watchers.end() && it->second == reinterpret_cast<uv_handle_t*>(h)) watchers.erase(it);
}

void stop(uv_poll_t* h) {
  disarm(h);
  handle_stop(reinterpret_cast<uv_handle_t*>(h));
}

// uv__poll_io: revents -> uv events, as libuv's epoll loop reports them.
void on_poll_complete(Op* op, int32_t res, uint32_t flags) {
  uv_poll_t* h = reinterpret_cast<uv_poll_t*>(op_handle(op));
  PollState* ps = pstate(h);
  const bool current = ps->op == op && reinterpret_cast<uintptr_t>(op->custom_arg) == ps->gen;
  if (current) ps->op = nullptr;
  const uint32_t mask = uint32_t(op->args.mask);
  handle_op_done(op, flags);  // `op` is gone from here on
  if (!current) return;
  if (res < 0 || (res & POLLERR)) {
    // libuv stops the handle on POLLERR and reports UV_EBADF; a failed
    // poll (the fd was closed under the handle) reports its error.
    stop(h);
    ps->cb(h, res < 0 ? res : UV_EBADF, 0);
    return;
  }
  uint32_t revents = uint32_t(res);
  if (revents & POLLHUP) revents |= mask;  // hang-up wakes every interest, as in libuv
  int events = 0;
  if (revents & POLLIN) events |= UV_READABLE;
  if (revents & POLLPRI) events |= UV_PRIORITIZED;
  if (revents & POLLOUT) events |= UV_WRITABLE;
  if (revents & POLLRDHUP) events |= UV_DISCONNECT;
  events &= ps->events;
  if (events != 0) ps->cb(h, 0, events);
  // Level-triggered: watch again unless the callback stopped, restarted or
  // closed the handle.
  if (is_active(reinterpret_cast<uv_handle_t*>(h)) && !is_closing(reinterpret_cast<uv_handle_t*>(h)) &&
      ps->op == nullptr) {
    arm(h);
  }
}

}  // namespace

namespace veloq::uvc {
void poll_close(uv_poll_t* h) { stop(h); }
int poll_fileno(const uv_poll_t* h) { return pstate(h)->fd; }
}  // namespace veloq::uvc

extern "C" {

int uv_poll_init(uv_loop_t* loop, uv_poll_t* handle, int fd) {
  if (loop == nullptr || handle == nullptr) return UV_EINVAL;
  if (fd < 0) return UV_EBADF;
  if (loop_state(loop)->fd_watchers.count(fd) != 0) return UV_EEXIST;
  if (int err = check_pollable(fd); err != 0) return err;
  // libuv makes the fd non-blocking: callers rely on reads not blocking.
  if (int err = set_nonblocking(fd); err != 0) return err;
  handle_init(loop, reinterpret_cast<uv_handle_t*>(handle), UV_POLL);
  PollState* ps = pstate(handle);
  ps->cb = nullptr;
  ps->op = nullptr;
  ps->fd = fd;
  ps->events = 0;
  ps->gen = 0;
  return 0;
}

int uv_poll_init_socket(uv_loop_t* loop, uv_poll_t* handle, uv_os_sock_t socket) {
  return uv_poll_init(loop, handle, socket);
}

// libuv asserts on unknown events and on a closing handle; Veloq returns
// UV_EINVAL instead of aborting.
int uv_poll_start(uv_poll_t* handle, int events, uv_poll_cb cb) {
  uv_handle_t* h = reinterpret_cast<uv_handle_t*>(handle);
  if ((events & ~kAllEvents) != 0 || is_closing(h)) return UV_EINVAL;
  stop(handle);
  if (events == 0) return 0;
  if (cb == nullptr) return UV_EINVAL;
  PollState* ps = pstate(handle);
  auto [it, added] = loop_state(h->loop)->fd_watchers.emplace(ps->fd, h);
  if (!added && it->second != h) return UV_EEXIST;
  ps->events = events;
  ps->cb = cb;
  arm(handle);
  handle_start(h);
  return 0;
}

int uv_poll_stop(uv_poll_t* handle) {
  stop(handle);
  return 0;
}

}  // extern "C"
