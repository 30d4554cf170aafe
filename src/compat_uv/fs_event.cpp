// uv_fs_event_t on inotify (libuv 1.44 src/unix/linux-inotify.c).
//
// One inotify fd per loop, created by the first uv_fs_event_start and
// watched with a PollAdd op through the loop's driver (re-armed after each
// completion; events are read on the loop thread in the poll phase). Handles
// watching the same path share one inotify watch (one WatcherList per
// watch descriptor). As in libuv on Linux the flags argument is ignored
// (UV_FS_EVENT_RECURSIVE is not supported and not refused); the callback
// gets the event's file name, or the watched path's basename when inotify
// gives none (a watched file); IN_ATTRIB/IN_MODIFY are UV_CHANGE, anything
// else UV_RENAME.
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "compat_uv/internal.hpp"

using namespace veloq;
using namespace veloq::uvc;

namespace {

struct WatcherList {
  Queue watchers;    // FsEventState::queue of the handles on this watch
  int iterating = 0;  // callbacks are running: do not free yet
  int wd = -1;
  std::string path;  // handle->path points here
};

}  // namespace

namespace veloq::uvc {

struct InotifyLoop {
  int fd = -1;
  Op* op = nullptr;  // PollAdd on fd
  bool closing = false;
  std::map<int, WatcherList*> watchers;  // by watch descriptor
};

}  // namespace veloq::uvc

namespace {

struct FsEventState {  // fits UV_FS_EVENT_PRIVATE_FIELDS (32 bytes)
  uv_fs_event_cb cb;
  Queue queue;         // in WatcherList::watchers while active
  int wd;
};
static_assert(sizeof(FsEventState) <= sizeof(((uv_fs_event_t*)nullptr)->veloq_fs_event));

FsEventState* fstate(const uv_fs_event_t* h) {
  return reinterpret_cast<FsEventState*>(const_cast<unsigned char*>(h->veloq_fs_event.storage));
}
uv_fs_event_t* fs_event_of_queue(Queue* q) {
  return reinterpret_cast<uv_fs_event_t*>(reinterpret_cast<char*>(q) - offsetof(FsEventState, queue) -
                                          offsetof(uv_fs_event_t, veloq_fs_event.storage));
}

constexpr uint32_t kWatchEvents =
    IN_ATTRIB | IN_CREATE | IN_MODIFY | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_MOVED_FROM | IN_MOVED_TO;

WatcherList* find_watcher(InotifyLoop* il, int wd) {
  auto it = il->watchers.find(wd);
  return it == il->watchers.end() ? nullptr : it->second;
}

void maybe_free_watcher_list(InotifyLoop* il, WatcherList* w) {
  if (w->iterating || !w->watchers.empty()) return;
  il->watchers.erase(w->wd);
  ::inotify_rm_watch(il->fd, w->wd);
  delete w;
}

const char* basename_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path.c_str() : path.c_str() + slash + 1;
}

void on_inotify_readable(Op* op, int32_t res, uint32_t flags);

void arm(uv_loop_t* loop, InotifyLoop* il) {
  LoopState* ls = loop_state(loop);
  Op* op = ls->ops.acquire(OpCode::PollAdd);
  op->owner = loop;
  op->on_complete = &on_inotify_readable;
  op->args.fd = il->fd;
  op->args.mask = POLLIN;
  il->op = op;
  ls->driver->prepare(op);
}

// uv__inotify_read
void read_events(InotifyLoop* il) {
  alignas(inotify_event) char buf[4096];
  for (;;) {
    ssize_t size = ::read(il->fd, buf, sizeof buf);
    if (size < 0 && errno == EINTR) continue;
    if (size <= 0) break;
    const inotify_event* e;
    for (const char* p = buf; p < buf + size; p += sizeof(*e) + e->len) {
      e = reinterpret_cast<const inotify_event*>(p);
      int events = 0;
      if (e->mask & (IN_ATTRIB | IN_MODIFY)) events |= UV_CHANGE;
      if (e->mask & ~(IN_ATTRIB | IN_MODIFY)) events |= UV_RENAME;
      WatcherList* w = find_watcher(il, e->wd);
      if (w == nullptr) continue;  // stale: nobody watches it any more
      const char* path = e->len ? e->name : basename_of(w->path);
      // A callback may stop any handle of this watch: each handle moves back
      // to the list before its call, and the list is freed only afterwards.
      w->iterating = 1;
      Queue pass;
      w->watchers.move_to(&pass);
      while (!pass.empty()) {
        Queue* q = pass.next;
        q->remove();
        w->watchers.insert_tail(q);
        uv_fs_event_t* h = fs_event_of_queue(q);
        fstate(h)->cb(h, path, events, 0);
      }
      w->iterating = 0;
      maybe_free_watcher_list(il, w);
    }
  }
}

void on_inotify_readable(Op* op, int32_t res, uint32_t flags) {
  if (flags & kOpMore) return;
  uv_loop_t* loop = static_cast<uv_loop_t*>(op->owner);
  LoopState* ls = loop_state(loop);
  InotifyLoop* il = ls->inotify;
  ls->ops.release(op);
  il->op = nullptr;
  if (il->closing) return;
  (void)res;
  read_events(il);
  if (il->op == nullptr && !il->closing) arm(loop, il);
}

int init_inotify(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  if (ls->inotify != nullptr) return 0;
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return -errno;
  InotifyLoop* il = new InotifyLoop;
  il->fd = fd;
  ls->inotify = il;
  arm(loop, il);
  return 0;
}

int fs_event_stop(uv_fs_event_t* handle) {
  if (!is_active(reinterpret_cast<uv_handle_t*>(handle))) return 0;
  InotifyLoop* il = loop_state(handle->loop)->inotify;
  FsEventState* fs = fstate(handle);
  WatcherList* w = find_watcher(il, fs->wd);
  fs->wd = -1;
  handle->path = nullptr;
  handle_stop(reinterpret_cast<uv_handle_t*>(handle));
  fs->queue.remove();
  fs->queue.init();
  if (w != nullptr) maybe_free_watcher_list(il, w);
  return 0;
}

}  // namespace

namespace veloq::uvc {

void fs_event_close(uv_fs_event_t* h) { fs_event_stop(h); }

// uv_loop_fork, in the child (libuv's uv__inotify_fork): the inotify fd is
// shared with the parent and the watcher op belonged to the old driver. A
// fresh fd, every watched path added again (its handles take the new wd).
void fs_event_loop_fork(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  InotifyLoop* il = ls->inotify;
  if (il == nullptr) return;
  if (il->op != nullptr) ls->ops.release(il->op);
  il->op = nullptr;
  ::close(il->fd);
  il->fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (il->fd < 0) abort();  // libuv cannot report it either
  std::map<int, WatcherList*> old;
  old.swap(il->watchers);
  for (auto& [wd, w] : old) {
    (void)wd;
    const int nwd = ::inotify_add_watch(il->fd, w->path.c_str(), kWatchEvents);
    if (nwd < 0 || il->watchers.count(nwd) != 0) {
      // Gone since (or now the same inode as another path): its handles stop.
      while (!w->watchers.empty()) {
        uv_fs_event_t* h = fs_event_of_queue(w->watchers.next);
        w->watchers.next->remove();
        fstate(h)->queue.init();
        fstate(h)->wd = -1;
        h->path = nullptr;
        handle_stop(reinterpret_cast<uv_handle_t*>(h));
      }
      delete w;
      continue;
    }
    w->wd = nwd;
    for (Queue* q = w->watchers.next; q != &w->watchers; q = q->next) fstate(fs_event_of_queue(q))->wd = nwd;
    il->watchers.emplace(nwd, w);
  }
  arm(loop, il);
}

void fs_event_loop_close(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  InotifyLoop* il = ls->inotify;
  if (il == nullptr) return;
  il->closing = true;
  loop_op_cancel_wait(ls, &il->op);
  for (auto& [wd, w] : il->watchers) delete w;  // none left: every handle closed
  ::close(il->fd);
  delete il;
  ls->inotify = nullptr;
}

}  // namespace veloq::uvc

extern "C" {

int uv_fs_event_init(uv_loop_t* loop, uv_fs_event_t* handle) {
  if (loop == nullptr || handle == nullptr) return UV_EINVAL;
  handle_init(loop, reinterpret_cast<uv_handle_t*>(handle), UV_FS_EVENT);
  handle->path = nullptr;
  FsEventState* fs = fstate(handle);
  fs->cb = nullptr;
  fs->queue.init();
  fs->wd = -1;
  return 0;
}

int uv_fs_event_start(uv_fs_event_t* handle, uv_fs_event_cb cb, const char* path, unsigned int flags) {
  (void)flags;  // ignored on Linux, as libuv
  if (handle == nullptr || path == nullptr) return UV_EINVAL;
  uv_handle_t* h = reinterpret_cast<uv_handle_t*>(handle);
  if (is_active(h) || is_closing(h)) return UV_EINVAL;
  if (int err = init_inotify(handle->loop); err != 0) return err;
  InotifyLoop* il = loop_state(handle->loop)->inotify;
  const int wd = ::inotify_add_watch(il->fd, path, kWatchEvents);
  if (wd == -1) return -errno;
  WatcherList* w = find_watcher(il, wd);
  if (w == nullptr) {
    w = new WatcherList;
    w->watchers.init();
    w->wd = wd;
    w->path = path;
    il->watchers.emplace(wd, w);
  }
  handle_start(h);
  FsEventState* fs = fstate(handle);
  w->watchers.insert_tail(&fs->queue);
  handle->path = w->path.data();
  fs->cb = cb;
  fs->wd = wd;
  return 0;
}

int uv_fs_event_stop(uv_fs_event_t* handle) {
  if (handle == nullptr) return UV_EINVAL;
  return fs_event_stop(handle);
}

// uv-common.c: the path the handle watches, NUL-terminated.
int uv_fs_event_getpath(uv_fs_event_t* handle, char* buffer, size_t* size) {
  if (handle == nullptr || size == nullptr) return UV_EINVAL;
  if (!is_active(reinterpret_cast<uv_handle_t*>(handle))) {
    *size = 0;
    return UV_EINVAL;
  }
  const size_t required = std::strlen(handle->path);
  if (required >= *size) {
    *size = required + 1;
    return UV_ENOBUFS;
  }
  std::memcpy(buffer, handle->path, required);
  *size = required;
  buffer[required] = '\0';
  return 0;
}

}  // extern "C"
