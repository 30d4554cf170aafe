// uv_signal_t (libuv 1.44 src/unix/signal.c).
//
// One process-wide sigaction handler per signal number. It writes one
// message {handle, signum} per started handle of that signal into the
// handle's loop's signal pipe; the loop watches the pipe's read end with a
// PollAdd op through its driver and runs the signal callbacks in the poll
// phase, on the loop's thread. Every loop (any thread) shares one list of
// started handles, guarded by a lock the handler can take too: libuv's lock
// pipe (read one byte to lock, write it back to unlock, both
// async-signal-safe). Threads taking it from outside the handler block every
// signal first, so the handler never waits on its own thread.
//
// As libuv: a handle counts the messages written for it (caught) and those
// read back (dispatched); a closed handle's close_cb waits until both agree,
// so no message in a pipe ever names a handle the user may have freed.
// Stopping the last handle of a signal resets it to SIG_DFL (libuv does not
// restore an earlier disposition either).
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "compat_uv/internal.hpp"

using namespace veloq;
using namespace veloq::uvc;

namespace veloq::uvc {

struct SignalLoop {
  int pipe_r = -1;  // non-blocking, close-on-exec; the handler writes pipe_w
  int pipe_w = -1;
  Op* op = nullptr;  // the PollAdd on pipe_r, re-armed after each completion
  bool closing = false;
};

}  // namespace veloq::uvc

namespace {

struct SignalState {  // fits UV_SIGNAL_PRIVATE_FIELDS (40 bytes)
  Queue link;         // in `started`, while handle->signum != 0
  uint32_t caught;    // messages written for this handle (by the handler)
  uint32_t dispatched;  // messages read back by the loop
  uint32_t oneshot;
  int pipe_w;         // the loop's pipe, read by the handler
};
static_assert(sizeof(SignalState) <= sizeof(((uv_signal_t*)nullptr)->veloq_signal));

SignalState* sigstate(const uv_signal_t* h) {
  return reinterpret_cast<SignalState*>(const_cast<unsigned char*>(h->veloq_signal.storage));
}
uv_signal_t* signal_of_link(Queue* q) {
  return reinterpret_cast<uv_signal_t*>(reinterpret_cast<char*>(q) - offsetof(SignalState, link) -
                                        offsetof(uv_signal_t, veloq_signal.storage));
}

struct Message {  // what the handler writes: 16 bytes, atomic in a pipe
  uv_signal_t* handle;
  int signum;
  int pad;
};

// Started handles of every loop, in libuv's tree order: signum, then
// regular before one-shot, then loop, then handle address. The handler
// walks it; only code holding the lock touches it.
Queue started;
int lock_pipe[2] = {-1, -1};
pthread_once_t global_once = PTHREAD_ONCE_INIT;

void make_lock_pipe() {
  if (::pipe2(lock_pipe, O_CLOEXEC) != 0) abort();
  // One byte in the pipe = unlocked.
  ssize_t r;
  do r = ::write(lock_pipe[1], "", 1);
  while (r < 0 && errno == EINTR);
  if (r != 1) abort();
}

// In a forked child the lock may be held by a thread that does not exist
// there: start it afresh, as libuv does.
void after_fork_child() {
  ::close(lock_pipe[0]);
  ::close(lock_pipe[1]);
  make_lock_pipe();
}

void global_init() {
  started.init();
  make_lock_pipe();
  pthread_atfork(nullptr, nullptr, &after_fork_child);
}

int lock() {
  char c;
  ssize_t r;
  do r = ::read(lock_pipe[0], &c, 1);
  while (r < 0 && errno == EINTR);
  return r == 1 ? 0 : -1;
}

void unlock() {
  ssize_t r;
  do r = ::write(lock_pipe[1], "", 1);
  while (r < 0 && errno == EINTR);
}

void block_and_lock(sigset_t* saved) {
  sigset_t all;
  sigfillset(&all);
  if (pthread_sigmask(SIG_SETMASK, &all, saved) != 0) abort();
  if (lock() != 0) abort();
}

void unlock_and_unblock(const sigset_t* saved) {
  unlock();
  if (pthread_sigmask(SIG_SETMASK, saved, nullptr) != 0) abort();
}

bool ordered_before(const uv_signal_t* a, const uv_signal_t* b) {
  if (a->signum != b->signum) return a->signum < b->signum;
  const uint32_t ao = sigstate(a)->oneshot, bo = sigstate(b)->oneshot;
  if (ao != bo) return ao < bo;
  if (a->loop != b->loop) return reinterpret_cast<uintptr_t>(a->loop) < reinterpret_cast<uintptr_t>(b->loop);
  return reinterpret_cast<uintptr_t>(a) < reinterpret_cast<uintptr_t>(b);
}

// libuv's uv__signal_first_handle: a regular handle if there is one.
uv_signal_t* first_handle(int signum) {
  for (Queue* q = started.next; q != &started; q = q->next) {
    uv_signal_t* h = signal_of_link(q);
    if (h->signum == signum) return h;
  }
  return nullptr;
}

void signal_handler(int signum) {
  const int saved_errno = errno;
  if (lock() != 0) {
    errno = saved_errno;
    return;
  }
  for (Queue* q = started.next; q != &started; q = q->next) {
    uv_signal_t* h = signal_of_link(q);
    if (h->signum != signum) continue;
    Message msg{h, signum, 0};
    ssize_t r;
    do r = ::write(sigstate(h)->pipe_w, &msg, sizeof msg);
    while (r < 0 && errno == EINTR);
    // A full pipe loses the signal, as in libuv.
    if (r == sizeof msg) __atomic_add_fetch(&sigstate(h)->caught, 1, __ATOMIC_RELEASE);
  }
  unlock();
  errno = saved_errno;
}

int register_handler(int signum, bool oneshot) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sigfillset(&sa.sa_mask);
  sa.sa_handler = &signal_handler;
  sa.sa_flags = SA_RESTART;
  if (oneshot) sa.sa_flags |= SA_RESETHAND;
  if (::sigaction(signum, &sa, nullptr) != 0) return -errno;
  return 0;
}

void unregister_handler(int signum) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  ::sigaction(signum, &sa, nullptr);
}

void signal_stop(uv_signal_t* h) {
  if (h->signum == 0) return;
  SignalState* ss = sigstate(h);
  sigset_t saved;
  block_and_lock(&saved);
  ss->link.remove();
  uv_signal_t* first = first_handle(h->signum);
  if (first == nullptr) {
    unregister_handler(h->signum);
  } else if (sigstate(first)->oneshot && !ss->oneshot) {
    // Only one-shot handles are left: the kernel may reset it after one.
    register_handler(h->signum, true);
  }
  unlock_and_unblock(&saved);
  h->signum = 0;
  handle_stop(reinterpret_cast<uv_handle_t*>(h));
}

void on_pipe_readable(Op* op, int32_t res, uint32_t flags);

void arm(uv_loop_t* loop, SignalLoop* sl) {
  LoopState* ls = loop_state(loop);
  Op* op = ls->ops.acquire(OpCode::PollAdd);
  op->owner = loop;
  op->on_complete = &on_pipe_readable;
  op->args.fd = sl->pipe_r;
  op->args.mask = POLLIN;
  sl->op = op;
  ls->driver->prepare(op);
}

// uv__signal_event: every message in the pipe, in order.
void dispatch(SignalLoop* sl) {
  alignas(Message) char buf[sizeof(Message) * 32];
  size_t have = 0;
  for (;;) {
    ssize_t r = ::read(sl->pipe_r, buf + have, sizeof buf - have);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    have += size_t(r);
    const size_t whole = have - have % sizeof(Message);
    for (size_t i = 0; i < whole; i += sizeof(Message)) {
      Message msg;
      std::memcpy(&msg, buf + i, sizeof msg);
      uv_signal_t* h = msg.handle;
      SignalState* ss = sigstate(h);
      // A stopped (or restarted on another signal) handle skips the call.
      if (msg.signum == h->signum) h->signal_cb(h, h->signum);
      ss->dispatched++;
      if (ss->oneshot) signal_stop(h);
    }
    std::memmove(buf, buf + whole, have - whole);
    have -= whole;
  }
}

void on_pipe_readable(Op* op, int32_t res, uint32_t flags) {
  if (flags & kOpMore) return;
  uv_loop_t* loop = static_cast<uv_loop_t*>(op->owner);
  LoopState* ls = loop_state(loop);
  SignalLoop* sl = ls->signals;
  ls->ops.release(op);
  sl->op = nullptr;
  if (sl->closing) return;  // uv_loop_close is waiting for this completion
  (void)res;                // readable or not, read what is there
  dispatch(sl);
  if (sl->op == nullptr && !sl->closing) arm(loop, sl);
}

// uv__signal_loop_once_init: the pipe and its watcher, on first use.
int loop_once_init(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  if (ls->signals != nullptr) return 0;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -errno;
  SignalLoop* sl = new SignalLoop;
  sl->pipe_r = fds[0];
  sl->pipe_w = fds[1];
  ls->signals = sl;
  arm(loop, sl);
  return 0;
}

int signal_start(uv_signal_t* handle, uv_signal_cb cb, int signum, bool oneshot) {
  if (handle == nullptr || is_closing(reinterpret_cast<uv_handle_t*>(handle))) return UV_EINVAL;
  if (signum == 0) return UV_EINVAL;
  // Same signal: only the callback changes (no window where it is unwatched).
  if (signum == handle->signum) {
    handle->signal_cb = cb;
    return 0;
  }
  if (handle->signum != 0) signal_stop(handle);
  SignalState* ss = sigstate(handle);
  sigset_t saved;
  block_and_lock(&saved);
  uv_signal_t* first = first_handle(signum);
  if (first == nullptr || (!oneshot && sigstate(first)->oneshot)) {
    if (int err = register_handler(signum, oneshot); err != 0) {
      unlock_and_unblock(&saved);
      return err;
    }
  }
  handle->signum = signum;
  // Sticky, as libuv's UV_SIGNAL_ONE_SHOT flag: never cleared by a later
  // regular start (the oracle agrees).
  if (oneshot) ss->oneshot = 1;
  ss->pipe_w = loop_state(handle->loop)->signals->pipe_w;
  Queue* pos = started.next;
  while (pos != &started && ordered_before(signal_of_link(pos), handle)) pos = pos->next;
  // insert before `pos`
  ss->link.next = pos;
  ss->link.prev = pos->prev;
  pos->prev->next = &ss->link;
  pos->prev = &ss->link;
  unlock_and_unblock(&saved);
  handle->signal_cb = cb;
  handle_start(reinterpret_cast<uv_handle_t*>(handle));
  return 0;
}

}  // namespace

namespace veloq::uvc {

void signal_close(uv_signal_t* h) { signal_stop(h); }

bool signal_undelivered(const uv_signal_t* h) {
  const SignalState* ss = sigstate(h);
  return __atomic_load_n(&ss->caught, __ATOMIC_ACQUIRE) != ss->dispatched;
}

int signal_init_internal(uv_loop_t* loop, uv_signal_t* h) {
  pthread_once(&global_once, &global_init);
  if (int err = loop_once_init(loop); err != 0) return err;
  h->signum = 0;
  h->signal_cb = nullptr;
  SignalState* ss = sigstate(h);
  ss->link.init();
  ss->caught = 0;
  ss->dispatched = 0;
  ss->oneshot = 0;
  ss->pipe_w = loop_state(loop)->signals->pipe_w;
  return 0;
}

int signal_start_internal(uv_signal_t* h, uv_signal_cb cb, int signum) { return signal_start(h, cb, signum, false); }
void signal_stop_internal(uv_signal_t* h) { signal_stop(h); }

// uv_loop_fork, in the child: the pipe is shared with the parent and the
// watcher op belonged to the old driver (which never returns it). A fresh
// pipe, every started handle of this loop pointed at it, a new watcher.
// Signals caught before the fork and still in the old pipe are dropped
// (libuv drops them too).
void signal_loop_fork(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  SignalLoop* sl = ls->signals;
  if (sl == nullptr) return;
  if (sl->op != nullptr) ls->ops.release(sl->op);
  sl->op = nullptr;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) abort();  // as libuv, which cannot report it either
  sigset_t saved;
  block_and_lock(&saved);
  ::close(sl->pipe_r);
  ::close(sl->pipe_w);
  sl->pipe_r = fds[0];
  sl->pipe_w = fds[1];
  for (Queue* q = started.next; q != &started; q = q->next) {
    uv_signal_t* h = signal_of_link(q);
    if (h->loop == loop) sigstate(h)->pipe_w = fds[1];
  }
  unlock_and_unblock(&saved);
  // Stopped handles of this loop get the new pipe when started again
  // (signal_start reads it from the loop).
  arm(loop, sl);
}

// uv_loop_close: no signal handle of this loop is left (the loop is empty),
// internal ones were stopped. Wait for the watcher op's last completion
// without dispatching, then close the pipe.
void signal_loop_close(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  SignalLoop* sl = ls->signals;
  if (sl == nullptr) return;
  sl->closing = true;
  loop_op_cancel_wait(ls, &sl->op);
  ::close(sl->pipe_r);
  ::close(sl->pipe_w);
  delete sl;
  ls->signals = nullptr;
}

}  // namespace veloq::uvc

extern "C" {

int uv_signal_init(uv_loop_t* loop, uv_signal_t* handle) {
  if (loop == nullptr || handle == nullptr) return UV_EINVAL;
  pthread_once(&global_once, &global_init);
  if (int err = loop_once_init(loop); err != 0) return err;
  handle_init(loop, reinterpret_cast<uv_handle_t*>(handle), UV_SIGNAL);
  return signal_init_internal(loop, handle);
}

int uv_signal_start(uv_signal_t* handle, uv_signal_cb signal_cb, int signum) {
  return signal_start(handle, signal_cb, signum, false);
}

int uv_signal_start_oneshot(uv_signal_t* handle, uv_signal_cb signal_cb, int signum) {
  return signal_start(handle, signal_cb, signum, true);
}

int uv_signal_stop(uv_signal_t* handle) {
  if (handle == nullptr || is_closing(reinterpret_cast<uv_handle_t*>(handle))) return UV_EINVAL;
  signal_stop(handle);
  return 0;
}

}  // extern "C"
